/**
 * Which outputs the default top-k and cosine thresholds check (issue 11, section 5, "false failures"): class scores
 * are told from hidden states, probability maps and recurrent states by the graph's structure, and the defaults
 * follow. Models are built in code; the end-to-end cases run them in onnxruntime-node.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { saveModel } from '../../src/io/save.js';
import { GraphBuilder, ModelBuilder } from '../../src/testing/builder.js';
import { classifyOutput } from '../../src/validate/roles.js';
import { evaluateThresholds, parseThresholds, resolveThresholds, roleOf } from '../../src/validate/thresholds.js';
import type { OutputComparison, OutputMetrics, OutputRole, ThresholdCheck } from '../../src/validate/types.js';
import { validate } from '../../src/validate/validate.js';
import { tempDir } from '../helpers/temp.js';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function roleIn(model: Model, name: string, dims: number[], labelsOutput?: string): OutputRole {
  return classifyOutput([model], { name, dims }, labelsOutput !== undefined ? { labelsOutput } : {}).role;
}

function save(model: Model, file: string, dir: string): string {
  const path = join(dir, file);
  saveModel(model, path);
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// Models

/** x [rows, 16] -> Gemm (transB, 10 classes) -> `logits` [rows, 10]; `noise` perturbs the weight. */
function classifier(rows: number, noise = 0, options: { softmax?: boolean; name?: string } = {}): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [rows, 16]);
  const w = values(160, 1, 0.5);
  const n = values(160, 2, noise);
  const weight = b.initializer(
    'fc.weight',
    Float32Array.from(w, (v, i) => v + n[i]!),
    [10, 16],
  );
  const bias = b.initializer('fc.bias', values(10, 3, 0.1), [10]);
  let y = b.node('Gemm', [x, weight, bias], { transB: 1 }, { name: 'fc' });
  if (options.softmax) y = b.node('Softmax', [y], { axis: -1 });
  y.name = options.name ?? 'logits';
  b.output(y, DataType.FLOAT, [rows, 10]);
  return b.build();
}

/**
 * A Whisper-encoder-like final state: x [1, 64, 16] -> LayerNormalization (bias 20 + shift) -> `last_hidden_state`.
 * The large common bias keeps cosine near 1 while a per-column shift moves many rows' argmax.
 */
function hiddenState(shift: number, name = 'last_hidden_state'): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 64, 16]);
  const scale = b.initializer('ln.weight', new Float32Array(16).fill(1), [16]);
  const bias = b.initializer(
    'ln.bias',
    Float32Array.from({ length: 16 }, (_, i) => 20 + shift * (i % 2 === 0 ? 1 : -1)),
    [16],
  );
  const y = b.node('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: 1e-5 });
  y.name = name;
  b.output(y, DataType.FLOAT, [1, 64, 16]);
  return b.build();
}

/**
 * A text detector's probability map, 320 wide: x [1, 1, 64, 320] -> Conv 1x1 -> Add (per-column shift) -> Sigmoid ->
 * `maps`. Over a flat region (small weight, large bias) the argmax of a row is noise.
 */
function probabilityMap(shift: number): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 1, 64, 320]);
  const w = b.initializer('conv.weight', new Float32Array([0.01]), [1, 1, 1, 1]);
  const bias = b.initializer('conv.bias', new Float32Array([3]), [1]);
  const conv = b.node('Conv', [x, w, bias], { kernel_shape: [1, 1] });
  const columns = b.initializer(
    'shift',
    Float32Array.from({ length: 320 }, (_, i) => shift * Math.sin(i)),
    [320],
  );
  const y = b.node('Sigmoid', [b.node('Add', [conv, columns])]);
  y.name = 'maps';
  b.output(y, DataType.FLOAT, [1, 1, 64, 320]);
  return b.build();
}

