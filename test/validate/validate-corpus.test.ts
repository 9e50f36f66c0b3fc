/**
 * validate() end to end on the corpus models and onnxruntime's own converted variants. Every figure checked here is
 * recomputed in this test: both models run in this process with onnxruntime-node (same thread settings), inputs are
 * decoded straight from the .pb files, and max abs error and accuracy are computed with plain loops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/io/load.js';
import { synthesizeInputs } from '../../src/validate/synthesize.js';
import { validate } from '../../src/validate/validate.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { maxAbsDiff, top1Accuracy } from '../helpers/metrics.js';
import { readTensorPb, readTestDataFeeds } from '../helpers/ort.js';

const MODELS = CORPUS_MODELS_DIR;
const VARIANTS = ['int8', 'fp16'] as const;

type Feeds = Record<string, ort.Tensor>;

const sessions = new Map<string, ort.InferenceSession>();
async function session(file: string): Promise<ort.InferenceSession> {
  let s = sessions.get(file);
  if (!s) {
    s = await ort.InferenceSession.create(file, {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    sessions.set(file, s);
  }
  return s;
}

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
});

const outputDims = new Map<string, readonly number[]>();
/** The baseline's outputs on test_data_set_0, computed once per model (both variants compare against them). */
const baselineOutputs: Record<string, Record<string, Float32Array>> = {};

async function outputsOf(file: string, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const s = await session(file);
  const result = await s.run(feeds);
  for (const name of s.outputNames) outputDims.set(name, result[name]!.dims);
  return Object.fromEntries(s.outputNames.map((name) => [name, result[name]!.data as Float32Array]));
}

function expectRelativelyClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(expected), 1e-12));
}

describe.skipIf(!HAVE_CORPUS)('validate() on corpus models against onnxruntime run in the test', () => {
  for (const model of CORPUS_MODELS) {
    for (const variant of VARIANTS) {
      it(`${model} vs ort/${variant}.onnx`, async () => {
        const dir = join(MODELS, model);
        const baseline = join(dir, 'model.onnx');
        const candidate = join(dir, 'ort', `${variant}.onnx`);
        const labelsFile = join(dir, 'labels.pb');
        const hasLabels = existsSync(labelsFile);
        const result = await validate({
          baseline,
          candidate,
          inputs: [join(dir, 'test_data_set_0')],
          ...(hasLabels ? { labels: labelsFile } : {}),
        });

        const feeds = readTestDataFeeds(join(dir, 'test_data_set_0'));
        const expectedCandidate = await outputsOf(candidate, feeds);
        const expectedBaseline = (baselineOutputs[model] ??= await outputsOf(baseline, feeds));
        expect(result.outputs.map((o) => o.name)).toEqual(Object.keys(expectedBaseline));
        for (const output of result.outputs) {
          expectRelativelyClose(output.metrics.maxAbs, maxAbsDiff(expectedBaseline[output.name]!, expectedCandidate[output.name]!));
          expect(output.dims).toEqual([...outputDims.get(output.name)!]);
        }
        expect(result.kind).toBe(variant);
        expect(result.inputs.source).toBe('test-data');
        expect(result.baseline.session!.peakRssBytes).toBeGreaterThan(result.baseline.session!.rssBeforeLoadBytes!);
        expect(result.candidate.fileBytes).toBe(readFileSync(candidate).length);
        expect(result.environment).toMatchObject({ executionProvider: 'cpu', intraOpNumThreads: 2, onnxruntimeVersion: '1.30.0' });
        if (variant === 'fp16') expect(result.notes.join(' ')).toMatch(/computes many float16 operators in float32/);

        if (hasLabels) {
          const labels = readTensorPb(labelsFile).tensor.data as BigInt64Array;
          const first = Object.keys(expectedBaseline)[0]!;
          const classes = result.outputs[0]!.dims.at(-1)!;
          expect(result.accuracy!.output).toBe(first);
          expect(result.accuracy!.baseline.accuracy).toBe(top1Accuracy(expectedBaseline[first]!, classes, labels));
          expect(result.accuracy!.candidate.accuracy).toBe(top1Accuracy(expectedCandidate[first]!, classes, labels));
        } else {
          expect(result.accuracy).toBeUndefined();
        }
      });
    }
  }

  it('stacks several synthesized samples: bert_tiny int8, 3 samples', async () => {
    const dir = join(MODELS, 'bert_tiny');
    const baseline = join(dir, 'model.onnx');
    const candidate = join(dir, 'ort', 'int8.onnx');
    const inputs = synthesizeInputs(loadModel(baseline), { samples: 3, seed: 11, dims: { batch: 2, seq: 9 } });
    const result = await validate({ baseline, candidate, inputs });
    let expected = 0;
    for (const sample of inputs.samples) {
      const feeds: Feeds = {};
      for (const [name, t] of sample) feeds[name] = new ort.Tensor('int64', t.toTypedArray() as BigInt64Array, t.dims.map(Number));
      const b = await outputsOf(baseline, feeds);
      const c = await outputsOf(candidate, feeds);
      expected = Math.max(expected, maxAbsDiff(b.logits!, c.logits!));
    }
    expect(result.outputs[0]!.dims).toEqual([3, 2, 3]);
    expect(result.outputs[0]!.metrics.elements).toBe(18);
    expectRelativelyClose(result.outputs[0]!.metrics.maxAbs, expected);
    expect(result.inputs).toMatchObject({ source: 'random', seed: 11 });
  });
});
