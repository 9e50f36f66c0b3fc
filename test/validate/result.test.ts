import { describe, expect, it } from 'vitest';
import {
  buildSummary,
  buildValidationResult,
  compareLatency,
  describeHost,
  exitCodeFor,
  FP16_ON_CPU_NOTE,
  opHistogramDiff,
} from '../../src/validate/result.js';
import { parseThresholds, resolveThresholds } from '../../src/validate/thresholds.js';
import { REPORT_SCHEMA_VERSION } from '../../src/validate/types.js';
import { sampleRun } from '../report/sample.js';

describe('buildValidationResult', () => {
  it('derives latency, accuracy drop, op changes, checks and notes', () => {
    const run = sampleRun({ kind: 'fp16' });
    run.latency = { warmupRuns: 3, baselineMs: [10, 10, 10, 12], candidateMs: [5, 5, 5, 3] };
    const result = buildValidationResult(run, { createdAt: '2026-01-01T00:00:00.000Z', toolVersion: '9.9.9' });
    expect(result).toMatchObject({
      schema: 'onnxpress/validation',
      schemaVersion: REPORT_SCHEMA_VERSION,
      kind: 'fp16',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(result.tool).toEqual({ name: 'onnxpress', version: '9.9.9' });
    // ratios candidate/baseline: 0.5 0.5 0.5 0.25 -> median 0.5; speedups 2 2 2 4 -> median 2
    expect(result.latency!.ratio.median).toBe(0.5);
    expect(result.latency!.speedup.median).toBe(2);
    expect(result.latency!.rounds).toBe(4);
    expect(result.latency!.baseline.p50).toBe(10);
    expect(result.accuracy!.drop).toBeCloseTo(1 / 360, 15);
    expect(result.opDiff).toEqual([{ op: 'Cast', baseline: 0, candidate: 2, delta: 2 }]);
    expect(result.notes).toContain(FP16_ON_CPU_NOTE);
    // Two default cosines: one for the model's answers, a looser one for recurrent states.
    expect(result.thresholds.map((t) => t.metric).sort()).toEqual(['accuracy-drop', 'cosine', 'cosine', 'nan', 'top1']);
    // The sample against the fp16 defaults: cosine 0.999984 >= 0.9999, top-1 1 >= 0.99, drop 1/360 <= 0.005, no NaN.
    expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it('fails when a threshold fails, and reads the package version by default', () => {
    const run = sampleRun({ kind: 'int8' });
    const thresholds = resolveThresholds('int8', parseThresholds(['cosine=0.9999999']));
    const result = buildValidationResult(run, { thresholds });
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => c.id === 'cosine@logits')!.status).toBe('fail');
    expect(result.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.notes.some((n) => n.includes('ConvInteger'))).toBe(true);
  });

  it('leaves out latency when none was measured', () => {
    const result = buildValidationResult(sampleRun({ withLatency: false }));
    expect(result.latency).toBeUndefined();
    expect('latency' in result).toBe(false);
  });
});

describe('compareLatency', () => {
  it('uses the bootstrap settings it is given and records them', () => {
    const raw = { warmupRuns: 1, baselineMs: [1, 2, 3, 4, 5], candidateMs: [2, 4, 6, 8, 10] };
    const c = compareLatency(raw, { seed: 9, resamples: 100 });
    expect(c.bootstrap).toEqual({ seed: 9, resamples: 100, confidence: 0.95 });
    expect(c.ratio).toEqual({ median: 2, ci: [2, 2] });
    expect(() => compareLatency({ warmupRuns: 0, baselineMs: [], candidateMs: [] })).toThrow();
  });
});

describe('opHistogramDiff', () => {
  it('lists ops whose counts changed, by name', () => {
    expect(opHistogramDiff({ MatMul: 4, Add: 2, Relu: 1 }, { Add: 2, Relu: 1, MatMulInteger: 4, 'com.microsoft::QGemm': 1 })).toEqual([
      { op: 'MatMul', baseline: 4, candidate: 0, delta: -4 },
      { op: 'MatMulInteger', baseline: 0, candidate: 4, delta: 4 },
      { op: 'com.microsoft::QGemm', baseline: 0, candidate: 1, delta: 1 },
    ]);
  });
});

describe('buildSummary and exitCodeFor', () => {
  const pass = buildValidationResult(sampleRun({ kind: 'fp16' }), { thresholds: [] });
  const fail = buildValidationResult(sampleRun({ kind: 'int8' }), { thresholds: parseThresholds(['cosine=1']) });

  it('gives 0 when all hold, 1 when a threshold fails, 2 when a run errored', () => {
    expect(exitCodeFor(pass)).toBe(0);
    expect(exitCodeFor(fail)).toBe(1);
    const ok = buildSummary([{ model: 'm', variant: 'fp16', result: pass }]);
    expect(ok.passed).toBe(true);
    expect(exitCodeFor(ok)).toBe(0);
    const failing = buildSummary([
      { model: 'm', variant: 'fp16', result: pass },
      { model: 'm', variant: 'int8', result: fail },
    ]);
    expect(failing.entries.map((e) => e.status)).toEqual(['pass', 'fail']);
    expect(exitCodeFor(failing)).toBe(1);
    const broken = buildSummary([
      { model: 'm', variant: 'int8', result: fail },
      { model: 'n', variant: 'int8', error: Object.assign(new Error('boom'), { code: 'E_BOOM' }) },
      { model: 'o', variant: 'int8', error: 'plain' },
    ]);
    expect(broken.entries[1]).toMatchObject({ status: 'error', error: { message: 'boom', code: 'E_BOOM' } });
    expect(broken.entries[2]).toMatchObject({ status: 'error', error: { message: 'plain' } });
    expect(broken.passed).toBe(false);
    expect(exitCodeFor(broken)).toBe(2);
  });
});

describe('describeHost', () => {
  it('describes this machine', () => {
    const host = describeHost();
    expect(host.cpuCount).toBeGreaterThan(0);
    expect(host.nodeVersion).toBe(process.versions.node);
  });
});
