/**
 * FP16 acceptance on the six corpus models, measured in onnxruntime-node:
 * converted with --keep-io-types, each model loads and runs; its first output's
 * cosine similarity to the float32 reference outputs of test_data_set_0 is at
 * least 0.9999 and no worse than that of onnxruntime's own converter
 * (ort/fp16.onnx); the file is at most 1% larger than ort/fp16.onnx; where
 * labels.pb exists the task metric (top-1 accuracy of the first output's
 * argmax over its last axis) stays within 0.2 points of float32. The output
 * is topologically sorted and a second run changes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel, parseModel } from '../../../src/io/load.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { loadTestDataSet, numericValues, readTensorFile } from '../../../src/io/tensor-files.js';
import { expectTopologicallySorted } from './graph-checks.js';
import { cosine, runModel } from './ort-run.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const corpus = process.env.ONNXPRESS_CORPUS ?? resolve(repoRoot, '../shared/corpus');
const modelsDir = join(corpus, 'models');
const haveCorpus = existsSync(modelsDir);
if (!haveCorpus && process.env.ONNXPRESS_REQUIRE_CORPUS) throw new Error(`corpus not found at ${modelsDir}`);

const MODELS = ['bert_tiny', 'char_gpt', 'digits_cnn', 'marian_tiny', 't5_tiny', 'vit_tiny'];

/** Top-1 accuracy of the argmax over the last axis against integer labels. */
function top1(values: Float64Array, lastDim: number, labels: Float64Array): number {
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let j = 1; j < lastDim; j++) if (values[row * lastDim + j]! > values[row * lastDim + best]!) best = j;
    if (best === labels[row]) correct++;
  }
  return correct / labels.length;
}

describe.skipIf(!haveCorpus)('FP16 on the corpus models', () => {
  for (const name of MODELS) {
    it(`${name}: runs, cosine >= 0.9999 and >= onnxruntime's, size <= ort/fp16.onnx + 1%, metric within 0.2 points, sorted, idempotent`, async () => {
      const dir = join(modelsDir, name);
      const model = loadModel(join(dir, 'model.onnx'));
      const inputs = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
      const outputs = model.graph.outputs.map((v) => v.name);
      const data = loadTestDataSet(join(dir, 'test_data_set_0'), inputs, outputs);
      const first = outputs[0]!;
      const reference = numericValues(data.outputs.get(first)!);

      toFloat16(model, { keepIoTypes: true });
      expectTopologicallySorted(model.graph);
      const bytes = modelToBytes(model);
      // A second run changes nothing.
      const again = parseModel(bytes);
      expect(toFloat16(again, { keepIoTypes: true }).modified).toBe(false);
      expect(Buffer.compare(modelToBytes(again), bytes)).toBe(0);
      const ortBytes = readFileSync(join(dir, 'ort', 'fp16.onnx'));
      expect(bytes.length).toBeLessThanOrEqual(ortBytes.length * 1.01);

      const ours = (await runModel(parseModel(bytes), data.inputs)).get(first)!;
      const theirs = (await runModel(ortBytes, data.inputs)).get(first)!;
      expect(ours.type).toBe('float32');
      const ourCosine = cosine(ours.values, reference);
      expect(ourCosine).toBeGreaterThanOrEqual(0.9999);
      expect(ourCosine).toBeGreaterThanOrEqual(cosine(theirs.values, reference) - 1e-6);

      const labelsFile = join(dir, 'labels.pb');
      if (existsSync(labelsFile)) {
        const labels = numericValues(readTensorFile(labelsFile));
        const lastDim = ours.dims[ours.dims.length - 1]!;
        const drop = Math.abs(top1(ours.values, lastDim, labels) - top1(reference, lastDim, labels));
        expect(drop).toBeLessThanOrEqual(0.002);
      }
    });
  }
});
