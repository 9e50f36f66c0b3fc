/**
 * The FP16 pass on block-quantized models (`--to fp16` on a q4 model, and the second half of q4f16):
 * com.microsoft MatMulNBits and GatherBlockQuantized, and blocked DequantizeLinear, run in float16. Their float
 * inputs and outputs (A, Y, the scales, MatMulNBits' bias) become float16; the packed weights and integer zero
 * points keep their bytes; a scale is never written as zero. Every converted model runs in onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import { float16ToFloat32, float32ToFloat16 } from '../../../src/ir/float16.js';
import type { Node, Value } from '../../../src/ir/graph.js';
import type { Model } from '../../../src/ir/model.js';
import { elemTypeOf } from '../../../src/ir/types.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { parseModel } from '../../../src/io/load.js';
import { FLOAT16_QUANTIZED_WEIGHT_OPS, blockRuleFor, isScaleInput } from '../../../src/passes/fp16/blocklist.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import type { QuantizeNBitsOptions } from '../../../src/passes/quantize-nbits/options.js';
import { quantizeNBits } from '../../../src/passes/quantize-nbits/quantize.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { cosine } from '../../helpers/metrics.js';
import { runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from '../quantize/helpers.js';

const ids = new ort.Tensor(
  'int64',
  BigInt64Array.from({ length: 8 }, (_, i) => BigInt((i * 13) % 50)),
  [2, 4],
);

/** Embedding (Gather) -> Reshape to [8, 64] -> MatMul -> Relu -> Gemm with a bias (transB) -> [8, 32]. */
function buildModel(): Model {
  const b = new ModelBuilder();
  const input = b.input('ids', DataType.INT64, [2, 4]);
  let h: Value = b.node('Gather', [b.initializer('embed', randomFloats(50 * 64, 1, 0.5), [50, 64]), input], {}, { name: 'embed_gather' });
  h = b.node('Reshape', [h, b.initializer('rows', BigInt64Array.of(8n, 64n), [2])]);
  h = b.node('Relu', [b.node('MatMul', [h, b.initializer('w1', randomFloats(64 * 96, 2, 0.2), [64, 96])], {}, { name: 'mm1' })]);
  h = b.node(
    'Gemm',
    [h, b.initializer('w2', randomFloats(32 * 96, 3, 0.2), [32, 96]), b.initializer('b2', randomFloats(32, 4, 0.1), [32])],
    { transB: 1 },
    { name: 'fc' },
  );
  b.output(h, DataType.FLOAT, [8, 32]);
  return b.build();
}

const copy = (model: Model): Model => parseModel(modelToBytes(model));
const first = (out: Record<string, ort.Tensor>): ort.Tensor => Object.values(out)[0]!;
const asFloat32 = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array));

function quantized(options: QuantizeNBitsOptions = {}): Model {
  const model = buildModel();
  quantizeNBits(model, { opTypes: ['MatMul', 'Gemm', 'Gather'], includeNodes: ['embed_gather', 'mm1', 'fc'], ...options });
  return model;
}

function nodesOf(model: Model, op: string): Node[] {
  return [...model.graph.allNodes()].filter((n) => n.opType === op);
}

const bytesOf = (v: Value | null): Buffer => Buffer.from(v!.initializer!.rawBytes());

