/**
 * com.microsoft Attention -> QAttention, LSTM -> DynamicQuantizeLSTM, and a
 * BERT layer as onnxruntime's transformer optimizer fuses it
 * (SkipLayerNormalization, BiasGelu, Attention) with no value_info at all:
 * the graph onnxruntime's own quantizer cannot type. Each runs in ONNX
 * Runtime and is compared with the float32 model.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Attribute } from '../../../src/ir/attribute.js';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { cosine, maxAbs, maxAbsDiff } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from './helpers.js';

const MS = 'com.microsoft';
const H = 16;
const S = 6;

function outputOf(outputs: Record<string, ort.Tensor>, name: string): Float32Array {
  return outputs[name]!.data as Float32Array;
}

describe('Attention -> QAttention', () => {
  const build = (bias: 'random' | 'zeros' | 'none'): Model => {
    const b = new ModelBuilder({ opsets: { [MS]: 1 } });
    const x = b.input('x', DataType.FLOAT, [1, S, H]);
    const mask = b.input('mask', DataType.INT32, [1, S]);
    const w = b.initializer('qkv_w', randomFloats(H * 3 * H, 31, 0.3), [H, 3 * H]);
    const biasValue =
      bias === 'none' ? null : b.initializer('qkv_b', bias === 'zeros' ? new Float32Array(3 * H) : randomFloats(3 * H, 32, 0.1), [3 * H]);
    b.output(b.node('Attention', [x, w, biasValue, mask], { num_heads: 2 }, { domain: MS, name: 'attn' }), DataType.FLOAT, [1, S, H]);
    return b.build();
  };
  const feeds = {
    x: floatTensor(randomFloats(S * H, 33), [1, S, H]),
    mask: new ort.Tensor('int32', Int32Array.of(1, 1, 1, 1, 0, 0), [1, S]),
  };

  for (const withBias of [true, false]) {
    it(`runs and follows float32 (${withBias ? 'with' : 'without'} bias)`, async () => {
      // onnxruntime 1.30's float Attention crashes without a bias: the reference spells out the zero bias.
      const float = await runModel(build(withBias ? 'random' : 'zeros'), feeds);
      const model = build(withBias ? 'random' : 'none');
      const { summary } = quantizeDynamic(model);
      expect(summary.counts).toEqual({ Attention: 1 });
      expect(opCounts(model)).toEqual({ DynamicQuantizeLinear: 1, QAttention: 1 });
      const qattention = [...model.graph.nodes].find((n) => n.opType === 'QAttention')!;
      expect(qattention.domain).toBe(MS);
      expect(qattention.attr('num_heads')!.asNumber()).toBe(2);
      const quantized = await runModel(model, feeds);
      const name = model.graph.outputs[0]!.name;
      expect(cosine(outputOf(float, name), outputOf(quantized, name))).toBeGreaterThan(0.999);
    });
  }
});

describe('LSTM -> DynamicQuantizeLSTM', () => {
  const I = 6;
  const hidden = 5;
  const build = (directions: number): Model => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [4, 2, I]);
    const w = b.initializer('W', randomFloats(directions * 4 * hidden * I, 41, 0.5), [directions, 4 * hidden, I]);
    const r = b.initializer('R', randomFloats(directions * 4 * hidden * hidden, 42, 0.5), [directions, 4 * hidden, hidden]);
    const bias = b.initializer('B', randomFloats(directions * 8 * hidden, 43, 0.2), [directions, 8 * hidden]);
    const attrs = { hidden_size: hidden, direction: directions === 2 ? 'bidirectional' : 'forward' };
    const [y, yh] = b.nodeMulti('LSTM', [x, w, r, bias], attrs, { outputs: 2, name: 'lstm' });
    b.output(y!, DataType.FLOAT, [4, directions, 2, hidden]);
    b.output(yh!, DataType.FLOAT, [directions, 2, hidden]);
    return b.build();
  };
  const feeds = { x: floatTensor(randomFloats(4 * 2 * I, 44), [4, 2, I]) };

  for (const [directions, perChannel] of [
    [1, false],
    [2, true],
  ] as const) {
    it(`runs and follows float32 (${directions} direction(s), per-channel ${perChannel})`, async () => {
      const float = await runModel(build(directions), feeds);
      const model = build(directions);
      expect(model.opsetVersion(MS)).toBeUndefined();
      const { summary } = quantizeDynamic(model, { perChannel });
      expect(summary.counts).toEqual({ LSTM: 1 });
      expect(opCounts(model)).toEqual({ DynamicQuantizeLSTM: 1 });
      expect(model.opsetVersion(MS)).toBe(1);
      // Stored transposed: [directions, input, 4 * hidden], scales per direction or per gate row.
      expect(model.graph.initializers.get('W_quantized')!.initializer!.dims.map(Number)).toEqual([directions, I, 4 * hidden]);
      expect(model.graph.initializers.get('W_scale')!.initializer!.dims.map(Number)).toEqual(perChannel ? [directions, 4 * hidden] : [directions]);
      const quantized = await runModel(model, feeds);
      for (const out of model.graph.outputs) {
        const [a, b] = [outputOf(float, out.name), outputOf(quantized, out.name)];
        expect(cosine(a, b)).toBeGreaterThan(0.999);
        expect(maxAbsDiff(a, b)).toBeLessThan(0.05 * maxAbs(a));
      }
    });
  }
});

describe('a BERT layer fused by the transformer optimizer', () => {
  const V = 30;
  const build = (): Model => {
    const b = new ModelBuilder({ opsets: { [MS]: 1 } });
    const ids = b.input('input_ids', DataType.INT64, [1, S]);
    const w = (name: string, dims: number[], seed: number, scale = 0.3) =>
      b.initializer(
        name,
        randomFloats(
          dims.reduce((p, d) => p * d, 1),
          seed,
          scale,
        ),
        dims,
      );
    const ones = (name: string) =>
      b.initializer(
        name,
        Float32Array.from({ length: H }, () => 1),
        [H],
      );
    const zeros = (name: string) => b.initializer(name, new Float32Array(H), [H]);
    const emb = b.node('Gather', [w('word_embeddings', [V, H], 51, 1), ids], {}, { name: 'embed' });
    const h0 = b.node('LayerNormalization', [emb, ones('ln0_g'), zeros('ln0_b')], { axis: -1, epsilon: Attribute.float('epsilon', 1e-5) });
    const attn = b.node('Attention', [h0, w('qkv_w', [H, 3 * H], 52), w('qkv_b', [3 * H], 53, 0.1)], { num_heads: 2 }, { domain: MS, name: 'attn' });
    const proj = b.node('MatMul', [attn, w('proj_w', [H, H], 54)], {}, { name: 'proj' });
    const h1 = b.node(
      'SkipLayerNormalization',
      [proj, h0, ones('ln1_g'), zeros('ln1_b'), w('proj_b', [H], 55, 0.1)],
      { epsilon: Attribute.float('epsilon', 1e-5) },
      { domain: MS },
    );
    const up = b.node('MatMul', [h1, w('fc1_w', [H, 4 * H], 56)], {}, { name: 'fc1' });
    const act = b.node('BiasGelu', [up, w('fc1_b', [4 * H], 57, 0.1)], {}, { domain: MS });
    const down = b.node('MatMul', [act, w('fc2_w', [4 * H, H], 58)], {}, { name: 'fc2' });
    const h2 = b.node(
      'SkipLayerNormalization',
      [down, h1, ones('ln2_g'), zeros('ln2_b'), w('fc2_b', [H], 59, 0.1)],
      { epsilon: Attribute.float('epsilon', 1e-5) },
      { domain: MS },
    );
    b.output(b.node('MatMul', [h2, w('cls_w', [H, 3], 60)], {}, { name: 'classifier' }), DataType.FLOAT, [1, S, 3]);
    return b.build();
  };

  it('is quantized without any intermediate type information, runs, and follows float32', async () => {
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.of(1n, 7n, 29n, 3n, 3n, 0n), [1, S]) };
    const model = build();
    expect(model.graph.valueInfo).toEqual([]);
    const float = await runModel(build(), feeds);
    const { summary } = quantizeDynamic(model);
    expect(summary.counts).toEqual({ Gather: 1, Attention: 1, MatMul: 4 });
    expect(summary.skipped).toEqual([]);
    const counts = opCounts(model);
    expect(counts).toMatchObject({ QAttention: 1, MatMulInteger: 4, SkipLayerNormalization: 2, BiasGelu: 1 });
    const quantized = await runModel(model, feeds);
    const name = model.graph.outputs[0]!.name;
    expect(cosine(outputOf(float, name), outputOf(quantized, name))).toBeGreaterThanOrEqual(0.99);
  });
});
