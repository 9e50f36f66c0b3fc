import { describe, expect, it } from 'vitest';
import { Attribute } from '../../../src/ir/attribute.js';
import { DataType } from '../../../src/ir/dtypes.js';
import { Value, type Graph, type Node } from '../../../src/ir/graph.js';
import { OnnxFunction, type Model } from '../../../src/ir/model.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { tensorType } from '../../../src/ir/types.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { parseModel } from '../../../src/io/load.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { GraphBuilder, ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { expectTopologicallySorted } from './graph-checks.js';
import { maxAbsDiff } from '../../helpers/metrics.js';
import { runModelValues as runModel } from '../../helpers/ort.js';

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;

const f32 = (name: string, values: number[], dims: number[] = [values.length]): Tensor => tensorOf(name, new Float32Array(values), dims);

/** Round trip through bytes, as a file would. */
const reload = (model: Model): Model => parseModel(modelToBytes(model));

function nodesOf(graph: Graph, op?: string): Node[] {
  return [...graph.nodes].filter((n) => !op || n.opType === op);
}

const castTo = (n: Node): DataType => n.attr('to')!.asNumber();

function elemOf(v: Value | null | undefined): number | undefined {
  const t = v?.type;
  return t && t.kind === 'tensor' ? t.elemType : undefined;
}

function mlp(): { model: Model; x: Float32Array } {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', F32, [2, 3]);
  const w = b.initializer('w', new Float32Array([0.5, -1, 2, 0.25, 1.5, -0.75]), [3, 2]);
  const bias = b.initializer('bias', new Float32Array([0.1, -0.2]), [2]);
  const h = b.node('Add', [b.node('MatMul', [x, w]), bias]);
  b.output(b.node('Relu', [h]), F32, [2, 2]);
  return { model: b.build(), x: new Float32Array([1, 2, 3, -1, 0.5, 4]) };
}

function ifModel(): Model {
  const b = new ModelBuilder();
  const cond = b.input('cond', DataType.BOOL, []);
  const x = b.input('x', F32, [2]);
  const w = b.initializer('w', new Float32Array([2, 3]), [2]);
  const thenB = new GraphBuilder('then');
  thenB.output(thenB.node('Mul', [x, w]), F32, [2]);
  const elseB = new GraphBuilder('else');
  const k = elseB.node('Constant', [], { value: f32('k', [10, 20]) });
  // A Range inside a branch: blocked, reading the outer float16 x.
  const r = elseB.node('Range', [
    elseB.node('ReduceMin', [x], { keepdims: 0 }),
    elseB.node('ReduceMax', [k], { keepdims: 0 }),
    elseB.node('Constant', [], { value: f32('step', [9], []) }),
  ]);
  elseB.output(
    elseB.node('Slice', [
      elseB.node('Add', [r, elseB.node('Constant', [], { value: f32('z', [0], [1]) })]),
      elseB.node('Constant', [], { value: tensorOf('s', new BigInt64Array([0n]), [1]) }),
      elseB.node('Constant', [], { value: tensorOf('e', new BigInt64Array([2n]), [1]) }),
    ]),
    F32,
    [2],
  );
  const y = b.node('If', [cond], { then_branch: thenB.graph, else_branch: elseB.graph });
  b.output(b.node('Add', [y, x]), F32, [2]);
  return b.build();
}

/** x -> ScaleUp -> ScaleUp, where ScaleUp(a) = Cast(a * 1.5, to=FLOAT) is a model-local function. */
function functionModel(): { model: Model; fn: OnnxFunction } {
  const body = new GraphBuilder('body');
  const inp = new Value('a');
  body.graph.inputs.push(inp);
  const k = body.node('Constant', [], { value: f32('k', [1.5], []) });
  body.graph.appendOutput(body.node('Cast', [body.node('Mul', [inp, k])], { to: F32 }));
  const fn = new OnnxFunction({ name: 'ScaleUp', domain: 'local', body: body.graph });
  fn.opsetImports = [{ domain: '', version: 17 }];
  const b = new ModelBuilder({ opsets: { local: 1 } });
  const x = b.input('x', F32, [2]);
  const y = b.node('ScaleUp', [x], {}, { domain: 'local' });
  b.output(b.node('ScaleUp', [y], {}, { domain: 'local' }), F32, [2]);
  const model = b.build();
  model.functions.push(fn);
  return { model, fn };
}

