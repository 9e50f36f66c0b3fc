/** Gather over embedding tables, and Conv (off by default, ConvInteger on request). */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { cosine, floatTensor, maxAbsDiff, opCounts, randomFloats, runModel } from './helpers.js';

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
  const build = (): Model => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 3, 6, 6]);
    const w = b.initializer('w', randomFloats(4 * 3 * 3 * 3, 22, 0.5), [4, 3, 3, 3]);
    const bias = b.initializer('bias', randomFloats(4, 23, 0.5), [4]);
    b.output(b.node('Conv', [x, w, bias], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'conv' }), DataType.FLOAT, [2, 4, 6, 6]);
    return b.build();
  };
  const feeds = { x: floatTensor(randomFloats(2 * 3 * 36, 24), [2, 3, 6, 6]) };

  it('stays float by default, and the summary says why', () => {
    const model = build();
    const { summary } = quantizeDynamic(model);
    expect(summary.modified).toBe(false);
    expect(opCounts(model)).toEqual({ Conv: 1 });
    expect(summary.notes.join('\n')).toMatch(/Conv is off by default because ONNX Runtime's ConvInteger ran 2\.8-8x slower/);
  });

  it('becomes ConvInteger with the bias added in float when Conv is asked for', async () => {
    const float = await runModel(build(), feeds);
    const model = build();
    const { summary } = quantizeDynamic(model, { opTypes: ['Conv'] });
    expect(summary.counts).toEqual({ Conv: 1 });
    expect(opCounts(model)).toMatchObject({ DynamicQuantizeLinear: 1, ConvInteger: 1, Cast: 1, Mul: 2, Add: 1 });
    expect(model.graph.initializers.get('bias_reshaped')!.initializer!.dims.map(Number)).toEqual([1, 4, 1, 1]);
    const quantized = await runModel(model, feeds);
    const [a, b] = [Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array];
    expect(cosine(a, b)).toBeGreaterThan(0.999);
  });
});
