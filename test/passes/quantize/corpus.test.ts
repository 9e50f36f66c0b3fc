/**
 * Acceptance on the corpus, measured in ONNX Runtime: every model converts
 * with the default options, loads and runs; outputs stay close to float32; the
 * task metric (where labels.pb exists) stays within 0.5 points of float32 and
 * no more than 0.2 points below onnxruntime's own int8 model; the file is no
 * larger than onnxruntime's ort/int8.onnx plus 1%.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../../helpers/corpus.js';
import { cosine, maxAbsDiff, top1Accuracy } from '../../helpers/metrics.js';
import { readTensorPb, readTestDataFeeds, runModel } from '../../helpers/ort.js';
import { opCounts } from './helpers.js';

describe.skipIf(!HAVE_CORPUS)('corpus models quantized with the defaults', () => {
  const out = mkdtempSync(join(tmpdir(), 'onnxpress-int8-'));

  for (const name of CORPUS_MODELS) {
    it(name, async () => {
      const dir = join(CORPUS, 'models', name);
      const feeds = readTestDataFeeds(join(dir, 'test_data_set_0'));
      const expected = readTensorPb(join(dir, 'test_data_set_0', 'output_0.pb')).tensor;
      const ortInt8 = join(dir, 'ort', 'int8.onnx');

      const model = loadModel(join(dir, 'model.onnx'));
      const { summary } = quantizeDynamic(model);
      expect(summary.modified).toBe(true);
      const path = join(out, `${name}.onnx`);
      saveModel(model, path);

      const outputs = await runModel(path, feeds);
      const first = Object.values(outputs)[0]!;
      expect(cosine(first.data as Float32Array, expected.data as Float32Array)).toBeGreaterThan(0.999);

      if (existsSync(join(dir, 'labels.pb'))) {
        const labels = readTensorPb(join(dir, 'labels.pb')).tensor;
        const float32 = top1Accuracy(expected, labels);
        const reference = top1Accuracy(Object.values(await runModel(ortInt8, feeds))[0]!, labels);
        const ours = top1Accuracy(first, labels);
        expect(Math.abs(ours - float32)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(ours).toBeGreaterThanOrEqual(reference - 0.002 - 1e-9);
      }

      // The same integer kernels as onnxruntime's quantizer emitted; Conv (float math by default) as ConvInteger on request.
      const reference = opCounts(loadModel(ortInt8));
      expect(opCounts(model).MatMulInteger).toBe(reference.MatMulInteger);
      expect(opCounts(model).ConvInteger).toBeUndefined();
      if (reference.ConvInteger) {
        const integerConv = loadModel(join(dir, 'model.onnx'));
        quantizeDynamic(integerConv, { convInteger: true });
        expect(opCounts(integerConv).ConvInteger).toBe(reference.ConvInteger);
        // The same weights and the same integer kernels as onnxruntime's file: the same outputs, exactly.
        const [ours, theirs] = [await runModel(modelToBytes(integerConv), feeds), await runModel(ortInt8, feeds)];
        expect(maxAbsDiff(Object.values(ours)[0]!.data as Float32Array, Object.values(theirs)[0]!.data as Float32Array)).toBe(0);
      }
      expect(statSync(path).size).toBeLessThanOrEqual(statSync(ortInt8).size * 1.01);
    });
  }

  it('leaves a model onnxruntime already quantized as it is, and says so', () => {
    const model = loadModel(join(CORPUS, 'models', 'char_gpt', 'ort', 'int8.onnx'));
    const before = modelToBytes(model);
    const { summary } = quantizeDynamic(model);
    expect(summary.modified).toBe(false);
    expect(summary.notes.join('\n')).toMatch(/already quantized \(.*17 MatMulInteger/);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
  });
});