describe('toFloat16: weights, constants, types', () => {
  it('converts initializers, inputs, outputs and keeps results close in ONNX Runtime', async () => {
    const { model, x } = mlp();
    const ref = await runModel(model, { x: f32('x', [...x], [2, 3]) });
    const { modified, summary } = toFloat16(model);
    expect(modified).toBe(true);
    expect(model.graph.initializers.get('w')!.initializer!.dataType).toBe(F16);
    expect(elemOf(model.graph.inputs[0])).toBe(F16);
    expect(elemOf(model.graph.outputs[0])).toBe(F16);
    expect(summary.converted.initializers).toBe(2);
    expect(summary.converted.initializerBytes).toEqual({ before: 32, after: 16 });
    expect(nodesOf(model.graph, 'Cast')).toHaveLength(0);
    const x16 = tensorOf('x', new Uint16Array(6), [2, 3], F16);
    // float16 bits of the inputs, computed by hand: 1, 2, 3, -1, 0.5, 4
    (x16.toTypedArray() as Uint16Array).set([0x3c00, 0x4000, 0x4200, 0xbc00, 0x3800, 0x4400]);
    const got = await runModel(model, { x: x16 });
    expect(got.get(model.graph.outputs[0]!.name)!.type).toBe('float16');
    expect(maxAbsDiff(got.values().next().value!.values, ref.values().next().value!.values)).toBeLessThan(1e-2);
  });

  it('--keep-io-types keeps float32 at the boundary with one Cast each way, names unchanged', async () => {
    const { model, x } = mlp();
    const ref = await runModel(model, { x: f32('x', [...x], [2, 3]) });
    const outName = model.graph.outputs[0]!.name;
    toFloat16(model, { keepIoTypes: true });
    expect(elemOf(model.graph.inputs[0])).toBe(F32);
    expect(elemOf(model.graph.outputs[0])).toBe(F32);
    expect(model.graph.outputs[0]!.name).toBe(outName);
    const casts = nodesOf(model.graph, 'Cast');
    expect(casts.map(castTo).sort()).toEqual([F32, F16]);
    expect(casts.find((c) => castTo(c) === F16)!.input(0)).toBe(model.graph.inputs[0]);
    expect(casts.find((c) => castTo(c) === F32)!.output(0)).toBe(model.graph.outputs[0]);
    expectTopologicallySorted(model.graph);
    const got = await runModel(reload(model), { x: f32('x', [...x], [2, 3]) });
    expect(got.get(outName)!.type).toBe('float32');
    expect(maxAbsDiff(got.get(outName)!.values, ref.get(outName)!.values)).toBeLessThan(1e-2);
  });

  it('--keep-io-types with names keeps only those', () => {
    const b = new ModelBuilder();
    const a = b.input('a', F32, [2]);
    const c = b.input('c', F32, [2]);
    const s = b.node('Add', [a, c]);
    b.output(b.node('Neg', [s]), F32, [2]);
    b.output(b.node('Abs', [s]), F32, [2]);
    const model = b.build();
    const [o1, o2] = model.graph.outputs.map((v) => v.name);
    const { summary } = toFloat16(model, { keepIoTypes: ['c', o2!, 'nope'] });
    const types = Object.fromEntries([...model.graph.inputs, ...model.graph.outputs].map((v) => [v.name, elemOf(v)]));
    expect(types).toEqual({ a: F16, c: F32, [o1!]: F16, [o2!]: F32 });
    expect(nodesOf(model.graph, 'Cast')).toHaveLength(2);
    expect(summary.kept.io.sort()).toEqual(['c', o2!].sort());
    expect(summary.notes.join(' ')).toContain('nope');
  });

  it('rewrites Cast(to=FLOAT), Constant values (value, value_float, value_floats) and ConstantOfShape', () => {
    const b = new ModelBuilder();
    const n = b.input('n', DataType.INT64, [3]);
    const asFloat = b.node('Cast', [n], { to: F32 });
    const k = b.node('Constant', [], { value: f32('k', [2, 4, 8]) });
    const s = b.node('Constant', [], { value_float: Attribute.float('value_float', 0.5) });
    const l = b.node('Constant', [], { value_floats: new Attribute('value_floats', 6, new Float32Array([1, 2, 3])) });
    const shape = b.node('Constant', [], { value: tensorOf('shape', new BigInt64Array([3n]), [1]) });
    const zeros = b.node('ConstantOfShape', [shape]);
    const sevens = b.node('ConstantOfShape', [shape], { value: f32('seven', [7], [1]) });
    const y = b.node('Sum', [b.node('Mul', [asFloat, k]), s, l, zeros, sevens]);
    b.output(y, F32, [3]);
    const model = b.build();
    const { summary } = toFloat16(model);
    const cast = nodesOf(model.graph, 'Cast')[0]!;
    expect(castTo(cast)).toBe(F16);
    for (const c of nodesOf(model.graph, 'Constant')) {
      expect(c.attr('value_float')).toBeUndefined();
      expect(c.attr('value_floats')).toBeUndefined();
      const t = c.attr('value')!.value as Tensor;
      if (t.dataType !== DataType.INT64) expect(t.dataType).toBe(F16);
    }
    const [cs1, cs2] = nodesOf(model.graph, 'ConstantOfShape');
    expect((cs1!.attr('value')!.value as Tensor).dataType).toBe(F16);
    expect([...((cs1!.attr('value')!.value as Tensor).toTypedArray() as Uint16Array)]).toEqual([0]);
    expect([...((cs2!.attr('value')!.value as Tensor).toTypedArray() as Uint16Array)]).toEqual([0x4700]); // 7.0
    expect(summary.converted.castTargets).toBe(1);
    expect(summary.converted.constants).toBe(5);
    const s16 = nodesOf(model.graph, 'Constant')
      .find((c) => c.output(0) === s.producer()!.output(0))!
      .attr('value')!.value as Tensor;
    expect([...(s16.toTypedArray() as Uint16Array)]).toEqual([0x3800]);
    expect(s16.dims).toEqual([]);
  });

  it('sets dtype attributes to float16 when the op is not blocked', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.INT32, [2, 2]);
    const eye = b.node('EyeLike', [x], { dtype: F32 });
    b.output(eye, F32, [2, 2]);
    const model = b.build();
    toFloat16(model, { defaultBlockList: false });
    expect(eye.producer()!.attr('dtype')!.asNumber()).toBe(F16);
    expect(elemOf(model.graph.outputs[0])).toBe(F16);
  });

  it('leaves float64 and integer tensors alone', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.DOUBLE, [2]);
    const d = b.initializer('d', new Float64Array([1.5, 2.5]), [2]);
    const i = b.initializer('i', new Int32Array([1, 2]), [2]);
    b.output(b.node('Add', [x, d]), DataType.DOUBLE, [2]);
    b.output(b.node('Neg', [i]), DataType.INT32, [2]);
    const model = b.build();
    const before = modelToBytes(model);
    const { modified, summary } = toFloat16(model);
    expect(modified).toBe(false);
    expect(summary.notes[0]).toMatch(/no float32 tensors/);
    expect(modelToBytes(model)).toEqual(before);
  });
});