/**
 * A voice-activity LSTM: x [5, 1, 4] -> LSTM (hidden 8) -> Y, `Y_h`, `Y_c`; the answer `prob` = Sigmoid(Y_h W).
 * `scale` multiplies the recurrent weights R (drift that accumulates over the steps).
 */
function recurrent(scale = 1, options: { insideIf?: boolean } = {}): Model {
  const hidden = 8;
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [5, 1, 4]);
  const lstm = (g: GraphBuilder): [Value, Value, Value] => {
    const W = g.initializer('W', values(4 * hidden * 4, 11, 0.6), [1, 4 * hidden, 4]);
    const R = g.initializer(
      'R',
      Float32Array.from(values(4 * hidden * hidden, 12, 0.6), (v) => v * scale),
      [1, 4 * hidden, hidden],
    );
    const B = g.initializer('B', values(8 * hidden, 13, 0.1), [1, 8 * hidden]);
    const [y, yh, yc] = g.nodeMulti('LSTM', [x, W, R, B], { hidden_size: hidden }, { outputs: 3, name: 'lstm' });
    return [y!, yh!, yc!];
  };
  let outputs: [Value, Value, Value];
  if (options.insideIf) {
    const branch = (label: string) => {
      const g = new GraphBuilder(label);
      const outs = lstm(g);
      outs.forEach((v, i) => g.output(v, DataType.FLOAT, i === 0 ? [5, 1, 1, hidden] : [1, 1, hidden]));
      return g.graph;
    };
    const cond = b.initializer('cond', new Uint8Array([1]), [], DataType.BOOL);
    const [a, h, c] = b.nodeMulti('If', [cond], { then_branch: branch('then'), else_branch: branch('else') }, { outputs: 3 });
    outputs = [a!, h!, c!];
  } else {
    outputs = lstm(b);
  }
  const [y, yh, yc] = outputs;
  y.name = 'Y';
  yh.name = 'Y_h';
  yc.name = 'Y_c';
  const squeezed = b.node('Squeeze', [yh, b.initializer('axes', new BigInt64Array([0n]), [1])]);
  const head = b.node('MatMul', [squeezed, b.initializer('head', values(hidden, 14, 0.5), [hidden, 1])]);
  const prob = b.node('Sigmoid', [head]);
  prob.name = 'prob';
  b.output(prob, DataType.FLOAT, [1, 1]);
  b.output(y, DataType.FLOAT, [5, 1, 1, hidden]);
  b.output(yh, DataType.FLOAT, [1, 1, hidden]);
  b.output(yc, DataType.FLOAT, [1, 1, hidden]);
  return b.build();
}

// ---------------------------------------------------------------------------------------------------------------

