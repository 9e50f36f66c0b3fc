import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '../../../src/proto/codec.js';
import type { GraphProto, NodeProto, TensorProto } from '../../../src/proto/messages.js';
import {
  channelMinMax,
  computeQuantParams,
  minMax,
  ortDynamicWeightOptions,
  quantizeTensor,
  quantRange,
  roundHalfEven,
  type QuantizableOp,
  type WeightType,
} from '../../../src/passes/quantize/params.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../../helpers/corpus.js';

const f = Math.fround;

function f32FromBits(bits: number): number {
  return new Float32Array(Uint32Array.of(bits).buffer)[0]!;
}

function bitsOf(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

describe('roundHalfEven (numpy.round)', () => {
  it('rounds ties to even and everything else to nearest', () => {
    // numpy gives -0.0 for -0.5; the sign of zero is lost, which cannot matter once stored as an integer.
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 126.5, 127.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2, -2, 126, 128]);
    expect([0.49999997, 2.5000002, -63.75, 1e300].map(roundHalfEven)).toEqual([0, 3, -64, 1e300]);
  });
});

describe('quantRange (get_qmin_qmax_for_qType)', () => {
  it('gives full, symmetric and reduced ranges; reduce_range wins', () => {
    expect(quantRange('int8', { symmetric: false, reduceRange: false })).toEqual({ qmin: -128, qmax: 127 });
    expect(quantRange('int8', { symmetric: true, reduceRange: false })).toEqual({ qmin: -127, qmax: 127 });
    expect(quantRange('int8', { symmetric: true, reduceRange: true })).toEqual({ qmin: -64, qmax: 64 });
    expect(quantRange('uint8', { symmetric: false, reduceRange: false })).toEqual({ qmin: 0, qmax: 255 });
    expect(quantRange('uint8', { symmetric: true, reduceRange: false })).toEqual({ qmin: 0, qmax: 254 });
    expect(quantRange('uint8', { symmetric: false, reduceRange: true })).toEqual({ qmin: 0, qmax: 127 });
  });
});