describe('toFloat16: blocked nodes', () => {
  /** x -> Add(c) -> Range(start, limit, delta) -> Mul(c) -> y; Range has no float16 type. */
  function rangeModel(): Model {
    const b = new ModelBuilder();
    const x = b.input('x', F32, []);
    const c = b.initializer('c', new Float32Array([0.1]), []);
    const limit = b.node('Add', [x, c]);
    const r = b.node('Range', [c, limit, c]);
    b.output(b.node('Mul', [r, c]), F32, [null]);
    return b.build();
  }

  it('a blocked node reads float32 through Casts and its output is cast back', async () => {
    const model = rangeModel();
    // x = 1.05: the Range length, ceil((x + 0.1 - 0.1) / 0.1), is 11 with either precision.
    const ref = await runModel(model, { x: f32('x', [1.05], []) });
    const { summary } = toFloat16(model, { keepIoTypes: true });
    const range = nodesOf(model.graph, 'Range')[0]!;
    // limit comes from a float16 Add: a Cast to float32; start and delta read an exact float32 copy of c.
    const limitCast = range.input(1)!.producer()!;
    expect(limitCast.opType).toBe('Cast');
    expect(castTo(limitCast)).toBe(F32);
    const copy = range.input(0)!;
    expect(range.input(2)).toBe(copy);
    expect(copy.initializer!.dataType).toBe(F32);
    expect([...(copy.initializer!.toTypedArray() as Float32Array)]).toEqual([Math.fround(0.1)]);
    // The Add and the Mul read float16 c.
    const c = model.graph.initializers.get('c')!;
    expect(c.initializer!.dataType).toBe(F16);
    expect(new Set(c.uses().map((u) => u.node.opType))).toEqual(new Set(['Add', 'Mul']));
    const out = range.output(0).uses();
    expect(out).toHaveLength(1);
    expect(out[0]!.node.opType).toBe('Cast');
    expect(castTo(out[0]!.node)).toBe(F16);
    expect(summary.kept.nodes).toEqual([expect.objectContaining({ op: 'Range', reason: 'block-list' })]);
    expect(summary.inserted.constantCopies).toBe(1);
    expectTopologicallySorted(model.graph);
    const got = await runModel(reload(model), { x: f32('x', [1.05], []) });
    const name = model.graph.outputs[0]!.name;
    expect(got.get(name)!.values.length).toBe(ref.get(name)!.values.length);
    expect(maxAbsDiff(got.get(name)!.values, ref.get(name)!.values)).toBeLessThan(2e-3);
  });

  it('--block-ops and --block-nodes keep nodes float32', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2]);
    const y = b.node('Exp', [x], {}, { name: 'exp1' });
    const z = b.node('Sqrt', [y], {}, { name: 'sqrt1' });
    b.output(b.node('Neg', [z], {}, { name: 'neg1' }), F32, [2]);
    const m1 = b.build();
    const r1 = toFloat16(m1, { blockOps: ['Exp,Neg'], keepIoTypes: true });
    expect(r1.summary.kept.nodes.map((k) => k.name).sort()).toEqual(['exp1', 'neg1']);
    expect(elemOf(m1.graph.inputs[0])).toBe(F32);
    // x feeds Exp directly in float32; Exp's output is cast down for Sqrt, whose output is cast up for Neg.
    expect(nodesOf(m1.graph, 'Cast').map(castTo).sort()).toEqual([F32, F16]);
    expect(nodesOf(m1.graph, 'Exp')[0]!.input(0)).toBe(m1.graph.inputs[0]);
  });

  it('an initializer read by float16 and float32 nodes is served exactly to both', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [3]);
    const w = b.initializer('w', new Float32Array([0.1, 70000, 3]), [3]);
    const a = b.node('Mul', [x, w], {}, { name: 'mul16' });
    const c = b.node('Celu', [w], {}, { name: 'celu32' }); // Celu has no float16 type
    b.output(b.node('Add', [a, c]), F32, [3]);
    const model = b.build();
    // guardConstants off: 70000 would keep the Mul float32 (guard-constants.test.ts); here both readers must be served.
    const { summary } = toFloat16(model, { keepIoTypes: true, guardConstants: false });
    const mul = nodesOf(model.graph, 'Mul')[0]!;
    const celu = nodesOf(model.graph, 'Celu')[0]!;
    expect(mul.input(1)!.initializer!.dataType).toBe(F16);
    expect(celu.input(0)!.initializer!.dataType).toBe(F32);
    expect([...(celu.input(0)!.initializer!.toTypedArray() as Float32Array)]).toEqual([Math.fround(0.1), 70000, 3]);
    expect(summary.clamped).toEqual([{ tensor: 'w', count: 1 }]);
    const got = await runModel(reload(model), { x: f32('x', [1, 0, 2], [3]) });
    expect(got.values().next().value!.type).toBe('float32');
  });

  it('Resize keeps its scales float32 and runs X in float16', async () => {
    const b = new ModelBuilder({ opset: 13 });
    const x = b.input('x', F32, [1, 1, 2, 2]);
    const scales = b.initializer('scales', new Float32Array([1, 1, 2, 2]), [4]);
    const y = b.node('Resize', [x, null, scales], { mode: 'nearest' });
    b.output(y, F32, [1, 1, 4, 4]);
    const model = b.build();
    toFloat16(model);
    expect(model.graph.initializers.get('scales')!.initializer!.dataType).toBe(F32);
    expect(elemOf(model.graph.inputs[0])).toBe(F16);
    expect(nodesOf(model.graph, 'Cast')).toHaveLength(0);
    const x16 = tensorOf('x', new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400]), [1, 1, 2, 2], F16);
    const got = await runModel(reload(model), { x: x16 });
    expect([...got.values().next().value!.values.slice(0, 4)]).toEqual([1, 1, 2, 2]);
  });

  it('a Cast(to=FLOAT) read only by float32 nodes stays float32', () => {
    const b = new ModelBuilder();
    const n = b.input('n', DataType.INT64, []);
    const limit = b.node('Cast', [n], { to: F32 });
    const zero = b.initializer('zero', new Float32Array([0]), []);
    const one = b.initializer('one', new Float32Array([1]), []);
    b.output(b.node('Range', [zero, limit, one]), F32, [null]);
    const model = b.build();
    toFloat16(model, { keepIoTypes: true });
    expect(castTo(limit.producer()!)).toBe(F32);
    expect(model.graph.initializers.get('zero')!.initializer!.dataType).toBe(F32);
    expect(nodesOf(model.graph, 'Cast')).toHaveLength(1);
  });
});

