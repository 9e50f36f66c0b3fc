/** The demo pipeline that `npm start` runs: it checks, it plans both fixtures, and its variants convert. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/cli/run.js';
import { loadPipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { CORPUS, HAVE_CORPUS, REPO_ROOT } from '../helpers/corpus.js';
import { tempDir } from './helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the demo pipeline', () => {
  it('plans every fixture in every variant, with the shipped test data and labels', () => {
    const plan = planPipeline(loadPipeline(DEFAULT_PIPELINE));
    expect(plan.config.out).toBe(path.join(REPO_ROOT, 'out/demo'));
    expect(plan.config.report.dir).toBe(path.join(REPO_ROOT, 'out/demo'));
    expect(plan.models.map((m) => m.id)).toEqual(['char_gpt', 'digits_cnn']);
    for (const m of plan.models) {
      expect(m.inputs).toEqual({ source: 'test-data', dir: path.join(REPO_ROOT, 'fixtures', m.id, 'test_data_set_0') });
      expect(m.labels).toBe(path.join(REPO_ROOT, 'fixtures', m.id, 'labels.pb'));
      expect(m.variants.map((v) => [v.name, v.kind])).toEqual([
        ['fp16', 'fp16'],
        ['int8', 'int8'],
        ['int8-per-channel', 'int8'],
      ]);
    }
  });

  it.skipIf(!HAVE_CORPUS)('ships the corpus models unchanged (fixtures/README.md)', () => {
    for (const id of ['char_gpt', 'digits_cnn']) {
      for (const file of ['model.onnx', 'labels.pb', 'meta.json', 'test_data_set_0/input_0.pb', 'test_data_set_0/output_0.pb']) {
        expect(sha(path.join(REPO_ROOT, 'fixtures', id, file)), `${id}/${file}`).toBe(sha(path.join(CORPUS, 'models', id, file)));
      }
    }
  });

  it('converts digits_cnn into each variant, and each runs in ONNX Runtime close to the original', async () => {
    const config = loadPipeline(DEFAULT_PIPELINE);
    const dir = tempDir();
    // Same models, variants and thresholds, written elsewhere and without latency (which only makes it slower).
    const variants = config.variants.map((v) => ({ ...v, validate: { ...v.validate, latency: false } }));
    const plan = planPipeline({ ...config, out: dir, variants, report: { ...config.report, dir } }, { only: ['digits_cnn'] });
    expect(plan.models[0]!.variants.map((v) => v.validate.latency)).toEqual([false, false, false]);
    const result = await runPipeline(plan);
    expect(result.entries.map((e) => [e.variant, e.status, e.error?.message])).toEqual([
      ['fp16', 'pass', undefined],
      ['int8', 'pass', undefined],
      ['int8-per-channel', 'pass', undefined],
    ]);
    for (const e of result.entries) {
      // Smaller than float32; onnxruntime's own tools reach 0.502 (fp16) and 0.26 (int8) on this model.
      expect(e.outputBytes! / e.inputBytes).toBeLessThan(e.variant === 'fp16' ? 0.52 : 0.4);
      expect(e.result!.accuracy!.candidate.accuracy).toBeGreaterThan(0.98);
    }
  });
});
