/**
 * Latency intervals that account for run-to-run noise (issue 11, section 5, "honest latency intervals"). Timings are
 * noisy, so nothing here times anything: the statistics are checked on hand-made samples against hand-worked math.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildValidationResult, compareLatency, latencyNotes } from '../../src/validate/result.js';
import {
  batchMeansInterval,
  blockedMedianInterval,
  blockMedians,
  blockSizes,
  bootstrapMedian,
  defaultRounds,
  judgeInterval,
  studentTCdf,
  studentTQuantile,
} from '../../src/validate/stats.js';
import { parseThresholds, resolveThresholds } from '../../src/validate/thresholds.js';
import { sampleRun } from '../report/sample.js';

/** Four blocks of five rounds whose medians are 0.9, 1.0, 1.0, 1.1 (each block: m - 0.01, m, m, m, m + 0.01). */
const DRIFTING = [0.9, 1.0, 1.0, 1.1].flatMap((m) => [m - 0.01, m, m, m, m + 0.01]);

describe("Student's t", () => {
  it('matches the tables', () => {
    // Two-sided 95% (p = 0.975) and others, from any t table.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 3)).toBeCloseTo(3.1824, 4);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2622, 4);
    expect(studentTQuantile(0.975, 19)).toBeCloseTo(2.093, 4);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015, 4);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.6041, 4);
    expect(studentTQuantile(0.975, 100000)).toBeCloseTo(1.96, 3);
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.2622, 4);
    expect(studentTQuantile(0.5, 7)).toBe(0);
    // Cauchy (1 degree of freedom) has a closed form: F(t) = 1/2 + atan(t) / pi.
    for (const t of [-3, -0.5, 0, 0.7, 10]) expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });
});

describe('blocks of rounds', () => {
  it('makes at least 5 rounds per block, at most 20 blocks, the first ones longer by the remainder', () => {
    expect(blockSizes(9)).toEqual([]);
    expect(blockSizes(10)).toEqual([5, 5]);
    expect(blockSizes(12)).toEqual([6, 6]);
    expect(blockSizes(50)).toEqual(Array(10).fill(5));
    expect(blockSizes(203)).toEqual([11, 11, 11, ...Array<number>(17).fill(10)]);
    expect(blockSizes(2000)).toEqual(Array(20).fill(100));
    expect(blockMedians(DRIFTING)).toEqual([0.9, 1.0, 1.0, 1.1].map((m) => expect.closeTo(m, 12) as unknown as number));
  });

  it('gives the batch-means interval: median ± t(B - 1) · sd(block medians) / sqrt(B)', () => {
    // Block medians 0.9, 1, 1, 1.1: mean 1, sd = sqrt(0.02 / 3); t(3) = 3.18245; half width = t · sd / 2.
    const half = (3.182446305 * Math.sqrt(0.02 / 3)) / 2;
    const [low, high] = batchMeansInterval(DRIFTING, 1, 0.95)!;
    expect(low).toBeCloseTo(1 - half, 8);
    expect(high).toBeCloseTo(1 + half, 8);
    expect(half).toBeCloseTo(0.12992, 5);
    expect(batchMeansInterval([1, 2, 3], 2, 0.95)).toBeUndefined();
  });

  it('sees drift between blocks that resampling single rounds misses, and reports the hull of both', () => {
    const e = blockedMedianInterval(DRIFTING, { seed: 1 });
    expect(e.median).toBe(1);
    // Half the rounds sit at 1.00 ± 0.01: resampling single rounds says the median is pinned near 1.
    expect(e.roundBootstrap).toEqual(bootstrapMedian(DRIFTING, { seed: 1 }).ci);
    expect(e.roundBootstrap[1] - e.roundBootstrap[0]).toBeLessThanOrEqual(0.02 + 1e-12);
    // The blocks disagree by ±0.1, and the interval says so.
    expect(e.blocks).toBe(4);
    expect(e.batchMeans![0]).toBeCloseTo(1 - 0.12992, 4);
    expect(e.ci).toEqual([Math.min(e.roundBootstrap[0], e.batchMeans![0]), Math.max(e.roundBootstrap[1], e.batchMeans![1])]);
    expect(e.ci[0]).toBe(e.batchMeans![0]);
    // Steady blocks: the batch-means interval collapses and the round bootstrap decides.
    const steady = blockedMedianInterval([1, 1.01, 0.99, 1, 1, 1, 1.01, 0.99, 1, 1], { seed: 1 });
    expect(steady.batchMeans).toEqual([1, 1]);
    expect(steady.ci).toEqual(steady.roundBootstrap);
  });

  it('calls an interval too wide when it spans more than 10% of its median, or when there are no blocks', () => {
    const narrow = judgeInterval({ median: 1, ci: [0.96, 1.05] }, 10);
    expect(narrow.relativeWidth).toBeCloseTo(0.09, 12);
    expect(narrow).toEqual({ relativeWidth: narrow.relativeWidth, maxRelativeWidth: 0.1, tooWide: false });
    const wide = judgeInterval({ median: 0.8, ci: [0.7, 0.9] }, 10);
    expect(wide.relativeWidth).toBeCloseTo(0.25, 12);
    expect(wide.tooWide).toBe(true);
    expect(wide.reason).toBe('the interval spans 25% of the median (limit 10%)');
    expect(judgeInterval({ median: 1, ci: [1, 1] }, 0)).toMatchObject({
      tooWide: true,
      reason: 'fewer than 10 rounds: no blocks to measure run-to-run noise with',
    });
  });
});