describe('toFloat16: float math on integers', () => {
  /** T5's relative-position buckets: int -> Cast -> Div -> Log -> Mul -> Cast int64; `leak` also adds the float result to x. */
  function buckets(leak: boolean): Model {
    const b = new ModelBuilder();
    const pos = b.input('pos', DataType.INT64, [4]);
    const x = b.input('x', F32, [4]);
    const f = b.node('Cast', [pos], { to: F32 }, { name: 'to_float' });
    const d = b.node('Div', [f, b.initializer('eight', new Float32Array([8]), [])], {}, { name: 'div' });
    const l = b.node('Log', [d], {}, { name: 'log' });
    const m = b.node('Mul', [l, b.initializer('four', new Float32Array([4]), [])], {}, { name: 'mul' });
    b.output(b.node('Cast', [m], { to: DataType.INT64 }), DataType.INT64, [4]);
    b.output(b.node('Add', [x, leak ? m : x]), F32, [4]);
    return b.build();
  }

  it('stays float32 without a single Cast when it starts and ends in integers', () => {
    const model = buckets(false);
    const { summary } = toFloat16(model, { keepIoTypes: true });
    expect(summary.kept.nodes.map((k) => `${k.name}:${k.reason}`).sort()).toEqual(['div:index-math', 'log:index-math', 'mul:index-math']);
    const toFloat = nodesOf(model.graph, 'Cast').find((n) => n.name === 'to_float')!;
    expect(castTo(toFloat)).toBe(F32);
    expect(model.graph.initializers.get('eight')!.initializer!.dataType).toBe(F32);
    // Only the keep-io-types Casts of x were added.
    expect(summary.inserted.casts).toBe(2);
  });

  it('is converted when its result feeds float computation, or when turned off', () => {
    const leaking = buckets(true);
    expect(toFloat16(leaking).summary.kept.nodes).toEqual([]);
    const off = buckets(false);
    expect(toFloat16(off, { keepIndexMath: false }).summary.kept.nodes).toEqual([]);
    expect(off.graph.initializers.get('eight')!.initializer!.dataType).toBe(F16);
  });
});

