import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { Tensor } from '../../src/ir/tensor.js';
import { splitHoldout } from '../../src/search/holdout.js';
import type { InputSet } from '../../src/validate/inputs.js';

function set(samples: number[][]): InputSet {
  return {
    source: 'files',
    description: 'test',
    samples: samples.map(
      (rows) =>
        new Map([['x', Tensor.fromArray('x', DataType.INT64, [rows.length, 2], BigInt64Array.from(rows.flatMap((r) => [BigInt(r), BigInt(r)])))]]),
    ),
    origins: samples.map((_, i) => `set ${i}`),
  };
}

const rowsOf = (s: InputSet) =>
  s.samples.flatMap((m) => [...(m.get('x')!.toTypedArray() as BigInt64Array)].filter((_, i) => i % 2 === 0).map(Number));

describe('splitHoldout', () => {
  it('one set of 8 rows, fraction 0.25: every 4th row (3 and 7) is held out, with its labels', () => {
    const labels = { path: 'l', values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] }; // 2 labels per row
    const split = splitHoldout(set([[0, 1, 2, 3, 4, 5, 6, 7]]), labels, 0.25);
    expect(rowsOf(split.search.set)).toEqual([0, 1, 2, 4, 5, 6]);
    expect(rowsOf(split.holdout!.set)).toEqual([3, 7]);
    expect(split.holdout!.labels!.values).toEqual([6, 7, 14, 15]);
    expect(split.search.labels!.values).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
  });

  it('several sets: whole sets are held out; at least one when the fraction rounds to none', () => {
    const split = splitHoldout(set([[0], [1, 2], [3]]), { path: 'l', values: [10, 11, 12, 13] }, 0.25);
    expect(rowsOf(split.search.set)).toEqual([0, 1, 2]);
    expect(rowsOf(split.holdout!.set)).toEqual([3]);
    expect(split.holdout!.labels!.values).toEqual([13]);
  });

  it('no holdout for a single row, for fraction 0, or when labels do not divide into rows', () => {
    expect(splitHoldout(set([[5]]), undefined, 0.25).holdout).toBeUndefined();
    expect(splitHoldout(set([[1, 2, 3, 4]]), undefined, 0).holdout).toBeUndefined();
    expect(splitHoldout(set([[1, 2, 3, 4]]), { path: 'l', values: [1, 2, 3] }, 0.25).holdout).toBeUndefined();
    expect(() => splitHoldout(set([[1, 2]]), undefined, 1)).toThrow(/holdout-fraction/);
  });
});
