/**
 * Drift metrics between a baseline and a candidate output tensor, and task accuracy.
 * Definitions are in docs/validation.md; every sum is accumulated in float64.
 */
import { bfloat16ToFloat32, float16ToFloat32 } from '../ir/float16.js';
import type { AccuracyScore, OutputMetrics } from './types.js';
import type { TypedArray } from '../ir/dtypes.js';

/**
 * Numeric tensor data as onnxruntime-node returns it. A float16 tensor arrives as a Uint16Array of bit
 * patterns: convert it to Float32Array first (float16ToFloat32 in src/ir/float16.ts), because here a
 * Uint16Array is read as uint16 integers.
 */
export type NumericArray = TypedArray | readonly number[];

export type Degeneracy = NonNullable<OutputMetrics['degenerate']>;

/**
 * Tensor data from onnxruntime-node, made comparable: float16 and bfloat16 bit patterns (Uint16Array) become
 * Float32Array; other numeric types pass through. `type` is the onnxruntime tensor type ('float16', 'int64', ...).
 */
export function comparableValues(data: unknown, type: string): NumericArray {
  if (type === 'float16' || type === 'bfloat16') {
    if (!(data instanceof Uint16Array)) throw new TypeError(`${type} data should be a Uint16Array of bit patterns`);
    return type === 'float16' ? float16ToFloat32(data) : bfloat16ToFloat32(data);
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return data as NumericArray;
  if (Array.isArray(data) && data.every((v) => typeof v === 'number')) return data;
  throw new TypeError(`cannot compare tensors of type ${type}`);
}

export interface CompareOptions {
  /** Denominator floor of the relative error: |b - c| / max(|b|, relFloor). Default 1e-6. */
  relFloor?: number;
  /** Whether the values are floating point (enables top-k). Default: both arrays are Float32Array/Float64Array. */
  floating?: boolean;
}

export const DEFAULT_REL_FLOOR = 1e-6;

export function compareOutputs(
  baseline: NumericArray,
  candidate: NumericArray,
  dims: readonly number[],
  options: CompareOptions = {},
): OutputMetrics {
  const b = asNumbers(baseline);
  const c = asNumbers(candidate);
  const n = b.length;
  if (c.length !== n) {
    throw new RangeError(`baseline has ${n} elements but candidate has ${c.length}`);
  }
  const expected = product(dims);
  if (expected !== n) {
    throw new RangeError(`dims [${dims.join(', ')}] hold ${expected} elements but the tensors have ${n}`);
  }
  const relFloor = options.relFloor ?? DEFAULT_REL_FLOOR;
  if (!(relFloor > 0)) throw new RangeError(`relFloor must be positive, got ${relFloor}`);

  let compared = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let sumSqDiff = 0;
  let maxRel = 0;
  let dot = 0;
  let sumSqB = 0;
  let sumSqC = 0;
  let nanB = 0;
  let nanC = 0;
  let infB = 0;
  let infC = 0;
  let nonFiniteMismatch = 0;

  for (let i = 0; i < n; i++) {
    const bv = b[i]!;
    const cv = c[i]!;
    const bFinite = Number.isFinite(bv);
    const cFinite = Number.isFinite(cv);
    if (!bFinite || !cFinite) {
      if (Number.isNaN(bv)) nanB++;
      else if (!bFinite) infB++;
      if (Number.isNaN(cv)) nanC++;
      else if (!cFinite) infC++;
      if (!Object.is(bv, cv) && !(Number.isNaN(bv) && Number.isNaN(cv))) nonFiniteMismatch++;
      continue;
    }
    compared++;
    const diff = bv - cv;
    const absDiff = Math.abs(diff);
    if (absDiff > maxAbs) maxAbs = absDiff;
    sumAbs += absDiff;
    sumSqDiff += diff * diff;
    const rel = absDiff / Math.max(Math.abs(bv), relFloor);
    if (rel > maxRel) maxRel = rel;
    dot += bv * cv;
    sumSqB += bv * bv;
    sumSqC += cv * cv;
  }

  const metrics: OutputMetrics = {
    elements: n,
    compared,
    maxAbs,
    meanAbs: compared > 0 ? sumAbs / compared : 0,
    rmse: compared > 0 ? Math.sqrt(sumSqDiff / compared) : 0,
    maxRel,
    relFloor,
    cosine: cosineFromSums(dot, sumSqB, sumSqC),
    snrDb: snrFromSums(sumSqB, sumSqDiff),
    nan: { baseline: nanB, candidate: nanC },
    inf: { baseline: infB, candidate: infC },
    nonFiniteMismatch,
  };

  const floating = options.floating ?? (isFloatArray(baseline) && isFloatArray(candidate));
  const last = dims.length > 0 ? dims[dims.length - 1]! : 0;
  if (floating && last >= 2) {
    const rows = n / last;
    metrics.rows = rows;
    metrics.top1 = rows > 0 ? top1Agreement(b, c, rows, last) : 1;
    if (last > 5) metrics.top5 = rows > 0 ? topKSetAgreement(b, c, rows, last, 5) : 1;
  }
  if (floating) {
    const degenerate = degeneracy(c);
    if (degenerate && degeneracy(b) !== degenerate) metrics.degenerate = degenerate;
  }
  return metrics;
}

/**
 * What is wrong with an output that carries no information: every element non-finite, all zeros, or one constant
 * value (of more than one element). A runtime that fails silently (a float16 WebGPU kernel on an adapter without
 * shader-f16) returns such outputs; the baseline's own are compared, so a model whose answer is constant passes.
 */
export function degeneracy(values: ArrayLike<number>): Degeneracy | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  let finite = 0;
  let zeros = 0;
  let first: number | undefined;
  let constant = true;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    finite++;
    if (v === 0) zeros++;
    if (first === undefined) first = v;
    else if (v !== first) constant = false;
  }
  if (finite === 0) return 'non-finite';
  if (finite < n) return undefined;
  if (zeros === n) return 'all-zero';
  return constant && n > 1 ? 'constant' : undefined;
}