// Expected bit patterns below were computed with numpy 2.4 following compute_scale_zp
// (float32 rmin/rmax, float64 scale and zero point, scale cast back to float32).
describe('computeQuantParams (compute_scale_zp)', () => {
  const int8Sym = { weightType: 'int8', symmetric: true, reduceRange: false } as const;
  const uint8Asym = { weightType: 'uint8', symmetric: false, reduceRange: false } as const;

  it('symmetric int8: scale = 2 * absmax / 254, zero point 0', () => {
    expect(computeQuantParams(-1, 1, int8Sym)).toEqual({ scale: f32FromBits(0x3c010204), zeroPoint: 0 });
    const p = computeQuantParams(f(-0.3), f(0.7), int8Sym);
    expect([bitsOf(p.scale), p.zeroPoint]).toEqual([0x3bb49c6c, 0]);
  });

  it('asymmetric uint8 and int8: scale = (rmax - rmin) / (qmax - qmin), zp = round(qmin - rmin / scale)', () => {
    const u = computeQuantParams(f(-0.3), f(0.7), uint8Asym);
    expect([bitsOf(u.scale), u.zeroPoint]).toEqual([0x3b808081, 77]);
    const s = computeQuantParams(f(-0.3), f(0.7), { weightType: 'int8', symmetric: false, reduceRange: false });
    expect([bitsOf(s.scale), s.zeroPoint]).toEqual([0x3b808081, -51]);
  });

  it('reduce_range uses 7 bits', () => {
    const s = computeQuantParams(f(-0.3), f(0.7), { weightType: 'int8', symmetric: true, reduceRange: true });
    expect([bitsOf(s.scale), s.zeroPoint]).toEqual([0x3c333333, 0]);
    const u = computeQuantParams(f(-0.3), f(0.7), { weightType: 'uint8', symmetric: false, reduceRange: true });
    expect([bitsOf(u.scale), u.zeroPoint]).toEqual([0x3c010204, 38]);
  });

  it('symmetric uint8 puts the zero point mid-range (round half even)', () => {
    expect(computeQuantParams(f(-0.3), f(0.7), { weightType: 'uint8', symmetric: true, reduceRange: false }).zeroPoint).toBe(127);
    expect(computeQuantParams(f(-0.3), f(0.7), { weightType: 'uint8', symmetric: true, reduceRange: true }).zeroPoint).toBe(64);
  });

  it('rounds the zero point half to even', () => {
    expect(computeQuantParams(-0.5, 254.5, uint8Asym)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeQuantParams(-1.5, 253.5, uint8Asym)).toEqual({ scale: 1, zeroPoint: 2 });
  });

  it('subtracts rmax - rmin in float32 before going to float64', () => {
    // In float64 the scale would be 0x3ae6836d.
    const p = computeQuantParams(f32FromBits(0xbd39c0b3), f32FromBits(0x3ece64d3), uint8Asym);
    expect([bitsOf(p.scale), p.zeroPoint]).toEqual([0x3ae6836c, 26]);
  });

  it('includes zero in the range', () => {
    expect(computeQuantParams(2, 4, uint8Asym)).toEqual({ scale: f(4 / 255), zeroPoint: 0 });
    expect(computeQuantParams(-4, -2, uint8Asym)).toEqual({ scale: f(4 / 255), zeroPoint: 255 });
  });

  it('falls back to scale 1, zero point 0 for an empty range', () => {
    expect(computeQuantParams(0, 0, int8Sym)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeQuantParams(0, 0, uint8Asym)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeQuantParams(-1e-45, 1e-45, int8Sym)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('honours MinimumRealRange', () => {
    expect(computeQuantParams(0, 0.01, { ...uint8Asym, minRealRange: 2.55 })).toEqual({ scale: f(f(2.55) / 255), zeroPoint: 0 });
  });

  it('rejects a range that is not finite', () => {
    expect(() => computeQuantParams(NaN, 1, int8Sym)).toThrow(RangeError);
    expect(() => computeQuantParams(-1, Infinity, uint8Asym)).toThrow(RangeError);
  });
});

describe('minMax and channelMinMax', () => {
  it('scans in one pass', () => {
    expect(minMax(Float32Array.of(3, -1, 2, 7, 0))).toEqual({ min: -1, max: 7 });
    expect(minMax(Float32Array.of(5))).toEqual({ min: 5, max: 5 });
    expect(minMax(new Float32Array(0))).toEqual({ min: 0, max: 0 });
    expect(minMax(Float32Array.of(1, NaN, 2))).toEqual({ min: NaN, max: NaN });
    expect(minMax(Float32Array.of(NaN, 1))).toEqual({ min: NaN, max: NaN });
  });

  it('reduces along any axis', () => {
    const data = Float32Array.of(0, 1, -1.5, 2.5, 3, 0.6, -1, 0); // [2, 2, 2]
    expect(channelMinMax(data, [2, 2, 2], 1)).toEqual({ mins: Float32Array.of(0, -1.5), maxs: Float32Array.of(3, 2.5) });
    expect(channelMinMax(data, [2, 2, 2], 2)).toEqual({ mins: Float32Array.of(-1.5, 0), maxs: Float32Array.of(3, 2.5) });
    expect(channelMinMax(data, [2, 2, 2], 0)).toEqual({ mins: Float32Array.of(-1.5, -1), maxs: Float32Array.of(2.5, 3) });
  });

  it('propagates NaN per channel wherever it sits', () => {
    const nanFirst = Float32Array.of(NaN, 1, 5, 2, -3, 4); // [[NaN, 1], [5, 2], [-3, 4]]
    expect(channelMinMax(nanFirst, [3, 2], 1)).toEqual({ mins: Float32Array.of(NaN, 1), maxs: Float32Array.of(NaN, 4) });
    expect(channelMinMax(nanFirst, [3, 2], 0)).toEqual({ mins: Float32Array.of(NaN, 2, -3), maxs: Float32Array.of(NaN, 5, 4) });
    const nanLater = Float32Array.of(1, 2, 3, NaN, 0, 6, 7, 8); // [[[1, 2], [3, NaN]], [[0, 6], [7, 8]]]
    expect(channelMinMax(nanLater, [2, 2, 2], 1)).toEqual({ mins: Float32Array.of(0, NaN), maxs: Float32Array.of(6, NaN) });
    expect(() => quantizeTensor(nanFirst, [3, 2], { weightType: 'int8', symmetric: true, reduceRange: false, perChannel: true })).toThrow(RangeError);
  });
});

describe('quantizeTensor (quantize_data / quantize_nparray)', () => {
  const data = Float32Array.of(-1, 0.5, 1.5, 1, -0.2, -4); // [[-1, 0.5, 1.5], [1, -0.2, -4]]
  const int8Sym = { weightType: 'int8', symmetric: true, reduceRange: false } as const;

  it('quantizes per tensor', () => {
    const { quantized, params } = quantizeTensor(data, [2, 3], int8Sym);
    expect(Array.from(quantized)).toEqual([-32, 16, 48, 32, -6, -127]); // x * 127 / 4
    expect(quantized).toBeInstanceOf(Int8Array);
    expect(params).toEqual({ scale: Float32Array.of(f(8 / 254)), zeroPoint: Int8Array.of(0) });
  });

  it('quantizes per channel along the last axis (MatMul B columns)', () => {
    const { quantized, params } = quantizeTensor(data, [2, 3], { ...int8Sym, perChannel: true });
    expect(Array.from(quantized)).toEqual([-127, 127, 48, 127, -51, -127]);
    expect(params).toEqual({ scale: Float32Array.of(f(2 / 254), f(1 / 254), f(8 / 254)), zeroPoint: new Int8Array(3), axis: 1 });
  });

  it('quantizes per channel along axis 0', () => {
    const { quantized, params } = quantizeTensor(data, [2, 3], { ...int8Sym, perChannel: true, axis: 0 });
    expect(Array.from(quantized)).toEqual([-85, 42, 127, 32, -6, -127]);
    expect(params.scale).toEqual(Float32Array.of(f(3 / 254), f(8 / 254)));
    expect(params.axis).toBe(0);
  });

  it('quantizes per channel along a middle axis, asymmetric uint8', () => {
    const x = Float32Array.of(0, 1, -1.5, 2.5, 3, 0.6, -1, 0); // [2, 2, 2]
    const opts = { weightType: 'uint8', symmetric: false, reduceRange: false, perChannel: true, axis: 1 } as const;
    const { quantized, params } = quantizeTensor(x, [2, 2, 2], opts);
    expect(quantized).toBeInstanceOf(Uint8Array);
    expect(Array.from(quantized)).toEqual([0, 85, 0, 255, 255, 51, 32, 96]);
    expect(params).toEqual({ scale: Float32Array.of(f(3 / 255), f(4 / 255)), zeroPoint: Uint8Array.of(0, 96), axis: 1 });
  });

  it('rounds x / scale half to even after zero point shift and clips to the type', () => {
    const x = Float32Array.of(-0.5, 254.5, 0.5, 1.5, 2.5, -0.49);
    const { quantized, params } = quantizeTensor(x, [6], { weightType: 'uint8', symmetric: false, reduceRange: false });
    expect(params.scale[0]).toBe(1);
    expect(Array.from(quantized)).toEqual([0, 254, 0, 2, 2, 0]);
  });

  it('divides in float32, not float64', () => {
    // scale 0x3bb49c6c is symmetric int8 for absmax 0.7; float64 division would give 25.
    const x = Float32Array.of(f(-0.3), f32FromBits(0x3e0feca6), f(0.7));
    const { quantized, params } = quantizeTensor(x, [3], int8Sym);
    expect(bitsOf(params.scale[0]!)).toBe(0x3bb49c6c);
    expect(quantized[1]).toBe(26);
  });

  it('handles empty tensors like numpy (scale 1, zero point 0)', () => {
    expect(quantizeTensor(new Float32Array(0), [0, 3], int8Sym).params).toEqual({ scale: Float32Array.of(1), zeroPoint: Int8Array.of(0) });
    const pc = quantizeTensor(new Float32Array(0), [0, 3], { ...int8Sym, perChannel: true });
    expect(pc.params).toEqual({ scale: Float32Array.of(1, 1, 1), zeroPoint: new Int8Array(3), axis: 1 });
  });

  it('rejects a shape that does not fit the data or an axis out of range', () => {
    expect(() => quantizeTensor(data, [4, 2], int8Sym)).toThrow(RangeError);
    expect(() => quantizeTensor(data, [2, 3], { ...int8Sym, perChannel: true, axis: 2 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Bit-exact comparison with onnxruntime 1.30's quantize_dynamic outputs in the corpus.

const modelsDir = CORPUS_MODELS_DIR;
const hasCorpus = HAVE_CORPUS;

const VARIANTS = [
  { file: 'int8', weightType: 'int8', perChannel: false },
  { file: 'uint8', weightType: 'uint8', perChannel: false },
  { file: 'int8_pc', weightType: 'int8', perChannel: true },
] as const satisfies readonly { file: string; weightType: WeightType; perChannel: boolean }[];

const TENSOR_FLOAT = 1;
const TENSOR_UINT8 = 2;
const TENSOR_INT8 = 3;

function copyBytes(raw: Uint8Array): ArrayBuffer {
  // raw_data may be a Node Buffer (whose slice() is a view) at any offset: copy into a fresh, aligned buffer.
  return new Uint8Array(raw).buffer;
}

function floatValues(t: TensorProto): Float32Array {
  if (t.data_type !== TENSOR_FLOAT) throw new Error(`${String(t.name)}: expected FLOAT, got data_type ${String(t.data_type)}`);
  if (t.raw_data) return new Float32Array(copyBytes(t.raw_data));
  return t.float_data ?? new Float32Array(0);
}

function int8Values(t: TensorProto): number[] {
  if (t.raw_data) {
    return t.data_type === TENSOR_INT8 ? Array.from(new Int8Array(copyBytes(t.raw_data))) : Array.from(t.raw_data);
  }
  return Array.from(t.int32_data ?? []);
}

function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

/** A float tensor held by an initializer or, as exporters also do, by a Constant node. */
function findFloatTensor(graph: GraphProto, name: string): TensorProto | undefined {
  const init = (graph.initializer ?? []).find((t) => t.name === name);
  if (init) return init;
  const constant = (graph.node ?? []).find((n) => n.op_type === 'Constant' && n.output?.[0] === name);
  return constant?.attribute?.find((a) => a.name === 'value')?.t;
}

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i === undefined ? fallback : Number(a.i);
}

/** How onnxruntime sees the weight: the op that consumes it, and whether Gemm->MatMul transposed it. */
function weightUse(graph: GraphProto, name: string): { op: QuantizableOp; transposed: boolean } {
  const users = (graph.node ?? []).filter((n) => (n.input ?? []).includes(name));
  const user = users.find((n) => ['MatMul', 'Gemm', 'Conv', 'Gather'].includes(n.op_type ?? ''));
  if (!user) throw new Error(`${name}: no MatMul/Gemm/Conv/Gather consumer in the float model`);
  return { op: user.op_type as QuantizableOp, transposed: user.op_type === 'Gemm' && intAttr(user, 'transB', 0) === 1 };
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function describeDiff(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, show: (v: number) => string): string | undefined {
  if (ours.length !== theirs.length) return `${what}: length ${ours.length} vs onnxruntime ${theirs.length}`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== theirs[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return undefined;
  return `${what}: ${count}/${ours.length} differ, first at ${first}: ours ${show(ours[first]!)} vs onnxruntime ${show(theirs[first]!)}`;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)} (${f32FromBits(v)})`;

function compareModel(model: string, variant: (typeof VARIANTS)[number]): { total: number; mismatches: string[] } {
  const float = decode(fs.readFileSync(path.join(modelsDir, model, 'model.onnx'))).graph!;
  const ort = decode(fs.readFileSync(path.join(modelsDir, model, 'ort', `${variant.file}.onnx`))).graph!;
  const ortInits = new Map<string, TensorProto>((ort.initializer ?? []).map((t) => [t.name!, t]));
  const quantizedNames = [...ortInits.keys()].filter((n) => n.endsWith('_quantized'));
  const mismatches: string[] = [];

  for (const qName of quantizedNames) {
    const name = qName.slice(0, -'_quantized'.length);
    const theirs = { q: ortInits.get(qName)!, scale: ortInits.get(`${name}_scale`), zp: ortInits.get(`${name}_zero_point`) };
    const source = findFloatTensor(float, name);
    if (!source || !theirs.scale || !theirs.zp) {
      mismatches.push(`${name}: float source, _scale or _zero_point missing`);
      continue;
    }
    let data = floatValues(source);
    let dims = dimsOf(source);
    const use = weightUse(float, name);
    if (use.transposed) {
      data = transpose2d(data, dims[0]!, dims[1]!);
      dims = [dims[1]!, dims[0]!];
    }
    const opts = ortDynamicWeightOptions(use.op, { weightType: variant.weightType, perChannel: variant.perChannel, reduceRange: false });
    const ours = quantizeTensor(data, dims, opts);

    const problems = [
      describeDiff('dims', dims, dimsOf(theirs.q), String),
      describeDiff('type', [opts.weightType === 'int8' ? TENSOR_INT8 : TENSOR_UINT8], [theirs.q.data_type!], String),
      describeDiff('zero point type', [theirs.q.data_type!], [theirs.zp.data_type!], String),
      describeDiff('scale dims', opts.perChannel ? [ours.params.scale.length] : [], dimsOf(theirs.scale), String),
      describeDiff('scale bits', new Uint32Array(ours.params.scale.buffer), new Uint32Array(floatValues(theirs.scale).slice().buffer), hex),
      describeDiff('zero point', Array.from(ours.params.zeroPoint), int8Values(theirs.zp), String),
      describeDiff('quantized', Array.from(ours.quantized), int8Values(theirs.q), String),
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) mismatches.push(`${name} (${use.op}${use.transposed ? ', transposed' : ''}): ${problems.join('; ')}`);
  }
  return { total: quantizedNames.length, mismatches };
}

const summary: string[] = [];

describe.skipIf(!hasCorpus)('bit-exact against onnxruntime quantize_dynamic (corpus)', () => {
  const models = hasCorpus ? CORPUS_MODELS.filter((m) => fs.existsSync(path.join(modelsDir, m, 'ort'))) : [];

  it('finds the six corpus models', () => {
    expect(models.length).toBeGreaterThanOrEqual(6);
  });

  for (const model of models) {
    for (const variant of VARIANTS) {
      it(`${model} ${variant.file}: every quantized weight, scale and zero point matches`, () => {
        const { total, mismatches } = compareModel(model, variant);
        summary.push(`${model.padEnd(12)} ${variant.file.padEnd(8)} ${total - mismatches.length}/${total} tensors match`);
        expect(total).toBeGreaterThan(0);
        expect(mismatches).toEqual([]);
      });
    }
  }

  afterAll(() => {
    if (summary.length > 0) console.log(`onnxruntime comparison:\n${summary.join('\n')}`);
  });
});

describe.runIf(!hasCorpus && process.env.ONNXPRESS_REQUIRE_CORPUS)('corpus required', () => {
  it('finds the corpus', () => {
    expect.fail(`ONNXPRESS_REQUIRE_CORPUS is set but ${modelsDir} does not exist`);
  });
});
