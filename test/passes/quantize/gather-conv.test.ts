/** Gather over embedding tables, and Conv (int8 weights with float math by default, ConvInteger on request). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel } from '../../../src/io/load.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { cosine, maxAbsDiff } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from './helpers.js';

describe('Gather', () => {
  const table = randomFloats(20 * 8, 21, 2);
  const build = (): Model => {
    const b = new ModelBuilder();
    const ids = b.input('ids', DataType.INT64, [2, 3]);
    const other = b.input('other', DataType.INT64, [4]);
    const t = b.initializer('emb', table, [20, 8]);
    b.output(b.node('Gather', [t, ids], {}, { name: 'lookup' }), DataType.FLOAT, [2, 3, 8]);
    b.output(b.node('Gather', [t, other], {}, { name: 'lookup2' }), DataType.FLOAT, [4, 8]);
    // A Gather over a computed shape is no lookup in a weight table.
    const shape = b.node('Shape', [ids]);
    b.output(b.node('Gather', [shape, b.initializer('zero', BigInt64Array.of(0n), [])], { axis: 0 }), DataType.INT64, []);
    return b.build();
  };

  it('reads a uint8 table (one, shared) and dequantizes the gathered rows to within half a step', async () => {
    const model = build();
    const { summary } = quantizeDynamic(model);
    expect(summary.counts).toEqual({ Gather: 2 });
    expect(summary.skipped).toEqual([]);
    expect(opCounts(model).DequantizeLinear).toBe(2);
    const q = model.graph.initializers.get('emb_quantized')!.initializer!;
    expect(q.dataType).toBe(DataType.UINT8);
    expect(model.graph.initializers.has('emb')).toBe(false);
    const scale = (model.graph.initializers.get('emb_scale')!.initializer!.toTypedArray() as Float32Array)[0]!;

    const ids = BigInt64Array.of(0n, 5n, 19n, 3n, 3n, 7n);
    const other = BigInt64Array.of(1n, 2n, 18n, 0n);
    const out = await runModel(model, { ids: new ort.Tensor('int64', ids, [2, 3]), other: new ort.Tensor('int64', other, [4]) });
    const expected = (rows: BigInt64Array): Float32Array => {
      const r = new Float32Array(rows.length * 8);
      rows.forEach((row, i) => r.set(table.subarray(Number(row) * 8, Number(row) * 8 + 8), i * 8));
      return r;
    };
    const [first, second] = model.graph.outputs.map((v) => out[v.name]!.data as Float32Array);
    expect(maxAbsDiff(first!, expected(ids))).toBeLessThanOrEqual(scale / 2 + 1e-6);
    expect(maxAbsDiff(second!, expected(other))).toBeLessThanOrEqual(scale / 2 + 1e-6);
  });
});

describe('Conv', () => {
  const weights = randomFloats(4 * 3 * 3 * 3, 22, 0.5);
  const build = (w: Float32Array = weights): Model => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 3, 6, 6]);
    const wv = b.initializer('w', w, [4, 3, 3, 3]);
    const bias = b.initializer('bias', randomFloats(4, 23, 0.5), [4]);
    b.output(b.node('Conv', [x, wv, bias], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'conv' }), DataType.FLOAT, [2, 4, 6, 6]);
    return b.build();
  };
  const feeds = { x: floatTensor(randomFloats(2 * 3 * 36, 24), [2, 3, 6, 6]) };
  const initializer = (model: Model, name: string): Tensor => model.graph.initializers.get(name)!.initializer!;

  /** (q - zero point) * scale, computed here, channel by channel along axis 0 when the scale has one entry per channel. */
  const dequantize = (model: Model): Float32Array => {
    const q = initializer(model, 'w_quantized').toTypedArray() as Int8Array | Uint8Array;
    const scale = initializer(model, 'w_scale').toTypedArray() as Float32Array;
    // No zero point is stored when every one is 0.
    const zeroPoint =
      (model.graph.initializers.get('w_zero_point')?.initializer?.toTypedArray() as Int8Array | Uint8Array | undefined) ??
      new Int8Array(scale.length);
    const perChannel = q.length / scale.length;
    return Float32Array.from(q, (v, i) => Math.fround((v - zeroPoint[Math.floor(i / perChannel)]!) * scale[Math.floor(i / perChannel)]!));
  };

  /** The model as ONNX Runtime holds it after its load-time optimizations. */
  const optimizedByOrt = async (model: Model): Promise<Model> => {
    const path = join(mkdtempSync(join(tmpdir(), 'onnxpress-conv-')), 'optimized.onnx');
    const session = await ort.InferenceSession.create(modelToBytes(model), { graphOptimizationLevel: 'basic', optimizedModelFilePath: path });
    await session.release();
    return loadModel(path);
  };

  it('stores W as int8 and keeps float math by default; ONNX Runtime folds the expansion at load', async () => {
    const model = build();
    const { summary } = quantizeDynamic(model);
    expect(summary.counts).toEqual({ Conv: 1 });
    expect(summary.quantized).toEqual([{ node: 'conv', op: 'Conv', as: 'Conv (int8 weight, float math)' }]);
    expect(summary.notes.join('\n')).toMatch(/1 Conv node\(s\) got int8 weights .* ConvInteger ran 2\.8-8x slower/);
    expect(opCounts(model)).toEqual({ Cast: 1, Mul: 1, Conv: 1 });
    expect(initializer(model, 'w_quantized').dataType).toBe(DataType.INT8);
    expect(model.graph.initializers.has('w')).toBe(false);
    expect(model.graph.initializers.has('w_zero_point')).toBe(false);

    // The same outputs, bit for bit, as float Conv over weights dequantized here.
    const reference = await runModel(build(dequantize(model)), feeds);
    const ours = await runModel(model, feeds);
    expect(Object.values(ours)[0]!.data).toEqual(Object.values(reference)[0]!.data);

    const optimized = await optimizedByOrt(model);
    expect(opCounts(optimized)).toEqual({ Conv: 1 });
    const conv = [...optimized.graph.nodes][0]!;
    const w = optimized.graph.initializers.get(conv.input(1)!.name)!.initializer!;
    expect(w.dataType).toBe(DataType.FLOAT);
    expect(w.toTypedArray()).toEqual(dequantize(model));
  });

  it('subtracts a non-zero zero point (uint8, asymmetric) and scales per output channel with --per-channel', async () => {
    const asymmetric = build();
    quantizeDynamic(asymmetric, { weightType: 'uint8' });
    expect(opCounts(asymmetric)).toEqual({ Cast: 2, Sub: 1, Mul: 1, Conv: 1 });
    const reference = await runModel(build(dequantize(asymmetric)), feeds);
    expect(Object.values(await runModel(asymmetric, feeds))[0]!.data).toEqual(Object.values(reference)[0]!.data);

    const perChannel = build();
    quantizeDynamic(perChannel, { perChannel: true });
    const scale = initializer(perChannel, 'w_scale');
    expect(scale.dims.map(Number)).toEqual([4, 1, 1, 1]);
    // Symmetric int8: each output channel's largest |w| maps to 127.
    for (let c = 0; c < 4; c++) {
      const absMax = Math.max(...weights.subarray(c * 27, (c + 1) * 27).map(Math.abs));
      expect((scale.toTypedArray() as Float32Array)[c]).toBe(Math.fround((2 * absMax) / 254));
    }
    const channelReference = await runModel(build(dequantize(perChannel)), feeds);
    expect(Object.values(await runModel(perChannel, feeds))[0]!.data).toEqual(Object.values(channelReference)[0]!.data);
  });

  it('becomes ConvInteger with the bias added in float only with convInteger', async () => {
    const float = await runModel(build(), feeds);
    const model = build();
    const { summary } = quantizeDynamic(model, { opTypes: ['Conv'], convInteger: true });
    expect(summary.counts).toEqual({ Conv: 1 });
    expect(opCounts(model)).toMatchObject({ DynamicQuantizeLinear: 1, ConvInteger: 1, Cast: 1, Mul: 2, Add: 1 });
    expect(model.graph.initializers.get('bias_reshaped')!.initializer!.dims.map(Number)).toEqual([1, 4, 1, 1]);
    const quantized = await runModel(model, feeds);
    const [a, b] = [Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array];
    expect(cosine(a, b)).toBeGreaterThan(0.999);
  });

  it('stays float when Conv is left out of opTypes, and refuses convInteger with the qdq format', () => {
    const model = build();
    expect(quantizeDynamic(model, { opTypes: ['MatMul'] }).summary.modified).toBe(false);
    expect(opCounts(model)).toEqual({ Conv: 1 });
    expect(() => quantizeDynamic(build(), { convInteger: true, format: 'qdq' })).toThrow(/--conv-integer needs --format qoperator/);
  });

  it('says a model whose Conv weights it already stored as int8 is quantized', () => {
    const model = build();
    quantizeDynamic(model);
    const { summary } = quantizeDynamic(model);
    expect(summary.modified).toBe(false);
    expect(summary.notes.join('\n')).toMatch(/already quantized \(1 Cast of an int8 weight\)/);
  });
});
