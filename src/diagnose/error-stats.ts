/**
 * Error of one tensor against its reference, accumulated over input sets as they come (nothing is kept but
 * sums): cosine, SQNR and max-abs error, and the reference's own range for the offender details.
 */
import { cosineFromSums, snrFromSums } from '../validate/metrics.js';

export interface ErrorMetrics {
  cosine: number;
  /** 10 log10(sum ref^2 / sum (ref - x)^2); Infinity when equal. */
  sqnrDb: number;
  maxAbs: number;
  /** Elements where one side is NaN/Inf and the other is not the same. */
  nonFinite: number;
}

export class ErrorAccumulator {
  private dot = 0;
  private sumSqRef = 0;
  private sumSqX = 0;
  private sumSqDiff = 0;
  private maxAbs = 0;
  private nonFinite = 0;
  /** Largest finite |reference|, and the reference's root mean square (the offender details). */
  refMaxAbs = 0;
  private count = 0;

  add(reference: ArrayLike<number>, x: ArrayLike<number>): void {
    if (reference.length !== x.length) throw new RangeError(`the tensors have ${reference.length} and ${x.length} elements`);
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i]!;
      const c = x[i]!;
      if (!Number.isFinite(r) || !Number.isFinite(c)) {
        if (!Object.is(r, c) && !(Number.isNaN(r) && Number.isNaN(c))) this.nonFinite++;
        continue;
      }
      const d = r - c;
      const a = Math.abs(d);
      if (a > this.maxAbs) this.maxAbs = a;
      if (Math.abs(r) > this.refMaxAbs) this.refMaxAbs = Math.abs(r);
      this.dot += r * c;
      this.sumSqRef += r * r;
      this.sumSqX += c * c;
      this.sumSqDiff += d * d;
      this.count++;
    }
  }

  get refRms(): number {
    return this.count > 0 ? Math.sqrt(this.sumSqRef / this.count) : 0;
  }

  metrics(): ErrorMetrics {
    return {
      cosine: cosineFromSums(this.dot, this.sumSqRef, this.sumSqX),
      sqnrDb: this.sumSqRef === 0 && this.sumSqDiff > 0 ? -Infinity : snrFromSums(this.sumSqRef, this.sumSqDiff),
      maxAbs: this.maxAbs,
      nonFinite: this.nonFinite,
    };
  }
}

/** Worse first: lower SQNR, then more non-finite elements, then lower cosine. */
export function compareSeverity(a: ErrorMetrics, b: ErrorMetrics): number {
  if (a.nonFinite !== b.nonFinite) return b.nonFinite - a.nonFinite;
  if (a.sqnrDb !== b.sqnrDb) return a.sqnrDb < b.sqnrDb ? -1 : 1;
  return a.cosine - b.cosine;
}
