/** `onnxpress validate` and `onnxpress report compare` as a user runs them: exit codes, output, failures. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxpressError } from '../../src/errors.js';
import type { ValidationResult } from '../../src/validate/types.js';
import { validate } from '../../src/validate/validate.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { writeHangingModel } from '../helpers/hanging-model.js';
import { int4Models, scaledMatMulWeight, truncatedCopy } from './damaged-models.js';

const MODELS = join(CORPUS, 'models');
const model = (name: string, file = 'model.onnx') => join(MODELS, name, file);

function parseResult(stdout: string): ValidationResult {
  return JSON.parse(stdout) as ValidationResult;
}

describe('a candidate that crashes onnxruntime', () => {
  it('validate() rejects with E_RUNTIME naming the model instead of taking the process down', async () => {
    const { baseline, candidate } = int4Models();
    const error = await validate({ baseline, candidate }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as OnnxpressError).code).toBe('E_RUNTIME');
    expect((error as Error).message).toContain(candidate);
    expect((error as Error).message).toMatch(
      /crashed while running sample 0 of the candidate model: its process was killed by SIGABRT.*'y' \(int4\)/,
    );
  });

  it('the CLI exits 2 with that message', async () => {
    const { baseline, candidate } = int4Models();
    const r = await runCli(['validate', '--baseline', baseline, '--candidate', candidate]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^onnxpress: .*int4\.onnx: ONNX Runtime crashed while running sample 0 of the candidate model/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a model that never finishes', () => {
  it('validate() with a timeout stops it and rejects with E_TIMEOUT; without one, the options are checked', async () => {
    const hang = writeHangingModel();
    const error = await validate({ baseline: hang, candidate: hang, timeout: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as OnnxpressError).code).toBe('E_TIMEOUT');
    expect((error as Error).message).toMatch(
      /hang\.onnx: ONNX Runtime was still running sample 0 of the (baseline|candidate) model when the 1 s timeout ran out/,
    );
    await expect(validate({ baseline: hang, candidate: hang, timeout: 0 })).rejects.toThrow(/timeout 0: expected a number of seconds above 0/);
  });

  it('the CLI exits 2 with one line when --timeout runs out', async () => {
    const hang = writeHangingModel();
    const r = await runCli(['validate', '--baseline', hang, '--candidate', hang, '--timeout', '1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^onnxpress: .*hang\.onnx: ONNX Runtime was still running sample 0 of the (baseline|candidate) model when the 1 s timeout ran out/,
    );
  });
});

describe.skipIf(!HAVE_CORPUS)('onnxpress validate on corpus models', () => {
  it('--json prints nothing but the result, and it passes (exit 0) for onnxruntime int8 digits_cnn with labels', async () => {
    const dir = join(MODELS, 'digits_cnn');
    const r = await runCli([
      'validate',
      '--baseline',
      model('digits_cnn'),
      '--candidate',
      model('digits_cnn', 'ort/int8.onnx'),
      '--inputs',
      dir,
      '--labels',
      join(dir, 'labels.pb'),
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const result = parseResult(r.stdout);
    expect(result.schema).toBe('onnxpress/validation');
    expect(result.passed).toBe(true);
    expect(result.kind).toBe('int8');
    expect(result.accuracy!.baseline.accuracy).toBeCloseTo(0.9889, 4); // the corpus README's fp32 figure
    expect(result.checks.map((c) => c.id).sort()).toEqual(['accuracy-drop', 'cosine@logits', 'nan@logits', 'top1@logits']);
  });

  it('a truncated candidate exits 2 with a one-line message naming the file', async () => {
    const truncated = truncatedCopy(model('vit_tiny', 'ort/int8.onnx'));
    const r = await runCli(['validate', '--baseline', model('vit_tiny'), '--candidate', truncated]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^onnxpress: .*truncated\.onnx: not a valid ONNX model: .* past the end/);
  });

  it('--latency reports p50/p90/p99 of both models and a confidence interval of their ratio', async () => {
    const r = await runCli([
      'validate',
      '--baseline',
      model('digits_cnn'),
      '--candidate',
      model('digits_cnn', 'ort/fp16.onnx'),
      '--latency',
      '--iterations',
      '12',
      '--warmup',
      '2',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const result = parseResult(r.stdout);
    const latency = result.latency!;
    expect(latency.rounds).toBe(12);
    expect(latency.warmupRuns).toBe(2);
    for (const side of [latency.baseline, latency.candidate]) {
      expect(side.samplesMs).toHaveLength(12);
      expect(side.p50).toBeGreaterThan(0);
      expect(side.p50).toBeLessThanOrEqual(side.p90);
      expect(side.p90).toBeLessThanOrEqual(side.p99);
      expect(side.p99).toBeLessThanOrEqual(side.max);
    }
    const ratios = latency.candidate.samplesMs.map((c, i) => c / latency.baseline.samplesMs[i]!).sort((a, b) => a - b);
    expect(latency.ratio.median).toBeCloseTo((ratios[5]! + ratios[6]!) / 2, 12);
    expect(latency.ratio.ci[0]).toBeLessThanOrEqual(latency.ratio.median);
    expect(latency.ratio.ci[1]).toBeGreaterThanOrEqual(latency.ratio.median);
    expect(result.environment.intraOpNumThreads).toBe(1);
    expect(result.inputs.source).toBe('random');
  });

  it('a candidate with one MatMul weight scaled by 10 fails (exit 1) naming the drifted output; report compare flags it', async () => {
    const good = mkdtempSync(join(tmpdir(), 'onnxpress-report-'));
    const bad = mkdtempSync(join(tmpdir(), 'onnxpress-report-'));
    const ok = await runCli([
      'validate',
      '--baseline',
      model('vit_tiny'),
      '--candidate',
      model('vit_tiny', 'ort/int8.onnx'),
      '--report',
      good,
      '--format',
      'json,md',
    ]);
    expect(ok.exitCode).toBe(0);
    expect(readdirSync(good).sort()).toEqual(['report.json', 'report.md']);
    expect(ok.stdout).toContain(join(good, 'report.json'));

    const damaged = scaledMatMulWeight(model('vit_tiny'));
    const worse = await runCli([
      'validate',
      '--baseline',
      model('vit_tiny'),
      '--candidate',
      damaged.path,
      '--kind',
      'int8',
      '--threshold',
      'cosine=0.999',
      '--report',
      bad,
      '--format',
      'json',
    ]);
    expect(worse.exitCode).toBe(1);
    expect(worse.stdout).toMatch(/^FAIL/);
    expect(worse.stdout).toMatch(/FAILED +cosine@logits: cosine similarity of logits = [0-9.]+ \(limit >= 0\.999\)/);
    const report = parseResult(readFileSync(join(bad, 'report.json'), 'utf8'));
    expect(report.candidate.name).toBe('damaged.onnx');
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.output)).toContain('logits');

    const same = await runCli(['report', 'compare', join(good, 'report.json'), join(good, 'report.json')]);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain('0 regressions');
    const regressed = await runCli(['report', 'compare', join(good, 'report.json'), join(bad, 'report.json'), '--max-latency-regression', '10%']);
    expect(regressed.exitCode).toBe(1);
    expect(regressed.stdout).toMatch(/threshold now fails: cosine similarity of logits/);
  });

  it('says clearly when an execution provider cannot start, and rejects bad options with exit 2', async () => {
    const cuda = await runCli([
      'validate',
      '--baseline',
      model('digits_cnn'),
      '--candidate',
      model('digits_cnn', 'ort/int8.onnx'),
      '--provider',
      'cuda',
    ]);
    expect(cuda.exitCode).toBe(2);
    expect(cuda.stderr).toMatch(/execution provider 'cuda' failed to initialize for the baseline model/);
    const threshold = await runCli([
      'validate',
      '--baseline',
      model('digits_cnn'),
      '--candidate',
      model('digits_cnn', 'ort/int8.onnx'),
      '--threshold',
      'cosin=0.9',
    ]);
    expect(threshold.exitCode).toBe(2);
    expect(threshold.stderr).toMatch(/unknown threshold metric "cosin"/);
    const missing = await runCli([
      'validate',
      '--baseline',
      model('bert_tiny'),
      '--candidate',
      model('bert_tiny', 'ort/int8.onnx'),
      '--inputs',
      join(MODELS, 'digits_cnn'),
    ]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/no input named 'pixels'/);
  });
});