/**
 * Top-1 accuracy of argmax over the last axis of `logits` against integer labels.
 * The rows are all positions of the leading axes in row-major order, so `labels` must hold
 * product(dims[0..-1]) values laid out like those axes (e.g. logits [batch, seq, vocab] take labels [batch, seq]).
 * Negative labels are ignored (PyTorch's ignore_index convention); a label >= the last dim is an error.
 */
export function accuracy(
  logits: NumericArray,
  dims: readonly number[],
  labels: Int32Array | BigInt64Array | readonly (number | bigint)[] | NumericArray,
): AccuracyScore {
  if (dims.length === 0) throw new RangeError('accuracy needs logits with at least one axis');
  const values = asNumbers(logits);
  const classes = dims[dims.length - 1]!;
  if (product(dims) !== values.length) {
    throw new RangeError(`dims [${dims.join(', ')}] do not match ${values.length} logits`);
  }
  const rows = classes > 0 ? values.length / classes : 0;
  if (labels.length !== rows) {
    throw new RangeError(`labels hold ${labels.length} values but logits [${dims.join(', ')}] have ${rows} rows (product of all but the last axis)`);
  }
  let correct = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const label = Number(labels[r]!);
    if (!Number.isInteger(label)) throw new RangeError(`label ${r} is not an integer: ${label}`);
    if (label < 0) continue;
    if (label >= classes) throw new RangeError(`label ${r} = ${label} is out of range for ${classes} classes`);
    count++;
    if (argmax(values, r * classes, classes) === label) correct++;
  }
  return { correct, count, accuracy: count > 0 ? correct / count : 0 };
}

/** Index (0-based within the row) of the largest value; NaN counts as the largest and ties go to the first, like numpy. */
export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) {
    if (ranksAbove(values[offset + i]!, i, values[offset + best]!, best)) best = i;
  }
  return best;
}

/** Indices of the k largest values of a row, in rank order (same ordering as argmax). */
export function topK(values: ArrayLike<number>, offset: number, length: number, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = values[offset + i]!;
    if (top.length === k) {
      const lastIndex = top[k - 1]!;
      if (!ranksAbove(v, i, values[offset + lastIndex]!, lastIndex)) continue;
      top.pop();
    }
    let at = top.length;
    while (at > 0 && ranksAbove(v, i, values[offset + top[at - 1]!]!, top[at - 1]!)) at--;
    top.splice(at, 0, i);
  }
  return top;
}

function ranksAbove(value: number, index: number, other: number, otherIndex: number): boolean {
  const valueNaN = Number.isNaN(value);
  const otherNaN = Number.isNaN(other);
  if (valueNaN || otherNaN) {
    if (valueNaN && otherNaN) return index < otherIndex;
    return valueNaN;
  }
  if (value !== other) return value > other;
  return index < otherIndex;
}

function top1Agreement(b: ArrayLike<number>, c: ArrayLike<number>, rows: number, last: number): number {
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(b, r * last, last) === argmax(c, r * last, last)) agree++;
  }
  return agree / rows;
}

function topKSetAgreement(b: ArrayLike<number>, c: ArrayLike<number>, rows: number, last: number, k: number): number {
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    const fromB = topK(b, r * last, last, k).sort((x, y) => x - y);
    const fromC = topK(c, r * last, last, k).sort((x, y) => x - y);
    if (fromB.every((index, i) => index === fromC[i])) agree++;
  }
  return agree / rows;
}

export function cosineFromSums(dot: number, sumSqB: number, sumSqC: number): number {
  if (sumSqB === 0 && sumSqC === 0) return 1;
  if (sumSqB === 0 || sumSqC === 0) return 0;
  const cosine = dot / Math.sqrt(sumSqB * sumSqC);
  return Math.max(-1, Math.min(1, cosine));
}

export function snrFromSums(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

function isFloatArray(values: NumericArray): boolean {
  return values instanceof Float32Array || values instanceof Float64Array;
}

function asNumbers(values: NumericArray): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return Float64Array.from(values, (v) => Number(v));
  }
  return values;
}

function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}