describe('toFloat16: subgraphs and functions', () => {
  it('If branches convert consistently with the outer graph, in both directions', async () => {
    for (const c of [true, false]) {
      const model = ifModel();
      const feeds = { cond: tensorOf('cond', new Uint8Array([c ? 1 : 0]), [], DataType.BOOL), x: f32('x', [1, 2], [2]) };
      const ref = await runModel(model, feeds);
      toFloat16(model, { keepIoTypes: true });
      const ifNode = nodesOf(model.graph, 'If')[0]!;
      for (const g of ifNode.subgraphs()) {
        expect(elemOf(g.outputs[0])).toBe(F16);
        expectTopologicallySorted(g);
      }
      const got = await runModel(reload(model), feeds);
      const name = model.graph.outputs[0]!.name;
      expect(maxAbsDiff(got.get(name)!.values, ref.get(name)!.values)).toBeLessThan(1e-2);
    }
  });

  it('Loop carried float state and body constants become float16 together', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2]);
    const trip = b.initializer('trip', new BigInt64Array([3n]), []);
    const cond = b.initializer('cond', new Uint8Array([1]), [], DataType.BOOL);
    const body = new GraphBuilder('body');
    body.input('i', DataType.INT64, []);
    const c = body.input('c', DataType.BOOL, []);
    const acc = body.input('acc', F32, [2]);
    const half = body.node('Constant', [], { value: f32('half', [0.5], []) });
    const next = body.node('Add', [body.node('Mul', [acc, half]), x]);
    body.output(body.node('Identity', [c]), DataType.BOOL, []);
    body.output(next, F32, [2]);
    body.output(body.node('Identity', [next]), F32, [2]);
    const [final, scanned] = b.nodeMulti('Loop', [trip, cond, x], { body: body.graph }, { outputs: 2 });
    b.output(final!, F32, [2]);
    b.output(scanned!, F32, [3, 2]);
    const model = b.build();
    const feeds = { x: f32('x', [1, -2], [2]) };
    const ref = await runModel(model, feeds);
    toFloat16(model, { keepIoTypes: true });
    const loop = nodesOf(model.graph, 'Loop')[0]!;
    const g = loop.subgraphs()[0]!;
    expect(elemOf(g.inputs[2])).toBe(F16);
    expect(elemOf(g.outputs[1])).toBe(F16);
    const got = await runModel(reload(model), feeds);
    for (const [name, r] of ref) expect(maxAbsDiff(got.get(name)!.values, r.values)).toBeLessThan(1e-2);
  });

  it('model-local function bodies convert with their calls', async () => {
    const { model, fn } = functionModel();
    const feeds = { x: f32('x', [1, 2], [2]) };
    const ref = await runModel(model, feeds);
    toFloat16(model, { keepIoTypes: true });
    const consts = nodesOf(fn.body, 'Constant');
    expect((consts[0]!.attr('value')!.value as Tensor).dataType).toBe(F16);
    // The body's Cast(to=FLOAT) of a float16 value became a no-op and went away.
    expect(nodesOf(fn.body, 'Cast')).toHaveLength(0);
    const got = await runModel(reload(model), feeds);
    const name = model.graph.outputs[0]!.name;
    expect(maxAbsDiff(got.get(name)!.values, ref.get(name)!.values)).toBeLessThan(1e-2);
  });

  it('a kept call keeps its function float32 and every other call of it', async () => {
    const body = new GraphBuilder('body');
    const inp = new Value('a');
    body.graph.inputs.push(inp);
    body.graph.appendOutput(body.node('Mul', [inp, body.node('Constant', [], { value: f32('k', [2], []) })]));
    const fn = new OnnxFunction({ name: 'Twice', domain: 'local', body: body.graph });
    fn.opsetImports = [{ domain: '', version: 17 }];
    const b = new ModelBuilder({ opsets: { local: 1 } });
    const x = b.input('x', F32, [2]);
    const y = b.node('Twice', [x], {}, { domain: 'local', name: 'call1' });
    b.output(b.node('Twice', [b.node('Relu', [y])], {}, { domain: 'local', name: 'call2' }), F32, [2]);
    const model = b.build();
    model.functions.push(fn);
    const ref = await runModel(model, { x: f32('x', [1, 2], [2]) });
    const { summary } = toFloat16(model, { blockNodes: ['call1'] });
    expect(summary.kept.nodes.map((k) => `${k.name}:${k.reason}`).sort()).toEqual(['call1:block-nodes', 'call2:kept-function']);
    expect((nodesOf(fn.body, 'Constant')[0]!.attr('value')!.value as Tensor).dataType).toBe(F32);
    const x16 = tensorOf('x', new Uint16Array([0x3c00, 0x4000]), [2], F16);
    const got = await runModel(reload(model), { x: x16 });
    expect(maxAbsDiff(got.values().next().value!.values, ref.values().next().value!.values)).toBeLessThan(1e-3);
  });
});

