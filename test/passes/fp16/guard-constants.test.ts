/**
 * The FP16 default never breaks a model through its constants (constants.ts): models built with the statistics
 * that broke real ones run in onnxruntime-node, converted with the default options, at cosine >= 0.9999 against
 * float32, while the old behaviour (`guardConstants: false`: clamp and round like any other value) is measured
 * on the same model and inputs to show what it broke.
 */
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Graph, Node } from '../../../src/ir/graph.js';
import type { Model } from '../../../src/ir/model.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { parseModel } from '../../../src/io/load.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import type { Fp16Options } from '../../../src/passes/fp16/options.js';
import { GraphBuilder, ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { mulberry32 } from '../../../src/validate/synthesize.js';
import { cosine } from '../../helpers/metrics.js';
import { runModelValues } from '../../helpers/ort.js';

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;

/** Uniform in [-scale, scale), deterministic. */
function uniform(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (next() * 2 - 1) * scale);
}

const CHANNELS = 16;
const WIDE = 4;

/**
 * A detector's Conv + BatchNormalization: four output channels have weights of up to 5,700 (their outputs have a
 * standard deviation near 9,900, still inside float16) and a running variance of 9.8e7, which float16 cannot hold.
 */
function convBatchNorm(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', F32, [1, 3, 16, 16]);
  const w = new Float32Array(CHANNELS * 27);
  for (let c = 0; c < CHANNELS; c++) w.set(uniform(27, 100 + c, c < WIDE ? 5700 : 1), c * 27);
  const conv = b.node(
    'Conv',
    [x, b.initializer('conv.weight', w, [CHANNELS, 3, 3, 3]), b.initializer('conv.bias', uniform(CHANNELS, 7, 0.1), [CHANNELS])],
    { pads: [1, 1, 1, 1] },
    { name: 'conv' },
  );
  const variance = Float32Array.from({ length: CHANNELS }, (_, c) => (c < WIDE ? 9.8e7 : 3));
  const bn = b.node(
    'BatchNormalization',
    [
      conv,
      b.initializer('bn.weight', new Float32Array(CHANNELS).fill(1), [CHANNELS]),
      b.initializer('bn.bias', uniform(CHANNELS, 8, 0.1), [CHANNELS]),
      b.initializer('bn.running_mean', new Float32Array(CHANNELS), [CHANNELS]),
      b.initializer('bn.running_var', variance, [CHANNELS]),
    ],
    { epsilon: 1e-5 },
    { name: 'bn' },
  );
  b.output(b.node('Relu', [bn], {}, { name: 'relu' }), F32, [1, CHANNELS, 16, 16]);
  return b.build();
}

/**
 * LayerNormalization as torch.onnx writes it below opset 17 (BERT's epsilon, 1e-12), over rows of which two are
 * all zeros (padding frames): in float16 the epsilon is 0 and those rows compute 0 / 0. The fused op with the same
 * epsilon is the second output (its epsilon is an attribute, which stays float32).
 */
function decomposedLayerNorm(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', F32, [4, 16]);
  const centered = b.node('Sub', [x, b.node('ReduceMean', [x], { axes: [-1] })]);
  const variance = b.node('ReduceMean', [b.node('Pow', [centered, b.initializer('two', Float32Array.of(2), [])])], { axes: [-1] });
  const withEps = b.node('Add', [variance, b.initializer('ln.eps', Float32Array.of(1e-12), [])], {}, { name: 'ln.add_eps' });
  const normalized = b.node('Div', [centered, b.node('Sqrt', [withEps], {}, { name: 'ln.sqrt' })], {}, { name: 'ln.div' });
  const gamma = b.initializer('ln.weight', uniform(16, 3), [16]);
  const beta = b.initializer('ln.bias', uniform(16, 4, 0.5), [16]);
  b.output(b.node('Add', [b.node('Mul', [normalized, gamma]), beta]), F32, [4, 16]);
  b.output(b.node('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: 1e-12 }, { name: 'fused_ln' }), F32, [4, 16]);
  return b.build();
}

/** Features in different units scaled by constants, four of them beyond float16 (1e5 to 1e6), then a projection. */
function divideByHugeConstants(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', F32, [4, 8]);
  const scale = b.initializer('feature_scale', Float32Array.of(1e5, 2e5, 5e5, 1e6, 1, 2, 4, 8), [8]);
  const normalized = b.node('Div', [x, scale], {}, { name: 'normalize' });
  b.output(b.node('MatMul', [normalized, b.initializer('w', uniform(32, 5), [8, 4])], {}, { name: 'project' }), F32, [4, 4]);
  return b.build();
}

const feeds = {
  convBatchNorm: new Map([['x', tensorOf('x', uniform(768, 11), [1, 3, 16, 16])]]),
  // Rows 2 and 3 are zeros.
  decomposedLayerNorm: new Map([
    [
      'x',
      tensorOf(
        'x',
        Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? 3 * Math.sin(i) : 0)),
        [4, 16],
      ),
    ],
  ]),
  // Features 0-3 in thousands (up to 3e4, inside float16), 4-7 near 1.
  divideByHugeConstants: new Map([
    [
      'x',
      tensorOf(
        'x',
        Float32Array.from({ length: 32 }, (_, i) => (i % 8 < 4 ? 3e4 * Math.sin(i) : Math.cos(i))),
        [4, 8],
      ),
    ],
  ]),
};