describe('FP16 on block-quantized models', () => {
  it('the rules: MatMulNBits and GatherBlockQuantized are on no block list, their scale inputs are known', () => {
    expect(blockRuleFor('MatMulNBits', 'com.microsoft')).toBeUndefined();
    expect(blockRuleFor('GatherBlockQuantized', 'com.microsoft')).toBeUndefined();
    expect(blockRuleFor('DequantizeLinear', '', { opset: 21 })).toBeUndefined();
    expect(FLOAT16_QUANTIZED_WEIGHT_OPS.map((q) => q.op)).toEqual(['MatMulNBits', 'GatherBlockQuantized', 'DequantizeLinear']);
    expect(isScaleInput('MatMulNBits', 'com.microsoft', 2)).toBe(true);
    expect(isScaleInput('MatMulNBits', 'com.microsoft', 1)).toBe(false);
    expect(isScaleInput('GatherBlockQuantized', 'com.microsoft', 2)).toBe(true);
    expect(isScaleInput('DequantizeLinear', 'ai.onnx', 1)).toBe(true);
  });

  for (const [label, options] of [
    ['symmetric', {}],
    ['asymmetric (uint8 zero points)', { symmetric: false }],
    ['8 bits, asymmetric', { bits: 8, symmetric: false }],
  ] as const) {
    it(`${label}: float inputs and outputs become float16, packed weights and zero points keep their bytes; it runs`, async () => {
      const q4 = quantized(options);
      expect(opCounts(q4)).toMatchObject({ GatherBlockQuantized: 1, MatMulNBits: 2 });
      const before = copy(q4);
      const q4Out = asFloat32(first(await runModel(before, { ids })));

      const { summary } = toFloat16(q4, { keepIoTypes: true });
      expect(summary.kept.nodes).toEqual([]);
      for (const node of [...nodesOf(q4, 'MatMulNBits'), ...nodesOf(q4, 'GatherBlockQuantized')]) {
        const original = [...before.graph.nodes].find((n) => n.name === node.name)!;
        // Packed weights (input 0 of GatherBlockQuantized, 1 of MatMulNBits) and zero points: the same bytes.
        const packed = node.opType === 'MatMulNBits' ? 1 : 0;
        expect(node.input(packed)!.initializer!.dataType).toBe(DataType.UINT8);
        expect(bytesOf(node.input(packed)).equals(bytesOf(original.input(packed)))).toBe(true);
        if (node.input(3)) expect(bytesOf(node.input(3)).equals(bytesOf(original.input(3)))).toBe(true);
        expect(Boolean(node.input(3))).toBe(options.symmetric === false);
        // The scales: float16, each the float16 rounding of the float32 scale.
        const scales = node.input(2)!.initializer!;
        expect(scales.dataType).toBe(DataType.FLOAT16);
        const expected = float32ToFloat16(original.input(2)!.initializer!.toTypedArray() as Float32Array);
        expect(Buffer.from(scales.rawBytes()).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
      }
      // The Gemm's bias is MatMulNBits' input 5, and float16 too.
      const fc = nodesOf(q4, 'MatMulNBits').find((n) => n.input(5))!;
      expect(fc.input(5)!.initializer!.dataType).toBe(DataType.FLOAT16);
      expect(elemTypeOf(q4.graph.outputs[0]!.type)).toBe(DataType.FLOAT);

      const out = first(await runModel(q4, { ids }));
      expect(out.type).toBe('float32');
      expect(cosine(out.data as Float32Array, q4Out)).toBeGreaterThan(0.9999);
    });
  }

  it('without --keep-io-types the graph output is float16 too', async () => {
    const q4 = quantized();
    const q4Out = asFloat32(first(await runModel(copy(q4), { ids })));
    toFloat16(q4);
    const out = first(await runModel(q4, { ids }));
    expect(out.type).toBe('float16');
    expect(cosine(asFloat32(out), q4Out)).toBeGreaterThan(0.9999);
  });

  it('QDQ format (INT4 weights, blocked DequantizeLinear at opset 21): float16 scales, the INT4 tensors unchanged', async () => {
    const q4 = quantized({ format: 'qdq' });
    const before = copy(q4);
    const q4Out = asFloat32(first(await runModel(before, { ids })));
    toFloat16(q4, { keepIoTypes: true });
    const dqs = nodesOf(q4, 'DequantizeLinear');
    expect(dqs.length).toBe(3);
    for (const dq of dqs) {
      expect(dq.input(0)!.initializer!.dataType).toBe(DataType.INT4);
      expect(dq.input(1)!.initializer!.dataType).toBe(DataType.FLOAT16);
      const original = before.graph.initializers.get(dq.input(0)!.name)!;
      expect(bytesOf(dq.input(0)).equals(bytesOf(original))).toBe(true);
    }
    expect(cosine(first(await runModel(q4, { ids })).data as Float32Array, q4Out)).toBeGreaterThan(0.9999);
  });

  it('a block of tiny weights keeps a non-zero scale, also with --flush-subnormals', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 64]);
    // Column 0 holds values near 1e-9 (scale ~1.3e-10, which float16 rounds to 0), column 1 near 1e-5 (a
    // subnormal scale, which --flush-subnormals would zero), the others ordinary weights.
    const w = randomFloats(64 * 4, 5, 0.2);
    for (let k = 0; k < 64; k++) {
      w[k * 4] = w[k * 4]! * 5e-9;
      w[k * 4 + 1] = w[k * 4 + 1]! * 5e-5;
    }
    b.output(b.node('MatMul', [x, b.initializer('w', w, [64, 4])], {}, { name: 'mm' }), DataType.FLOAT, [2, 4]);
    const model = b.build();
    quantizeNBits(model);
    const { summary } = toFloat16(model, { keepIoTypes: true, flushSubnormals: true });
    const scales = float16ToFloat32(nodesOf(model, 'MatMulNBits')[0]!.input(2)!.initializer!.toTypedArray() as Uint16Array);
    // [N, kBlocks] = [4, 2]: no scale is zero; column 0's are float16's smallest subnormal (with their sign).
    expect([...scales].every((s) => s !== 0)).toBe(true);
    expect(Math.abs(scales[0]!)).toBe(2 ** -24);
    expect(Math.abs(scales[2]!)).toBeGreaterThan(2 ** -24);
    expect(Math.abs(scales[2]!)).toBeLessThan(2 ** -14);
    expect(summary.notes.join('\n')).toMatch(/2 scale\(s\) of 'w_scales' below float16's range written as 2\^-24, not 0/);
    expect(summary.flushed).toEqual([]);
    const xs = new ort.Tensor('float32', randomFloats(128, 6), [2, 64]);
    const out = first(await runModel(model, { x: xs })).data as Float32Array;
    // Column 1 (|w| ~ 1e-5) still computes.
    expect(out[1]).not.toBe(0);
  });
});