describe('toFloat16: clean output', () => {
  it('removes redundant Cast pairs and no-op Casts', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2]);
    const same = b.node('Cast', [x], { to: F32 }); // no-op
    const down = b.node('Cast', [same], { to: F16 });
    const up = b.node('Cast', [down], { to: F32 }); // float16 -> float32 -> float16 after conversion
    b.output(b.node('Relu', [up]), F32, [2]);
    const model = b.build();
    const { summary } = toFloat16(model);
    expect(nodesOf(model.graph, 'Cast')).toHaveLength(0);
    expect(nodesOf(model.graph, 'Relu')[0]!.input(0)).toBe(model.graph.inputs[0]);
    expect(summary.removed.casts).toBe(3);
  });

  it('keeps a lossy Cast pair of the original model', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2]);
    const i = b.node('Cast', [x], { to: DataType.INT32 });
    b.output(b.node('Cast', [i], { to: F32 }), F32, [2]);
    const model = b.build();
    toFloat16(model);
    expect(nodesOf(model.graph, 'Cast').map(castTo)).toEqual([DataType.INT32, F16]);
  });

  it('is idempotent: a second run gives the same bytes', () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', F32, [4]);
      const n = b.input('n', DataType.INT64, []);
      const w = b.initializer('w', new Float32Array([0.5, 1, 2, 1e5]), [4]);
      const start = b.node('Cast', [n], { to: F32 });
      const r = b.node('Range', [
        start,
        b.node('ReduceSum', [b.node('Mul', [x, w])], { keepdims: 0 }),
        w.initializer ? b.initializer('d', new Float32Array([1]), []) : x,
      ]);
      const m = b.node('CumSum', [
        b.node('Add', [r, b.node('Constant', [], { value: f32('k', [1], [1]) })]),
        b.initializer('axis', new BigInt64Array([0n]), []),
      ]);
      b.output(b.node('Softmax', [m]), F32, [null]);
      b.output(b.node('Sigmoid', [x]), F32, [4]);
      return b.build();
    };
    const builders = [build, ifModel, () => functionModel().model, () => mlp().model];
    for (const [make, keepIoTypes] of builders.flatMap((f) => [true, false, ['x']].map((k) => [f, k] as const))) {
      const model = make();
      toFloat16(model, { keepIoTypes });
      const once = modelToBytes(model);
      const again = parseModel(once);
      const second = toFloat16(again, { keepIoTypes });
      expect(second.modified).toBe(false);
      expect(modelToBytes(again)).toEqual(once);
    }
  });
});

