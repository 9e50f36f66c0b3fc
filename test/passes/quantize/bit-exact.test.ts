/**
 * Every quantized weight, scale and zero point onnxruntime's quantize_dynamic
 * wrote into the corpus files (ort/int8.onnx, uint8.onnx, int8_pc.onnx) must
 * equal ours for the same weight, byte for byte, under the same name.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../src/ir/tensor.js';
import { loadModel } from '../../../src/io/load.js';
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

        // Per tensor, the int8 Conv weights of the default form (float math) are the ConvInteger ones.
        if (!options.perChannel) {
          const byDefault = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
          quantizeDynamic(byDefault, options);
          const convWeights = [...byDefault.graph.nodes].filter((n) => n.opType === 'Cast' && n.input(0)?.initializer && n.input(0)!.name.endsWith('_quantized'));
          expect(convWeights.length).toBe(opCounts(reference).ConvInteger ?? 0);
          const differing = convWeights.map((n) => n.input(0)!).filter((q) => !sameTensor(q.initializer!, ours.get(q.name)!));
          expect(differing.map((q) => q.name)).toEqual([]);
        }
      });
    }
  }
});