describe('classifyOutput (the graph decides, no weights needed)', () => {
  it('finds class scores: a Gemm/MatMul as wide as the last axis, a Softmax over it, or labels', () => {
    expect(roleIn(classifier(4), 'logits', [4, 10])).toBe('class-scores');
    expect(roleIn(classifier(4, 0, { softmax: true, name: 'probs' }), 'probs', [4, 10])).toBe('class-scores');
    // The same Gemm, but the output's last axis is not its 10 classes (a reshape made it 5 wide).
    expect(roleIn(classifier(4), 'logits', [8, 5])).toBe('other');
    // Labels make any output class scores.
    expect(roleIn(hiddenState(0, 'output'), 'output', [1, 64, 16], 'output')).toBe('class-scores');
  });

  it('reads a language model head with tied weights and onnxruntime-style INT8 chains', () => {
    // logits = MatMul(h, Transpose(embedding [V=50, D=8])) + bias, as GPT-2-style exports write it.
    const b = new ModelBuilder({ opset: 17 });
    const h = b.input('h', DataType.FLOAT, [1, 3, 8]);
    const table = b.initializer('wte', values(400, 4), [50, 8]);
    const logits = b.node('Add', [b.initializer('bias', values(50, 5), [50]), b.node('MatMul', [h, b.node('Transpose', [table], { perm: [1, 0] })])]);
    logits.name = 'logits';
    b.output(logits, DataType.FLOAT, [1, 3, 50]);
    expect(roleIn(b.build(), 'logits', [1, 3, 50])).toBe('class-scores');

    // quantize_dynamic: Add(Mul(Cast(MatMulInteger(q(x), Wq)), x_scale * w_scale), bias).
    const q = new ModelBuilder({ opset: 17 });
    const x = q.input('x', DataType.FLOAT, [2, 16]);
    const [xq, xScale, xZero] = q.nodeMulti('DynamicQuantizeLinear', [x], {}, { outputs: 3 });
    const wq = q.initializer('w_quantized', new Int8Array(160), [16, 10]);
    const wZero = q.initializer('w_zero', new Int8Array([0]), []);
    const int = q.node('MatMulInteger', [xq!, wq, xZero!, wZero]);
    const scales = q.node('Mul', [xScale!, q.initializer('w_scale', new Float32Array([0.01]), [])]);
    const scaled = q.node('Mul', [q.node('Cast', [int], { to: DataType.FLOAT }), scales]);
    const out = q.node('Add', [scaled, q.initializer('bias', new Float32Array(10), [10])]);
    out.name = 'logits';
    q.output(out, DataType.FLOAT, [2, 10]);
    expect(roleIn(q.build(), 'logits', [2, 10])).toBe('class-scores');
  });

  it('leaves hidden states and probability maps alone', () => {
    expect(roleIn(hiddenState(0), 'last_hidden_state', [1, 64, 16])).toBe('other');
    // Even without a telling name, a LayerNormalization output is not class scores.
    expect(roleIn(hiddenState(0, 'output'), 'output', [1, 64, 16])).toBe('other');
    expect(roleIn(probabilityMap(0), 'maps', [1, 1, 64, 320])).toBe('other');
    // A Softmax over channels (axis 1) is a per-pixel distribution, not scores over the last axis.
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 2, 8, 320]);
    const y = b.node('Softmax', [x], { axis: 1 });
    y.name = 'seg';
    b.output(y, DataType.FLOAT, [1, 2, 8, 320]);
    expect(roleIn(b.build(), 'seg', [1, 2, 8, 320])).toBe('other');
    // Opset 11's default Softmax axis (1) flattens a rank-3 tensor: not per row over the last axis.
    const old = new ModelBuilder({ opset: 11 });
    const z = old.node('Softmax', [old.input('z', DataType.FLOAT, [1, 4, 6])]);
    z.name = 'z_probs';
    old.output(z, DataType.FLOAT, [1, 4, 6]);
    expect(roleIn(old.build(), 'z_probs', [1, 4, 6])).toBe('other');
    // A name that says hidden state or embedding wins over a linear producer.
    expect(roleIn(classifier(4, 0, { name: 'sentence_embedding' }), 'sentence_embedding', [4, 10])).toBe('other');
  });

  it('finds recurrent states: Y_h and Y_c of an LSTM, also inside If branches, and key/value caches by name', () => {
    for (const model of [recurrent(), recurrent(1, { insideIf: true })]) {
      expect(roleIn(model, 'Y_h', [1, 1, 8])).toBe('recurrent-state');
      expect(roleIn(model, 'Y_c', [1, 1, 8])).toBe('recurrent-state');
      expect(roleIn(model, 'Y', [5, 1, 1, 8])).toBe('other');
      expect(roleIn(model, 'prob', [1, 1])).toBe('other');
    }
    const kv = hiddenState(0, 'present.0.key');
    expect(roleIn(kv, 'present.0.key', [1, 64, 16])).toBe('recurrent-state');
    for (const name of ['past_key_values.3.value', 'hn', 'cn', 'stateN', 'new_state']) {
      expect(roleIn(hiddenState(0, name), name, [1, 64, 16]), name).toBe('recurrent-state');
    }
    expect(roleIn(hiddenState(0), 'last_hidden_state', [1, 64, 16])).toBe('other');
  });
});

