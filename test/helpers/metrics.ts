/**
 * Reference metrics as plain loops, written apart from src/validate/metrics.ts so that tests can check it (and
 * converted models) against them.
 */
import type * as ort from 'onnxruntime-node';

/** Cosine similarity; 1 for two all-zero vectors (they are the same). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * Top-1 accuracy: the argmax over the last axis (the first of equal maxima) against integer labels, one per row.
 * Rows whose label is negative are not counted. Either the logits, the number of classes and the labels, or an
 * output tensor and a labels tensor.
 */
export function top1Accuracy(output: ort.Tensor, labels: ort.Tensor): number;
export function top1Accuracy(logits: ArrayLike<number>, classes: number, labels: ArrayLike<number | bigint>): number;
export function top1Accuracy(...args: [ort.Tensor, ort.Tensor] | [ArrayLike<number>, number, ArrayLike<number | bigint>]): number {
  const [logits, classes, labels] =
    args.length === 2
      ? [args[0].data as ArrayLike<number>, args[0].dims[args[0].dims.length - 1]!, args[1].data as ArrayLike<number | bigint>]
      : args;
  const rows = logits.length / classes;
  if (rows !== labels.length) throw new Error(`${rows} predictions but ${labels.length} labels`);
  let correct = 0;
  let counted = 0;
  for (let r = 0; r < rows; r++) {
    const label = Number(labels[r]!);
    if (label < 0) continue;
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[r * classes + j]! > logits[r * classes + best]!) best = j;
    counted++;
    if (best === label) correct++;
  }
  return correct / counted;
}

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
}
