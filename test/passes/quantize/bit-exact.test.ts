/**
 * Every quantized weight, scale and zero point onnxruntime's quantize_dynamic
 * wrote into the corpus files (ort/int8.onnx, uint8.onnx, int8_pc.onnx) must
 * equal ours for the same weight, byte for byte, under the same name. Conv's
 * default form (int8 weights, float math) is per output channel, which
 * onnxruntime's files have no Conv form for: per tensor it equals their
 * ConvInteger weights, and per channel each channel equals onnxruntime's
 * arithmetic applied to that channel alone.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/ir/tensor.js';
import { loadModel } from '../../../src/io/load.js';
import { ortDynamicWeightOptions, quantizeTensor } from '../../../src/passes/quantize/params.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import type { QuantizeDynamicOptions } from '../../../src/passes/quantize/options.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../../helpers/corpus.js';
import { opCounts } from './helpers.js';

const VARIANTS: [string, QuantizeDynamicOptions][] = [
  ['int8', { weightType: 'int8' }],
  ['uint8', { weightType: 'uint8' }],
  ['int8_pc', { weightType: 'int8', perChannel: true }],
];

function sameTensor(a: Tensor, b: Tensor): boolean {
  return (
    a.dataType === b.dataType &&
    a.dims.map(Number).join(',') === b.dims.map(Number).join(',') &&
    Buffer.compare(Buffer.from(a.rawBytes()), Buffer.from(b.rawBytes())) === 0
  );
}

describe.skipIf(!HAVE_CORPUS)('quantized weights equal onnxruntime quantize_dynamic bit for bit', () => {
  for (const name of CORPUS_MODELS) {
    for (const [variant, options] of VARIANTS) {
      it(`${name} ${variant}`, () => {
        const reference = loadModel(join(CORPUS, 'models', name, 'ort', `${variant}.onnx`));
        const model = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
        // onnxruntime quantized Conv as ConvInteger (its default op types include Conv).
        quantizeDynamic(model, { ...options, opTypes: ['MatMul', 'Gemm', 'Gather', 'Conv'], convInteger: true });
        const ours = new Map([...model.graph.initializers].map(([n, v]) => [n, v.initializer!]));
        const expected = [...reference.graph.initializers].filter(([n]) => /_(quantized|scale|zero_point)$/.test(n));
        expect(expected.length).toBeGreaterThan(0);
        const mismatched = expected.filter(([n, v]) => !ours.has(n) || !sameTensor(ours.get(n)!, v.initializer!)).map(([n]) => n);
        expect(mismatched).toEqual([]);

        // Per tensor (convPerChannel off), the int8 Conv weights of the default form (float math) are the ConvInteger ones.
        if (!options.perChannel) {
          const byDefault = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
          quantizeDynamic(byDefault, { ...options, convPerChannel: false });
          const convWeights = [...byDefault.graph.nodes].filter(
            (n) => n.opType === 'Cast' && n.input(0)?.initializer && n.input(0)!.name.endsWith('_quantized'),
          );
          expect(convWeights.length).toBe(opCounts(reference).ConvInteger ?? 0);
          const differing = convWeights.map((n) => n.input(0)!).filter((q) => !sameTensor(q.initializer!, ours.get(q.name)!));
          expect(differing.map((q) => q.name)).toEqual([]);
        }
      });
    }
  }

  // By default the expanded Conv weights are per output channel: each channel quantized with onnxruntime's Conv
  // arithmetic (params.ts, checked bit for bit above), its scale shaped [C, 1, 1, 1] for the Mul.
  for (const name of CORPUS_MODELS) {
    for (const weightType of ['int8', 'uint8'] as const) {
      it(`${name} ${weightType}: default Conv weights, channel by channel`, () => {
        const original = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
        const model = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
        quantizeDynamic(model, { weightType });
        const casts = [...model.graph.nodes].filter((n) => n.opType === 'Cast' && n.input(0)?.initializer && n.input(0)!.name.endsWith('_quantized'));
        for (const cast of casts) {
          const base = cast.input(0)!.name.replace(/_quantized$/, '');
          const float = original.graph.initializers.get(base)!.initializer!;
          const dims = float.dims.map(Number);
          const scale = model.graph.initializers.get(`${base}_scale`)!.initializer!;
          expect(scale.dims.map(Number)).toEqual([dims[0], ...dims.slice(1).map(() => 1)]);
          const data = float.toTypedArray() as Float32Array;
          const size = data.length / dims[0]!;
          const q = cast.input(0)!.initializer!.toTypedArray() as Int8Array | Uint8Array;
          const scales = scale.toTypedArray() as Float32Array;
          for (let c = 0; c < dims[0]!; c++) {
            const channel = quantizeTensor(
              data.subarray(c * size, (c + 1) * size),
              [size],
              ortDynamicWeightOptions('Conv', { weightType, perChannel: false, reduceRange: false }),
            );
            expect(scales[c]).toBe(channel.params.scale[0]);
            expect([...q.subarray(c * size, (c + 1) * size)]).toEqual([...channel.quantized]);
          }
        }
        expect(casts.length).toBe(name === 'digits_cnn' ? 2 : name === 'vit_tiny' ? 1 : 0);
      });
    }
  }
});
