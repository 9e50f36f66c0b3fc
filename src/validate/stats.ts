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

// ---------------------------------------------------------------------------------------------------------------
// Intervals that account for run-to-run noise (docs/validation.md, "Latency")

/** Blocks have at least this many consecutive rounds. */
export const MIN_BLOCK_ROUNDS = 5;
/** At most this many blocks: more rounds make longer blocks. */
export const MAX_BLOCKS = 20;
/** An interval wider than this fraction of its median is too wide to conclude. */
export const MAX_RELATIVE_WIDTH = 0.1;

/** A round (both models once) faster than this, in ms, makes a fast model: more rounds by default. */
export const FAST_ROUND_MS = 1;
/** Fast models run enough rounds for this many ms of timed work... */
export const FAST_TIMED_MS = 200;
/** ...and at least this many rounds, at most MAX_DEFAULT_ROUNDS... */
export const FAST_MIN_ROUNDS = 200;
export const MAX_DEFAULT_ROUNDS = 2000;
/** ...and, above FAST_MIN_ROUNDS, no more than fit in this many ms of wall time (each round also costs IPC). */
export const FAST_WALL_MS = 2000;

/**
 * The default number of timed rounds for a model whose median round (baseline and candidate once each) takes
 * `roundMs`: `rounds` (50) from 1 ms up; below, enough for 200 ms of timed work, between 200 and 2000 rounds, and
 * above 200 no more than fit in 2 s of wall time when a round costs `wallMsPerRound` (timing and IPC together).
 */
export function defaultRounds(roundMs: number, rounds: number, wallMsPerRound = 0): number {
  if (!(roundMs < FAST_ROUND_MS)) return rounds;
  const wanted = roundMs > 0 ? Math.ceil(FAST_TIMED_MS / roundMs) : MAX_DEFAULT_ROUNDS;
  const affordable = wallMsPerRound > 0 ? Math.floor(FAST_WALL_MS / wallMsPerRound) : MAX_DEFAULT_ROUNDS;
  return Math.max(rounds, Math.min(MAX_DEFAULT_ROUNDS, Math.max(FAST_MIN_ROUNDS, Math.min(wanted, affordable))));
}

/**
 * Lengths of the consecutive blocks `n` rounds are split into: min(20, floor(n / 5)) blocks, the first n % blocks
 * of them one round longer. Empty when that is fewer than 2 blocks (fewer than 10 rounds).
 */
export function blockSizes(n: number): number[] {
  const blocks = Math.min(MAX_BLOCKS, Math.floor(n / MIN_BLOCK_ROUNDS));
  if (blocks < 2) return [];
  const base = Math.floor(n / blocks);
  const extra = n % blocks;
  return Array.from({ length: blocks }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The median of each block of consecutive values (block lengths from blockSizes). */
export function blockMedians(values: ArrayLike<number>, sizes: readonly number[] = blockSizes(values.length)): number[] {
  const medians: number[] = [];
  let at = 0;
  for (const size of sizes) {
    medians.push(median(Array.prototype.slice.call(values, at, at + size) as number[]));
    at += size;
  }
  return medians;
}

/**
 * The batch-means interval around `center`: center ± t · s / sqrt(B), where s is the sample standard deviation of
 * the B block medians and t the Student-t quantile with B - 1 degrees of freedom at (1 + confidence) / 2.
 * Undefined with fewer than 2 blocks.
 */
export function batchMeansInterval(values: ArrayLike<number>, center: number, confidence: number): [number, number] | undefined {
  const medians = blockMedians(values);
  const blocks = medians.length;
  if (blocks < 2) return undefined;
  const half = (studentTQuantile((1 + confidence) / 2, blocks - 1) * stdev(medians)) / Math.sqrt(blocks);
  return [center - half, center + half];
}

export interface BlockedEstimate extends RatioEstimate {
  /** Blocks of the batch-means interval (0: fewer than 10 values). */
  blocks: number;
  roundBootstrap: [number, number];
  batchMeans?: [number, number];
}

/**
 * The median of per-round values (ratios) with an interval that accounts for noise between rounds: the hull of the
 * percentile bootstrap over single rounds (bootstrapMedian) and the batch-means interval over consecutive blocks.
 */
export function blockedMedianInterval(values: ArrayLike<number>, options: BootstrapOptions = {}): BlockedEstimate {
  const rounds = bootstrapMedian(values, options);
  const confidence = options.confidence ?? DEFAULT_BOOTSTRAP.confidence;
  const batch = batchMeansInterval(values, rounds.median, confidence);
  const ci: [number, number] = batch ? [Math.min(rounds.ci[0], batch[0]), Math.max(rounds.ci[1], batch[1])] : [...rounds.ci];
  return {
    median: rounds.median,
    ci,
    blocks: blockSizes(values.length).length,
    roundBootstrap: [...rounds.ci],
    ...(batch ? { batchMeans: batch } : {}),
  };
}

/** Whether an interval supports a conclusion: its width at most 10% of its median, and blocks to measure noise with. */
export function judgeInterval(
  estimate: RatioEstimate,
  blocks: number,
): { relativeWidth: number; maxRelativeWidth: number; tooWide: boolean; reason?: string } {
  const relativeWidth = estimate.median > 0 ? (estimate.ci[1] - estimate.ci[0]) / estimate.median : Infinity;
  const base = { relativeWidth, maxRelativeWidth: MAX_RELATIVE_WIDTH };
  if (blocks < 2) {
    return { ...base, tooWide: true, reason: `fewer than ${2 * MIN_BLOCK_ROUNDS} rounds: no blocks to measure run-to-run noise with` };
  }
  if (relativeWidth > MAX_RELATIVE_WIDTH) {
    const percent = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
    return { ...base, tooWide: true, reason: `the interval spans ${percent(relativeWidth)} of the median (limit ${percent(MAX_RELATIVE_WIDTH)})` };
  }
  return { ...base, tooWide: false };
}

// Student's t distribution, for the batch-means interval.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) (Lanczos approximation, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const clamp = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection on the distribution function). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile probability must be within (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-13 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
