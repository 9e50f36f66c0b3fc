/**
 * Descriptive statistics for latency samples and a seeded bootstrap.
 * Percentiles interpolate linearly between closest ranks (Hyndman & Fan type 7, numpy's default):
 * for sorted x[0..n-1], the p-th percentile sits at rank h = (n - 1) * p / 100 and is
 * x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
 */
import type { LatencySummary, RatioEstimate } from './types.js';

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** p in [0, 100] of values already sorted ascending. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
  const rank = ((n - 1) * p) / 100;
  const low = Math.floor(rank);
  const high = Math.min(low + 1, n - 1);
  const fraction = rank - low;
  return sorted[low]! + fraction * (sorted[high]! - sorted[low]!);
}

export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('mean of an empty sample');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample standard deviation (n - 1 in the denominator); 0 for fewer than two values. */
export function stdev(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (values[i]! - m) ** 2;
  return Math.sqrt(sum / (n - 1));
}

/**
 * A deterministic generator of floats in [0, 1): a 32-bit Weyl sequence passed through the
 * MurmurHash3 finalizer. Statistically plenty for resampling, and the same on every platform.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Number of resamples; default 2000. */
  resamples?: number;
  /** PRNG seed; default 1. */
  seed?: number;
  /** Coverage of the interval; default 0.95. */
  confidence?: number;
}

export const DEFAULT_BOOTSTRAP = { resamples: 2000, seed: 1, confidence: 0.95 } as const;

/**
 * The median of `values` and a percentile-bootstrap interval for it: resample n values with replacement
 * `resamples` times, take each resample's median, and report the (1-confidence)/2 and (1+confidence)/2
 * percentiles of those medians. Same seed, same values: same interval.
 */
export function bootstrapMedian(values: ArrayLike<number>, options: BootstrapOptions = {}): RatioEstimate {
  const n = values.length;
  if (n === 0) throw new RangeError('bootstrap of an empty sample');
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP.resamples;
  const confidence = options.confidence ?? DEFAULT_BOOTSTRAP.confidence;
  if (!(resamples >= 1) || !Number.isInteger(resamples)) throw new RangeError(`resamples must be a positive integer`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be within (0, 1)`);
  const random = seededRandom(options.seed ?? DEFAULT_BOOTSTRAP.seed);
  const sample = new Float64Array(n);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(random() * n)]!;
    sample.sort();
    medians[r] = percentileOfSorted(sample, 50);
  }
  medians.sort();
  const tail = ((1 - confidence) / 2) * 100;
  return {
    median: median(values),
    ci: [percentileOfSorted(medians, tail), percentileOfSorted(medians, 100 - tail)],
  };
}

export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  const sorted = sortedCopy(samplesMs);
  return {
    samplesMs: [...samplesMs],
    mean: mean(sorted),
    stdev: stdev(sorted),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
  };
}

/** Element-wise numerator[i] / denominator[i]. */
export function pairwiseRatios(numerator: readonly number[], denominator: readonly number[]): number[] {
  if (numerator.length !== denominator.length) {
    throw new RangeError(`paired samples differ in length: ${numerator.length} vs ${denominator.length}`);
  }
  return numerator.map((value, i) => value / denominator[i]!);
}