function comparison(name: string, role: OutputRole | undefined, m: Partial<OutputMetrics>): OutputComparison {
  return {
    name,
    dims: [64, 16],
    baselineType: 'float32',
    candidateType: 'float32',
    ...(role ? { role } : {}),
    metrics: {
      elements: 1024,
      compared: 1024,
      maxAbs: 0.1,
      meanAbs: 0.01,
      rmse: 0.02,
      maxRel: 0.5,
      relFloor: 1e-6,
      cosine: 0.9999,
      snrDb: 40,
      top1: 0.5,
      top5: 0.4,
      rows: 64,
      nan: { baseline: 0, candidate: 0 },
      inf: { baseline: 0, candidate: 0 },
      nonFiniteMismatch: 0,
      ...m,
    },
  };
}

describe('default thresholds by role', () => {
  const outputs = [
    comparison('logits', 'class-scores', { top1: 0.9 }),
    comparison('last_hidden_state', 'other', { top1: 0.5 }),
    comparison('Y_h', 'recurrent-state', { cosine: 0.995, top1: 0.5 }),
    comparison('maps', 'other', { cosine: 0.995, top1: 0.2 }),
  ];

  it('checks top-1 only on class scores and gives recurrent states ten times the cosine distance', () => {
    const checks = evaluateThresholds(resolveThresholds('int8'), { outputs });
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(Object.keys(byId).filter((id) => id.startsWith('top1'))).toEqual(['top1@logits']);
    expect(byId['top1@logits']).toMatchObject({ status: 'fail', limit: 0.95 });
    expect(byId['cosine@Y_h']).toMatchObject({ status: 'pass', limit: 0.99, actual: 0.995 });
    expect(byId['cosine@Y_h']!.message).toContain('Y_h (recurrent state)');
    // The same drift on the model's answer fails.
    expect(byId['cosine@maps']).toMatchObject({ status: 'fail', limit: 0.999 });
    expect(byId['cosine@last_hidden_state']).toMatchObject({ status: 'pass', limit: 0.999 });
    const fp16 = Object.fromEntries(evaluateThresholds(resolveThresholds('fp16'), { outputs }).map((c) => [c.id, c]));
    expect(fp16['cosine@Y_h']!.limit).toBe(0.999);
    expect(fp16['cosine@logits']!.limit).toBe(0.9999);
  });

  it("applies the user's thresholds to every output, and a user's cosine replaces both default cosines", () => {
    const user = resolveThresholds('int8', parseThresholds(['top1=0.4', 'cosine=0.99']));
    expect(user.filter((t) => t.metric === 'cosine')).toHaveLength(1);
    const checks = evaluateThresholds(user, { outputs });
    expect(checks.filter((c) => c.metric === 'top1').map((c) => c.id)).toEqual(['top1@logits', 'top1@last_hidden_state', 'top1@Y_h', 'top1@maps']);
    expect(checks.filter((c) => c.metric === 'cosine').every((c) => c.limit === 0.99)).toBe(true);
    const one = evaluateThresholds(resolveThresholds('int8', parseThresholds(['top1@maps=0.1'])), { outputs });
    expect(
      one
        .filter((c) => c.metric === 'top1')
        .map((c) => c.id)
        .sort(),
    ).toEqual(['top1@logits', 'top1@maps']);
  });

  it('treats results without roles as before: top-1 defaults on every output that has top-1', () => {
    const legacy = [comparison('a', undefined, { top1: 0.5 }), comparison('b', undefined, { top1: undefined, top5: undefined })];
    expect(legacy.map(roleOf)).toEqual(['class-scores', 'other']);
    const checks = evaluateThresholds(resolveThresholds('fp16'), { outputs: legacy });
    expect(checks.map((c) => c.id).sort()).toEqual(['cosine@a', 'cosine@b', 'nan@a', 'nan@b', 'top1@a']);
  });
});

