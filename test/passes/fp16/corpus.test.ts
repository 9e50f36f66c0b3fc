/**
 * FP16 acceptance on the six corpus models, measured in onnxruntime-node:
 * converted with --keep-io-types, each model loads and runs; its first output's
 * cosine similarity to the float32 reference outputs of test_data_set_0 is at
 * least 0.9999 and no worse than that of onnxruntime's own converter
 * (ort/fp16.onnx); the file is at most 1% larger than ort/fp16.onnx; where
 * labels.pb exists the task metric (top-1 accuracy of the first output's
 * argmax over its last axis) stays within 0.2 points of float32. The output
 * is topologically sorted and a second run changes nothing. Nothing is clamped
 * but the attention masks' stand-ins for infinity (finfo(float32).min), so no
 * model can fall below because of clamping (test/passes/fp16/guard-constants.test.ts
 * has the models that did).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel, parseModel } from '../../../src/io/load.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { loadTestDataSet, numericValues, readTensorFile } from '../../../src/io/tensor-files.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../../helpers/corpus.js';
import { cosine, top1Accuracy } from '../../helpers/metrics.js';
import { runModelValues as runModel } from '../../helpers/ort.js';
import { expectTopologicallySorted } from './graph-checks.js';

describe.skipIf(!HAVE_CORPUS)('FP16 on the corpus models', () => {
  for (const name of CORPUS_MODELS) {
    it(`${name}: runs, cosine >= 0.9999 and >= onnxruntime's, size <= ort/fp16.onnx + 1%, metric within 0.2 points, sorted, idempotent, only stand-ins clamped`, async () => {
      const dir = join(CORPUS_MODELS_DIR, name);
      const model = loadModel(join(dir, 'model.onnx'));
      const inputs = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
      const outputs = model.graph.outputs.map((v) => v.name);
      const data = loadTestDataSet(join(dir, 'test_data_set_0'), inputs, outputs);
      const first = outputs[0]!;
      const reference = numericValues(data.outputs.get(first)!);

      const { summary } = toFloat16(model, { keepIoTypes: true });
      expect(summary.clamped.filter((c) => !c.standIn)).toEqual([]);
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
        const drop = Math.abs(top1Accuracy(ours.values, lastDim, labels) - top1Accuracy(reference, lastDim, labels));
        expect(drop).toBeLessThanOrEqual(0.002);
      }
    });
  }
});
