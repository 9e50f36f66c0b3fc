/** MatMul and Gemm rewrites: graph structure, sharing, names, and results in ONNX Runtime against float32. */
import { describe, expect, it } from 'vitest';
import { Attribute } from '../../../src/ir/attribute.js';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { cosine, maxAbs, maxAbsDiff } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from './helpers.js';

const N = 4;

async function compareWithFloat(build: () => Model, feeds: Record<string, Float32Array>, dims: Record<string, number[]>, options = {}) {
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, floatTensor(v, dims[k]!)]));
  const float = await runModel(build(), ortFeeds);
  const model = build();
  const result = quantizeDynamic(model, options);
  const quantized = await runModel(model, ortFeeds);
  return { float, quantized, model, summary: result.summary };
}

/** Quantized outputs must follow float32 closely: cosine near 1 and small error relative to the output range. */
function expectClose(a: Float32Array, b: Float32Array, tolerance = 0.03): void {
  expect(cosine(a, b)).toBeGreaterThan(0.999);
  expect(maxAbsDiff(a, b)).toBeLessThan(tolerance * maxAbs(a));
}

describe('MatMul', () => {
  const build = (): Model => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [N, 16]);
    const w = b.initializer('w', randomFloats(16 * 8, 1, 0.5), [16, 8]);
    b.output(b.node('MatMul', [x, w], {}, { name: 'mm' }), DataType.FLOAT, [N, 8]);
    return b.build();
  };

  it('becomes DynamicQuantizeLinear + MatMulInteger + Cast + Mul, drops the float weight, and runs', async () => {
    const { float, quantized, model, summary } = await compareWithFloat(build, { x: randomFloats(N * 16, 2) }, { x: [N, 16] });
    expect(opCounts(model)).toEqual({ DynamicQuantizeLinear: 1, MatMulInteger: 1, Cast: 1, Mul: 2 });
    expect([...model.graph.initializers.keys()].sort()).toEqual(['w_quantized', 'w_scale', 'w_zero_point']);
    expect(model.graph.initializers.get('w_quantized')!.initializer!.dataType).toBe(DataType.INT8);
    expect(summary).toMatchObject({ modified: true, counts: { MatMul: 1 }, weightsQuantized: 1 });
    expect(summary.bytesSaved).toBe(16 * 8 * 4 - (16 * 8 + 4 + 1));
    expectClose(Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array);
  });

  it('quantizes a weight held by a Constant node or behind Identity, and removes what is left unused', async () => {
    const buildConstant = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', DataType.FLOAT, [N, 16]);
      const w = b.node('Constant', [], { value: tensorOf(undefined, randomFloats(16 * 8, 3, 0.5), [16, 8]) });
      const v = b.initializer('v', randomFloats(8 * 8, 4, 0.5), [8, 8]);
      const vi = b.node('Identity', [v]);
      b.output(b.node('MatMul', [b.node('MatMul', [x, w]), vi]), DataType.FLOAT, [N, 8]);
      return b.build();
    };
    const { float, quantized, model } = await compareWithFloat(buildConstant, { x: randomFloats(N * 16, 5) }, { x: [N, 16] });
    const counts = opCounts(model);
    expect(counts.MatMulInteger).toBe(2);
    expect(counts.Constant).toBeUndefined();
    expect(counts.Identity).toBeUndefined();
    expect(model.graph.initializers.has('v')).toBe(false);
    expectClose(Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array, 0.05);
  });

  it('quantizes a weight shared by two MatMuls once', async () => {
    const buildShared = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', DataType.FLOAT, [N, 8]);
      const w = b.initializer('w', randomFloats(64, 6, 0.5), [8, 8]);
      b.output(b.node('MatMul', [b.node('MatMul', [x, w]), w]), DataType.FLOAT, [N, 8]);
      return b.build();
    };
    const { model, summary, float, quantized } = await compareWithFloat(buildShared, { x: randomFloats(N * 8, 7) }, { x: [N, 8] });
    expect(summary.weightsQuantized).toBe(1);
    expect([...model.graph.initializers.keys()].filter((n) => n.endsWith('_quantized'))).toEqual(['w_quantized']);
    expectClose(Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array, 0.05);
  });

  it('leaves weights below --min-elements in float and says why', async () => {
    const buildTwo = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', DataType.FLOAT, [N, 4]);
      const small = b.initializer('small', randomFloats(16, 8), [4, 4]);
      const large = b.initializer('large', randomFloats(4 * 64, 9), [4, 64]);
      const h = b.node('MatMul', [x, small], {}, { name: 'small_mm' });
      b.output(b.node('MatMul', [h, large], {}, { name: 'large_mm' }), DataType.FLOAT, [N, 64]);
      return b.build();
    };
    const { model, summary } = await compareWithFloat(buildTwo, { x: randomFloats(N * 4, 10) }, { x: [N, 4] }, { minElements: 100 });
    expect(model.graph.initializers.has('small')).toBe(true);
    expect(model.graph.initializers.has('large_quantized')).toBe(true);
    expect(summary.quantized.map((q) => q.node)).toEqual(['large_mm']);
    expect(summary.skipped).toEqual([{ node: 'small_mm', op: 'MatMul', reason: 'B has 16 elements, fewer than --min-elements 100' }]);
  });
});