/** Cosine of every output of the converted model against the float32 model's, in output order. */
async function cosines(
  build: () => Model,
  inputs: ReadonlyMap<string, Tensor>,
  options: Fp16Options,
): Promise<{ cosines: number[]; model: Model; notes: string[] }> {
  const reference = [...(await runModelValues(build(), inputs)).values()];
  const model = build();
  const { summary } = toFloat16(model, { keepIoTypes: true, ...options });
  const got = [...(await runModelValues(parseModel(modelToBytes(model)), inputs)).values()];
  return { cosines: got.map((o, i) => cosine(o.values, reference[i]!.values)), model, notes: summary.notes };
}

const nodeNamed = (graph: Graph, name: string): Node => [...graph.nodes].find((n) => n.name === name)!;

describe('FP16 defaults keep float32 what computes from constants float16 cannot hold', () => {
  it('Conv + BatchNormalization with a running variance of 9.8e7: cosine >= 0.9999 (clamping gave 0.76)', async () => {
    const fixed = await cosines(convBatchNorm, feeds.convBatchNorm, {});
    expect(fixed.cosines[0]).toBeGreaterThanOrEqual(0.9999);
    const { summary } = toFloat16(convBatchNorm(), { keepIoTypes: true });
    expect(summary.kept.nodes.map((k) => [k.name, k.reason, k.detail])).toEqual([
      ['bn', 'unsafe-constant', "'bn.running_var' holds 4 value(s) beyond +-65504 (largest 9.8e+7)"],
    ]);
    expect(summary.clamped).toEqual([]);
    expect(summary.kept.initializers).toContain('bn.running_var');
    // The Conv still runs in float16; only the BatchNormalization reads float32.
    expect(fixed.model.graph.initializers.get('conv.weight')!.initializer!.dataType).toBe(F16);
    expect(fixed.notes.join('\n')).toMatch(
      /kept 1 node\(s\) float32 because float16 cannot hold constants they compute from: BatchNormalization 'bn'/,
    );
    expect(fixed.notes.join('\n')).toMatch(/--auto-block --inputs DIR/);

    // The old behaviour: the variance clamped to 65504, the four wide channels come out 38.7x too large.
    const clamped = await cosines(convBatchNorm, feeds.convBatchNorm, { guardConstants: false });
    expect(clamped.cosines[0]).toBeLessThan(0.8);
    expect(clamped.notes.join('\n')).toMatch(
      /4 value\(s\) beyond \+-65504 clamped in 1 tensor\(s\); if outputs drift, try --auto-block --inputs DIR/,
    );
  });

  it('a decomposed LayerNormalization with epsilon 1e-12 over zero rows: the epsilon path stays float32 (it was NaN)', async () => {
    const fixed = await cosines(decomposedLayerNorm, feeds.decomposedLayerNorm, {});
    expect(fixed.cosines[0]).toBeGreaterThanOrEqual(0.9999);
    expect(fixed.cosines[1]).toBeGreaterThanOrEqual(0.9999);
    const { summary } = toFloat16(decomposedLayerNorm(), { keepIoTypes: true });
    expect(summary.kept.nodes.map((k) => [k.name, k.reason])).toEqual([
      ['ln.add_eps', 'unsafe-constant'],
      ['ln.sqrt', 'unsafe-constant'],
      ['ln.div', 'unsafe-constant'],
    ]);
    expect(summary.kept.nodes[0]!.detail).toBe("'ln.eps' (1e-12) is 0 in float16, and Div 'ln.div' divides by what it keeps away from 0");

    // The old behaviour: 0 / 0 on the zero rows; the fused op was fine either way.
    const flushed = await cosines(decomposedLayerNorm, feeds.decomposedLayerNorm, { guardConstants: false });
    expect(flushed.cosines[0]).toBeNaN();
    expect(flushed.cosines[1]).toBeGreaterThanOrEqual(0.9999);
  });

  it('Div by constants of 1e5 to 1e6: cosine >= 0.9999 (clamping gave 0.73)', async () => {
    const fixed = await cosines(divideByHugeConstants, feeds.divideByHugeConstants, {});
    expect(fixed.cosines[0]).toBeGreaterThanOrEqual(0.9999);
    expect(fixed.model.graph.initializers.get('feature_scale')!.initializer!.dataType).toBe(F32);
    expect(nodeNamed(fixed.model.graph, 'project').input(1)!.initializer!.dataType).toBe(F16);
    const clamped = await cosines(divideByHugeConstants, feeds.divideByHugeConstants, { guardConstants: false });
    expect(clamped.cosines[0]).toBeLessThan(0.8);
  });

  it('a second run changes nothing', () => {
    for (const build of [convBatchNorm, decomposedLayerNorm, divideByHugeConstants]) {
      const model = build();
      toFloat16(model, { keepIoTypes: true });
      const once = modelToBytes(model);
      const again = parseModel(once);
      expect(toFloat16(again, { keepIoTypes: true }).modified).toBe(false);
      expect(modelToBytes(again)).toEqual(once);
    }
  });
});

