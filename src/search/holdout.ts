/**
 * The overfitting guard of an accuracy-guided search: part of the given inputs (and their labels) is held out of
 * the search and only measured at the end. With several input sets, whole sets are held out; with one set whose
 * inputs share a batch axis of several rows, rows are. Every k-th set or row is held out (k = 1 / fraction), so
 * both parts sample the whole input.
 */
import type { Labels } from '../io/labels.js';
import { Tensor } from '../ir/tensor.js';
import { usageError } from '../errors.js';
import type { InputSample, InputSet } from '../validate/inputs.js';

export interface InputPart {
  set: InputSet;
  labels?: Labels;
}

export interface HoldoutSplit {
  search: InputPart;
  holdout?: InputPart;
  /** How the split was made, for the summary. */
  description: string;
}

export const DEFAULT_HOLDOUT_FRACTION = 0.25;

function rowsOf(sample: InputSample): number | undefined {
  const firsts = [...sample.values()].map((t) => (t.dims.length > 0 ? Number(t.dims[0]) : undefined));
  const rows = firsts[0];
  return rows !== undefined && firsts.every((r) => r === rows) ? rows : undefined;
}

function sliceRows(tensor: Tensor, rows: readonly number[]): Tensor {
  const total = Number(tensor.dims[0]);
  const data = tensor.toTypedArray();
  const width = data.length / total;
  const out = new (data.constructor as new (n: number) => typeof data)(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width) as never, i * width));
  return Tensor.fromArray(tensor.name, tensor.dataType, [rows.length, ...tensor.dims.slice(1)], out);
}

/** Labels of the given rows, where each row of the inputs has `perRow` labels. */
function labelRows(labels: Labels, rows: readonly number[], perRow: number): Labels {
  const values = rows.flatMap((r) => Array.from(labels.values.slice(r * perRow, (r + 1) * perRow) as ArrayLike<number | bigint>, Number));
  return { path: labels.path, values };
}

function everyKth(count: number, fraction: number): { keep: number[]; held: number[] } {
  const k = Math.max(2, Math.round(1 / fraction));
  const keep: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < count; i++) (i % k === k - 1 ? held : keep).push(i);
  if (held.length === 0) held.push(keep.pop()!);
  return { keep, held };
}

export function splitHoldout(set: InputSet, labels: Labels | undefined, fraction: number): HoldoutSplit {
  if (!(fraction >= 0 && fraction < 1)) throw usageError(`--holdout-fraction must be at least 0 and below 1, not ${fraction}`);
  const whole: InputPart = { set, ...(labels ? { labels } : {}) };
  if (fraction === 0) return { search: whole, description: 'no holdout (--holdout-fraction 0)' };
  const sampleRows = set.samples.map(rowsOf);
  const totalRows = sampleRows.every((r) => r !== undefined) ? sampleRows.reduce((a, b) => a + b, 0) : undefined;
  const perRow = labels && totalRows ? labels.values.length / totalRows : undefined;
  if (labels && (perRow === undefined || !Number.isInteger(perRow))) {
    return { search: whole, description: 'no holdout: the labels do not divide into the input rows' };
  }
  if (set.samples.length >= 2) {
    const { keep, held } = everyKth(set.samples.length, fraction);
    const part = (indices: number[]): InputPart => {
      const rowStarts = sampleRows.map((_, i) => sampleRows.slice(0, i).reduce((a, b) => a! + b!, 0)!);
      const rows = indices.flatMap((i) => Array.from({ length: sampleRows[i]! }, (_, r) => rowStarts[i]! + r));
      return {
        set: { ...set, samples: indices.map((i) => set.samples[i]!), origins: indices.map((i) => set.origins[i]!) },
        ...(labels ? { labels: labelRows(labels, rows, perRow!) } : {}),
      };
    };
    return { search: part(keep), holdout: part(held), description: `${held.length} of ${set.samples.length} input sets held out` };
  }
  const rows = sampleRows[0];
  if (set.samples.length === 1 && rows !== undefined && rows >= 2) {
    const { keep, held } = everyKth(rows, fraction);
    const part = (indices: number[]): InputPart => {
      const sample: InputSample = new Map([...set.samples[0]!].map(([name, t]) => [name, sliceRows(t, indices)]));
      return { set: { ...set, samples: [sample] }, ...(labels ? { labels: labelRows(labels, indices, perRow!) } : {}) };
    };
    return { search: part(keep), holdout: part(held), description: `${held.length} of ${rows} rows held out` };
  }
  return { search: whole, description: 'no holdout: one input set with a single row' };
}