describe('default rounds', () => {
  it('runs 50 rounds from 1 ms a round; below, enough for 200 ms of timed work (200 to 2000), within 2 s of wall time', () => {
    expect(defaultRounds(5, 50)).toBe(50);
    expect(defaultRounds(1, 50)).toBe(50);
    expect(defaultRounds(0.99, 50)).toBe(203); // ceil(200 / 0.99)
    expect(defaultRounds(0.5, 50)).toBe(400);
    expect(defaultRounds(0.1, 50)).toBe(2000);
    expect(defaultRounds(0.01, 50)).toBe(2000);
    expect(defaultRounds(0, 50)).toBe(2000);
    expect(defaultRounds(Number.NaN, 50)).toBe(50);
    // Each round also costs IPC: above 200 rounds, no more than fit in 2 s of wall time at the pace measured so far.
    expect(defaultRounds(0.1, 50, 4)).toBe(500); // floor(2000 / 4)
    expect(defaultRounds(0.1, 50, 1)).toBe(2000);
    expect(defaultRounds(0.5, 50, 8)).toBe(250);
    expect(defaultRounds(0.5, 50, 40)).toBe(200); // never fewer than 200 for a fast model
    expect(defaultRounds(2, 50, 40)).toBe(50);
  });
});

describe('compareLatency and the report', () => {
  /** 60 rounds: baseline 1 ms; candidate 0.8 ms for 30 rounds, then 1.0 ms (the machine changed mid-run). */
  const shifted = {
    warmupRuns: 5,
    baselineMs: Array(60).fill(1) as number[],
    candidateMs: Array.from({ length: 60 }, (_, i) => (i < 30 ? 0.8 : 1.0) + (i % 3) * 0.001),
    roundsRule: 'fast-model' as const,
  };

  it('records the blocks, both intervals and the verdict', () => {
    const l = compareLatency(shifted);
    expect(l.roundsRule).toBe('fast-model');
    expect(l.interval).toMatchObject({ blocks: 12, maxRelativeWidth: 0.1, tooWide: true });
    // Block medians: six near 0.801 and six near 1.001, sd ≈ 0.1044; t(11) = 2.20099; half ≈ 0.0663.
    const [low, high] = l.interval!.batchMeans!;
    expect((high - low) / 2).toBeCloseTo((2.200985 * 0.10445) / Math.sqrt(12), 3);
    expect(l.ratio.ci[0]).toBeLessThanOrEqual(Math.min(low, l.interval!.roundBootstrap[0]));
    expect(l.interval!.relativeWidth).toBeCloseTo((l.ratio.ci[1] - l.ratio.ci[0]) / l.ratio.median, 12);
    // The speedup's interval is made the same way from baseline/candidate.
    expect(l.speedup.ci[1] - l.speedup.ci[0]).toBeGreaterThan(0.1);
  });

  it('says an interval too wide to conclude in the notes, the latency-ratio check, and report.md', () => {
    const run = sampleRun({ kind: 'int8' });
    run.latency = shifted;
    const result = buildValidationResult(run, { thresholds: resolveThresholds('int8', parseThresholds(['latency-ratio=1.0'])) });
    const [note] = latencyNotes(result.latency!);
    expect(note).toMatch(
      /^The latency ratio 0\.9\d* \(95% CI [0-9.]+–[0-9.]+\) is too wide to conclude .*: the interval spans \d+(\.\d+)?% of the median \(limit 10%\)\./,
    );
    expect(result.notes).toContain(note);
    expect(result.checks.find((c) => c.id === 'latency-ratio')!.message).toMatch(/; its interval is too wide to conclude: the interval spans/);
    const md = renderMarkdown(result);
    expect(md).toMatch(/\| latency p50 \|.*95% CI [0-9.]+–[0-9.]+, ⚠️ too wide to conclude\) \|/);
    expect(md).toContain('60 rounds (fast model: more rounds)');
  });

  it('stays quiet about steady timings', () => {
    const steady = {
      warmupRuns: 5,
      baselineMs: Array(50).fill(1) as number[],
      candidateMs: Array.from({ length: 50 }, (_, i) => 0.8 + (i % 5) * 0.002),
    };
    const l = compareLatency(steady);
    expect(l.interval).toMatchObject({ blocks: 10, tooWide: false });
    expect(l.interval!.reason).toBeUndefined();
    expect(latencyNotes(l)).toEqual([]);
  });
});