describe('which constants and nodes the guard keeps', () => {
  const kept = (model: Model, options: Fp16Options = {}): Record<string, string> => {
    const { summary } = toFloat16(model, options);
    return Object.fromEntries(summary.kept.nodes.filter((k) => k.reason === 'unsafe-constant').map((k) => [k.name!, k.detail!]));
  };

  it('divisors float16 moves or zeroes, and nothing that merely rounds', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [3]);
    b.output(b.node('Div', [x, b.initializer('tiny', Float32Array.of(1, 1e-8, 2), [3])], {}, { name: 'zeroed' }), F32, [3]);
    b.output(b.node('Div', [x, b.initializer('subnormal', Float32Array.of(1e-6), [])], {}, { name: 'moved' }), F32, [3]);
    b.output(b.node('Div', [x, b.initializer('fine', Float32Array.of(3e-4, 7, 1 / 3), [3])], {}, { name: 'rounded' }), F32, [3]);
    b.output(b.node('Mul', [x, b.initializer('small', Float32Array.of(1e-8), [])], {}, { name: 'scaled' }), F32, [3]);
    expect(kept(b.build())).toEqual({
      zeroed: "divides by 'tiny' (1e-8 becomes 0 in float16)",
      moved: "divides by 'subnormal' (1e-6 becomes 1.01e-6, 1.33% off in float16)",
    });
  });

  it('BatchNormalization whose multiplier float16 moves: a tiny variance with a tiny epsilon; not the usual epsilon, not a dead channel', () => {
    const build = (epsilon: number, scale = [1, 1], variance = [1, 1e-9]): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', F32, [1, 2, 2, 2]);
      const c = (name: string, values: number[]): ReturnType<ModelBuilder['initializer']> => b.initializer(name, Float32Array.from(values), [2]);
      b.output(
        b.node('BatchNormalization', [x, c('s', scale), c('b', [0, 0]), c('m', [0, 0]), c('v', variance)], { epsilon }, { name: 'bn' }),
        F32,
        [1, 2, 2, 2],
      );
      return b.build();
    };
    const found = kept(build(1e-12));
    expect(Object.keys(found)).toEqual(['bn']);
    // 1 / sqrt(1e-12) instead of 1 / sqrt(1e-9 + 1e-12): sqrt(1001) = 31.6 times too large.
    expect(found.bn).toBe('float16 moves its multiplier scale / sqrt(var + epsilon) by 3060% on channel 1 (var 1e-9 becomes 0, epsilon 1e-12)');
    expect(kept(build(1e-5))).toEqual({});
    // A scale of 1e-9 becomes 0: that channel's output moves by 1e-9, nothing next to the other channel's.
    expect(kept(build(1e-12, [1, 1e-9], [1, 1]))).toEqual({});
  });

  it('follows a constant through Reshape to the node computing from it; shape-only readers do not count', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2, 2]);
    const big = b.initializer('big', Float32Array.of(1e5, 2, 3, 4), [4]);
    const reshaped = b.node('Reshape', [big, b.initializer('shape', BigInt64Array.of(2n, 2n), [2])], {}, { name: 'reshape' });
    b.output(b.node('Mul', [x, reshaped], {}, { name: 'mul' }), F32, [2, 2]);
    b.output(b.node('Shape', [big], {}, { name: 'shape_of' }), DataType.INT64, [1]);
    const found = kept(b.build());
    expect(Object.keys(found).sort()).toEqual(['mul', 'reshape']);
    expect(found.mul).toBe("'big' holds 1 value(s) beyond +-65504 (largest 1e+5)");
  });

  it('a mask fill stands in for infinity: float32 extremes anywhere, single values read only by Where/Max/Min/Clip', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [4]);
    const cond = b.input('cond', DataType.BOOL, [4]);
    b.output(b.node('Where', [cond, x, b.initializer('fill', Float32Array.of(-1e9), [])], {}, { name: 'mask' }), F32, [4]);
    b.output(b.node('Add', [x, b.initializer('extreme', Float32Array.of(-3.4028234663852886e38), [])], {}, { name: 'add_extreme' }), F32, [4]);
    b.output(b.node('Add', [x, b.initializer('offset', Float32Array.of(-1e9), [])], {}, { name: 'add_offset' }), F32, [4]);
    const model = b.build();
    const { summary } = toFloat16(model);
    expect(summary.kept.nodes.map((k) => k.name)).toEqual(['add_offset']);
    expect(summary.clamped).toEqual([
      { tensor: 'fill', count: 1, standIn: true },
      { tensor: 'extreme', count: 1, standIn: true },
    ]);
    expect(summary.notes.join('\n')).toMatch(
      /2 value\(s\) beyond \+-65504 clamped in 2 tensor\(s\); each stands in for infinity .*: 'fill', 'extreme'; if outputs drift, try --auto-block --inputs DIR/,
    );
  });

  it('keeps a node inside an If branch that reads an outer constant beyond float16', () => {
    const b = new ModelBuilder();
    const cond = b.input('cond', DataType.BOOL, []);
    const x = b.input('x', F32, [2]);
    const big = b.initializer('big', Float32Array.of(2e5, 1), [2]);
    const thenB = new GraphBuilder('then');
    thenB.output(thenB.node('Mul', [x, big], {}, { name: 'inner_mul' }), F32, [2]);
    const elseB = new GraphBuilder('else');
    elseB.output(elseB.node('Neg', [x], {}, { name: 'inner_neg' }), F32, [2]);
    b.output(b.node('If', [cond], { then_branch: thenB.graph, else_branch: elseB.graph }), F32, [2]);
    const model = b.build();
    expect(Object.keys(kept(model))).toEqual(['inner_mul']);
    expect(model.graph.initializers.get('big')!.initializer!.dataType).toBe(F32);
  });

  it('an epsilon that only --flush-subnormals zeroes is guarded only then; log(x + eps) counts too', () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', F32, [4]);
      b.output(
        b.node('Log', [b.node('Add', [x, b.initializer('eps', Float32Array.of(1e-6), [])], {}, { name: 'add_eps' })], {}, { name: 'log' }),
        F32,
        [4],
      );
      return b.build();
    };
    expect(kept(build())).toEqual({});
    expect(Object.keys(kept(build(), { flushSubnormals: true }))).toEqual(['add_eps', 'log']);
  });

  it('guardConstants: false keeps nothing for constants', () => {
    expect(kept(convBatchNorm(), { guardConstants: false })).toEqual({});
  });
});