describe('Gemm', () => {
  const buildGemm = (attrs: Record<string, number>, shareWithMatMul = false): Model => {
    const b = new ModelBuilder();
    const transA = attrs.transA === 1;
    const x = b.input('x', DataType.FLOAT, transA ? [8, N] : [N, 8]);
    const w = b.initializer('w', randomFloats(64, 11, 0.5), [8, 8]);
    const c = b.initializer('c', randomFloats(8, 12, 0.5), [8]);
    // alpha and beta are float attributes even when integral.
    const typed = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, k === 'alpha' || k === 'beta' ? Attribute.float(k, v) : v]));
    b.output(b.node('Gemm', [x, w, c], typed, { name: 'fc' }), DataType.FLOAT, [N, 8]);
    if (shareWithMatMul) {
      const x2 = b.input('x2', DataType.FLOAT, [N, 8]);
      b.output(b.node('MatMul', [x2, w], {}, { name: 'mm' }), DataType.FLOAT, [N, 8]);
    }
    return b.build();
  };

  const gemmAttributes: Record<string, number>[] = [{ transB: 1 }, { transB: 0 }, { transA: 1, transB: 1, alpha: 0.5, beta: 2 }];
  for (const attrs of gemmAttributes) {
    it(`computes alpha * A' * B' + beta * C like float32 (${JSON.stringify(attrs)}), keeping the Gemm's name`, async () => {
      const { float, quantized, model } = await compareWithFloat(
        () => buildGemm(attrs),
        { x: randomFloats(N * 8, 13) },
        { x: attrs.transA ? [8, N] : [N, 8] },
      );
      expectClose(Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array);
      expect(opCounts(model).Gemm).toBeUndefined();
      const producer = model.graph.outputs[0]!.producer()!;
      expect(producer.name).toBe('fc');
      expect(model.graph.initializers.get('w_quantized')!.initializer!.dims.map(Number)).toEqual([8, 8]);
    });
  }

  it('stores B transposed for transB = 1 without touching a float B another node still reads', async () => {
    const feeds = { x: randomFloats(N * 8, 14), x2: randomFloats(N * 8, 15) };
    const dims = { x: [N, 8], x2: [N, 8] };
    const { float, quantized, model, summary } = await compareWithFloat(() => buildGemm({ transB: 1 }, true), feeds, dims);
    // Two layouts of the same tensor: one transposed for the Gemm, one as stored for the MatMul.
    expect(summary.weightsQuantized).toBe(2);
    for (const name of Object.keys(float)) expectClose(float[name]!.data as Float32Array, quantized[name]!.data as Float32Array);
    expect(model.graph.initializers.has('w')).toBe(false);
  });

  it('matches --include-nodes and --exclude-nodes against the Gemm name', () => {
    const only = buildGemm({ transB: 1 }, true);
    const included = quantizeDynamic(only, { includeNodes: ['fc'] }).summary;
    expect(included.quantized.map((q) => q.node)).toEqual(['fc']);
    expect(opCounts(only).MatMul).toBe(1);
    const other = buildGemm({ transB: 1 }, true);
    const excluded = quantizeDynamic(other, { excludeNodes: ['fc'] }).summary;
    expect(excluded.quantized.map((q) => q.node)).toEqual(['mm']);
    expect(excluded.skipped).toEqual([{ node: 'fc', op: 'Gemm', reason: 'excluded by --exclude-nodes' }]);
    expect(opCounts(other).Gemm).toBe(1);
  });
});