describe('validate() on built models', () => {
  it('a hidden-state output with cosine ~1 and a low top-1 does not fail by default', async () => {
    const dir = tempDir();
    const result = await validate({
      baseline: save(hiddenState(0), 'base.onnx', dir),
      candidate: save(hiddenState(0.5), 'cand.onnx', dir),
      kind: 'int8',
    });
    const out = result.outputs[0]!;
    expect(out).toMatchObject({ name: 'last_hidden_state', role: 'other' });
    expect(out.metrics.cosine).toBeGreaterThan(0.999);
    expect(out.metrics.top1).toBeLessThan(0.95); // what failed before: the int8 default top-1 limit
    expect(result.checks.map((c) => c.id).sort()).toEqual(['cosine@last_hidden_state', 'nan@last_hidden_state']);
    expect(result.passed).toBe(true);
  });

  it('a 320-wide probability map is not class scores: its top-1 is reported, not checked', async () => {
    const dir = tempDir();
    const result = await validate({
      baseline: save(probabilityMap(0), 'base.onnx', dir),
      candidate: save(probabilityMap(0.01), 'cand.onnx', dir),
      kind: 'fp16',
    });
    const out = result.outputs[0]!;
    expect(out).toMatchObject({ name: 'maps', dims: [1, 1, 64, 320], role: 'other' });
    expect(out.metrics.cosine).toBeGreaterThan(0.9999);
    expect(out.metrics.top1).toBeLessThan(0.99);
    expect(result.checks.some((c) => c.metric === 'top1')).toBe(false);
    expect(result.passed).toBe(true);
  });

  it('a real classifier is still checked: a perturbed Gemm fails top-1', async () => {
    const dir = tempDir();
    const result = await validate({
      baseline: save(classifier(64), 'base.onnx', dir),
      candidate: save(classifier(64, 0.3), 'cand.onnx', dir),
      kind: 'int8',
    });
    expect(result.outputs[0]).toMatchObject({ name: 'logits', role: 'class-scores' });
    const top1 = result.checks.find((c) => c.id === 'top1@logits')!;
    expect(top1).toMatchObject({ status: 'fail', limit: 0.95, source: 'default' });
    expect(top1.actual).toBe(result.outputs[0]!.metrics.top1);
    expect(result.passed).toBe(false);
  });

  it("an LSTM's h and c are recurrent states with the looser cosine; its answers keep the strict one", async () => {
    const dir = tempDir();
    // Recurrent weights scaled by 1.3 (and the candidate's LSTM inside an If, as a VAD model exports it).
    const result = await validate({
      baseline: save(recurrent(), 'base.onnx', dir),
      candidate: save(recurrent(1.3, { insideIf: true }), 'cand.onnx', dir),
      kind: 'int8',
    });
    const roles = Object.fromEntries(result.outputs.map((o) => [o.name, o.role]));
    expect(roles).toEqual({ prob: 'other', Y: 'other', Y_h: 'recurrent-state', Y_c: 'recurrent-state' });
    const checks: Record<string, ThresholdCheck> = Object.fromEntries(result.checks.filter((c) => c.metric === 'cosine').map((c) => [c.output!, c]));
    expect(Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, c.limit]))).toEqual({ prob: 0.999, Y: 0.999, Y_h: 0.99, Y_c: 0.99 });
    for (const state of ['Y_h', 'Y_c']) {
      expect(checks[state]!.actual!).toBeLessThan(0.999); // beyond what an answer may drift...
      expect(checks[state]).toMatchObject({ status: 'pass' }); // ...within what a state may
      expect(checks[state]!.message).toContain(`${state} (recurrent state)`);
    }
    // The hidden sequence Y drifts less than the states, but it is an answer: the strict limit fails it.
    expect(checks['Y']!.actual!).toBeGreaterThan(checks['Y_h']!.actual!);
    expect(checks['Y']).toMatchObject({ status: 'fail' });
  });
});