describe('toFloat16: clamping', () => {
  const values = [1e5, -7e4, 65504, 65519, 65520, 1e-8, 3e-5, -6e-5, 1e-3, Infinity, NaN, 0];

  it('clamps finite values beyond +-65504 and counts them per tensor', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [12]);
    const w = b.initializer('w', new Float32Array(values), [12]);
    const v = b.initializer('v', new Float32Array([1, 2]), [2]);
    b.output(b.node('Add', [x, w]), F32, [12]);
    b.output(b.node('Neg', [v]), F32, [2]);
    const model = b.build();
    // guardConstants off: by default the Add would stay float32 and read w exactly (guard-constants.test.ts).
    const { summary } = toFloat16(model, { guardConstants: false });
    // 1e5, -7e4, 65519 and 65520 lie beyond 65504 (65519 would round to 65504, but is counted as beyond).
    expect(summary.clamped).toEqual([{ tensor: 'w', count: 4 }]);
    expect(summary.flushed).toEqual([]);
    const bits = [...(model.graph.initializers.get('w')!.initializer!.toTypedArray() as Uint16Array)];
    expect(bits.slice(0, 5)).toEqual([0x7bff, 0xfbff, 0x7bff, 0x7bff, 0x7bff]);
    // 1e-8 rounds to zero (below half the smallest subnormal, 2^-25 = 2.98e-8); 3e-5 is subnormal 503 * 2^-24.
    expect(bits[5]).toBe(0);
    expect(bits[6]).toBe(Math.round(3e-5 * 2 ** 24));
    expect(bits[9]).toBe(0x7c00);
    expect(bits[10]! & 0x7c00).toBe(0x7c00);
  });

  it('flushes float16-subnormal values to zero when asked', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [12]);
    const w = b.initializer('w', new Float32Array(values), [12]);
    b.output(b.node('Add', [x, w]), F32, [12]);
    const model = b.build();
    const { summary } = toFloat16(model, { flushSubnormals: true, guardConstants: false });
    // 1e-8, 3e-5 and -6e-5 are non-zero and below 2^-14 = 6.10e-5.
    expect(summary.flushed).toEqual([{ tensor: 'w', count: 3 }]);
    const bits = [...(model.graph.initializers.get('w')!.initializer!.toTypedArray() as Uint16Array)];
    expect(bits.slice(5, 8)).toEqual([0, 0, 0x8000]);
  });
});

