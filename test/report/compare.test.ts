import { describe, expect, it } from 'vitest';
import { compareReports, parseFraction, renderComparisonMarkdown } from '../../src/report/compare.js';
import { parseReport, renderJson } from '../../src/report/json.js';
import { buildSummary, type SummaryInput } from '../../src/validate/result.js';
import type { ValidationResult } from '../../src/validate/types.js';
import { sampleResult, sampleSummary } from './sample.js';

function clone<T>(value: T): T {
  return parseReport(renderJson(value as never)) as T;
}

/** Scales the candidate's latency samples, so the per-round ratio grows by `factor`. */
function slower(result: ValidationResult, factor: number): ValidationResult {
  const copy = clone(result);
  const l = copy.latency!;
  l.candidate.samplesMs = l.candidate.samplesMs.map((v) => v * factor);
  l.ratio = { median: l.ratio.median * factor, ci: [l.ratio.ci[0] * factor, l.ratio.ci[1] * factor] };
  return copy;
}

describe('compareReports', () => {
  const base = sampleResult({ kind: 'int8' });

  it('finds nothing between a run and itself', () => {
    const c = compareReports(base, clone(base));
    expect(c.passed).toBe(true);
    expect(c.findings).toEqual([]);
    expect(c.compared).toBe(1);
  });

  it('flags a latency ratio that grew beyond the limit, and not one within it', () => {
    expect(compareReports(base, slower(base, 1.05)).passed).toBe(true);
    const c = compareReports(base, slower(base, 1.2));
    expect(c.passed).toBe(false);
    expect(c.regressions).toHaveLength(1);
    expect(c.regressions[0]).toMatchObject({ kind: 'latency', subject: 'latency ratio' });
    expect(c.regressions[0]!.new! / c.regressions[0]!.old!).toBeCloseTo(1.2, 12);
    expect(compareReports(base, slower(base, 1.2), { maxLatencyRegression: 0.25 }).passed).toBe(true);
    const faster = compareReports(base, slower(base, 0.5));
    expect(faster.passed).toBe(true);
    expect(faster.findings[0]!.severity).toBe('improvement');
  });

  it('flags drift: larger errors, lower agreement, new NaNs, lower accuracy', () => {
    const worse = clone(base);
    const m = worse.outputs[0]!.metrics;
    m.rmse *= 2;
    m.top1 = m.top1! - 0.05;
    m.nonFiniteMismatch = 3;
    worse.accuracy!.candidate.accuracy -= 0.02;
    const c = compareReports(base, worse);
    expect(c.regressions.map((r) => r.subject).sort()).toEqual(['NaN/Inf of logits', 'RMSE of logits', 'candidate accuracy', 'top1 of logits']);
    const small = clone(base);
    small.outputs[0]!.metrics.rmse *= 1.2;
    expect(compareReports(base, small).passed).toBe(true);
  });

  it('flags a threshold that passed before and fails now, but not one that failed already', () => {
    const now = clone(base);
    const check = now.checks.find((c) => c.id === 'cosine@logits')!;
    check.status = 'fail';
    now.passed = false;
    const c = compareReports(base, now);
    expect(c.regressions.map((r) => r.kind)).toEqual(['check']);
    const again = compareReports(now, clone(now));
    expect(again.passed).toBe(true);
    expect(again.findings.map((f) => f.severity)).toEqual(['info']);
  });

  it('flags a bigger candidate', () => {
    const bigger = clone(base);
    bigger.candidate.fileBytes = Math.round(bigger.candidate.fileBytes * 1.1);
    expect(compareReports(base, bigger).regressions.map((r) => r.kind)).toEqual(['size']);
  });

  it('matches summary entries by model and variant and reports runs that now error', () => {
    const before = sampleSummary();
    const entries: SummaryInput[] = before.entries.map((e) => ({
      model: e.model,
      variant: e.variant,
      ...(e.result ? { result: e.result } : { error: e.error! }),
    }));
    const after = buildSummary([
      { ...entries[1]!, result: slower(entries[1]!.result!, 1.5) }, // reordered, slower
      { model: entries[0]!.model, variant: entries[0]!.variant, error: 'crashed' },
      entries[3]!,
      { model: 'new_model', variant: 'fp16', result: base },
    ]);
    const c = compareReports(before, after);
    expect(c.compared).toBe(3);
    expect(c.regressions.map((r) => `${r.entry}: ${r.kind}`).sort()).toEqual(['digits_cnn / fp16: latency', 'digits_cnn / int8: error']);
    expect(c.findings.filter((f) => f.kind === 'added').map((f) => f.entry)).toEqual(['new_model / fp16']);
    expect(c.findings.filter((f) => f.kind === 'missing')).toHaveLength(1);
    const md = renderComparisonMarkdown(c);
    expect(md).toMatch(/^### ❌ onnxpress report compare: 2 regressions/);
    expect(md).toContain('**Regressions**');
  });
});

describe('parseFraction', () => {
  it('reads fractions and percentages', () => {
    expect(parseFraction('10%')).toBeCloseTo(0.1, 15);
    expect(parseFraction('0.1')).toBe(0.1);
    expect(parseFraction(' 2.5 % ')).toBeCloseTo(0.025, 15);
    expect(() => parseFraction('ten')).toThrow();
    expect(() => parseFraction('-5%')).toThrow();
  });
});
