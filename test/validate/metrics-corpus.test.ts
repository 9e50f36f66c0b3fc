/**
 * The metrics on real models: task accuracy of the reference outputs must equal the corpus's meta.json exactly,
 * and drift of ONNX Runtime's own converted models must match the figures measured with onnxruntime's tools
 * (corpus README) and an independent plain computation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { accuracy, compareOutputs } from '../../src/validate/metrics.js';
import { CORPUS_MODELS_DIR as models, HAVE_CORPUS as haveCorpus } from '../helpers/corpus.js';
import { cosine as plainCosine, top1Accuracy as plainAccuracy } from '../helpers/metrics.js';
import { readTensorPb, runModel } from '../helpers/ort.js';

function loadCase(model: string) {
  const dir = path.join(models, model);
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { fp32_metric?: number; inputs: Record<string, unknown> };
  const inputs: Record<string, ort.Tensor> = {};
  Object.keys(meta.inputs).forEach((name, i) => {
    inputs[name] = readTensorPb(path.join(dir, 'test_data_set_0', `input_${i}.pb`)).tensor;
  });
  const reference = readTensorPb(path.join(dir, 'test_data_set_0', 'output_0.pb')).tensor;
  const labels = readTensorPb(path.join(dir, 'labels.pb')).tensor;
  return { dir, meta, inputs, reference, labels };
}

// Figures from the corpus README (measured with onnxruntime-node 1.30): cosine to 6 decimals, metric to 4.
const MEASURED = [
  { model: 'digits_cnn', variant: 'int8', cosine: 0.999984, metric: 0.9889 },
  { model: 'digits_cnn', variant: 'fp16', cosine: 1.0, metric: 0.9889 },
  { model: 'char_gpt', variant: 'int8', cosine: 0.999835, metric: 0.6975 },
  { model: 'char_gpt', variant: 'fp16', cosine: 1.0, metric: 0.6958 },
];

describe.skipIf(!haveCorpus)('metrics on the corpus models', () => {
  for (const model of ['digits_cnn', 'char_gpt']) {
    it(`${model}: accuracy of the float32 reference outputs equals meta.json's fp32_metric exactly`, () => {
      const { meta, reference, labels } = loadCase(model);
      const score = accuracy(reference.data as Float32Array, reference.dims, labels.data as BigInt64Array);
      expect(score.count).toBe(labels.data.length);
      expect(score.accuracy).toBe(meta.fp32_metric);
    });
  }

  for (const m of MEASURED) {
    it(`${m.model} ${m.variant}: drift and accuracy match onnxruntime's measurements and a plain computation`, async () => {
      const { dir, inputs, reference, labels } = loadCase(m.model);
      const outputs = await runModel(path.join(dir, 'ort', `${m.variant}.onnx`), inputs, { intraOpNumThreads: 2 });
      const candidate = Object.values(outputs)[0]!.data as Float32Array;
      const ref = reference.data as Float32Array;
      const metrics = compareOutputs(ref, candidate, reference.dims);
      expect(Math.abs(metrics.cosine - m.cosine)).toBeLessThanOrEqual(2e-6);
      expect(Math.abs(metrics.cosine - plainCosine(ref, candidate))).toBeLessThanOrEqual(1e-12);
      let maxAbs = 0;
      ref.forEach((v, i) => (maxAbs = Math.max(maxAbs, Math.abs(v - candidate[i]!))));
      expect(Math.abs(metrics.maxAbs - maxAbs)).toBeLessThanOrEqual(1e-6 * maxAbs);
      const classes = reference.dims[reference.dims.length - 1]!;
      const score = accuracy(candidate, reference.dims, labels.data as BigInt64Array);
      expect(score.accuracy).toBe(plainAccuracy(candidate, classes, labels.data as BigInt64Array));
      // one labelled row of slack: int8 kernels differ slightly between CPU instruction sets
      expect(Math.abs(score.accuracy - m.metric)).toBeLessThanOrEqual(5e-5 + 1 / score.count);
    });
  }
});