describe('toFloat16: bad input', () => {
  it('an already-float16 model is left unchanged with a note', () => {
    const b = new ModelBuilder();
    const x = b.input('x', F16, [2]);
    b.output(b.node('Add', [x, b.initializer('w', new Uint16Array([0x3c00, 0x4000]), [2], F16)]), F16, [2]);
    const model = b.build();
    const before = modelToBytes(model);
    const { modified, summary } = toFloat16(model, { keepIoTypes: true });
    expect(modified).toBe(false);
    expect(summary.notes[0]).toMatch(/already float16/);
    expect(modelToBytes(model)).toEqual(before);
  });

  it('an unknown custom op whose output types are declared is kept float32 between Casts', () => {
    const b = new ModelBuilder({ opsets: { 'com.example': 1 } });
    const x = b.input('x', F32, [2]);
    const y = b.node('Mystery', [b.node('Relu', [x])], {}, { domain: 'com.example' });
    y.type = tensorType(F32, [2]);
    b.graph.valueInfo.push(y);
    b.output(b.node('Neg', [y]), F32, [2]);
    const model = b.build();
    const { summary } = toFloat16(model);
    const custom = nodesOf(model.graph).find((n) => n.opType === 'Mystery')!;
    expect(custom.input(0)!.producer()!.opType).toBe('Cast');
    expect(custom.output(0).uses()[0]!.node.opType).toBe('Cast');
    expect(elemOf(y)).toBe(F32);
    expect(summary.kept.nodes).toEqual([expect.objectContaining({ op: 'Mystery', reason: 'custom-domain' })]);
    expect(summary.notes.join(' ')).toContain('com.example:Mystery');
  });

  it('an unknown custom op with unknown output types stops the pass before any change', () => {
    const b = new ModelBuilder({ opsets: { 'com.example': 1 } });
    const x = b.input('x', F32, [2]);
    const y = b.node('Mystery', [x], {}, { domain: 'com.example' });
    b.output(b.node('Add', [y, b.initializer('w', new Float32Array([1, 2]), [2])]), F32, [2]);
    const model = b.build();
    const before = modelToBytes(model);
    expect(() => toFloat16(model)).toThrow(/element type of '.*' .*Mystery.* is unknown/);
    expect(modelToBytes(model)).toEqual(before);
  });
});
