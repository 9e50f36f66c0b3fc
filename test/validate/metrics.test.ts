import { describe, expect, it } from 'vitest';
import { accuracy, argmax, comparableValues, compareOutputs, topK } from '../../src/validate/metrics.js';

/** A deliberately plain re-implementation (arrays, sort-based top-k), to check compareOutputs against. */
function reference(b: number[], c: number[], last: number, relFloor = 1e-6) {
  const pairs = b.map((x, i) => [x, c[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const diffs = pairs.map(([x, y]) => Math.abs(x - y));
  const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
  const dot = sum(pairs.map(([x, y]) => x * y));
  const normB = Math.sqrt(sum(pairs.map(([x]) => x * x)));
  const normC = Math.sqrt(sum(pairs.map(([, y]) => y * y)));
  const rows = b.length / last;
  const ranked = (values: number[], r: number) =>
    values
      .slice(r * last, (r + 1) * last)
      .map((v, i) => ({ v, i }))
      .sort((p, q) => q.v - p.v || p.i - q.i)
      .map((p) => p.i);
  let top1 = 0;
  let top5 = 0;
  for (let r = 0; r < rows; r++) {
    const rb = ranked(b, r);
    const rc = ranked(c, r);
    if (rb[0] === rc[0]) top1++;
    const setB = rb
      .slice(0, 5)
      .sort((x, y) => x - y)
      .join(',');
    const setC = rc
      .slice(0, 5)
      .sort((x, y) => x - y)
      .join(',');
    if (setB === setC) top5++;
  }
  return {
    maxAbs: Math.max(0, ...diffs),
    meanAbs: sum(diffs) / diffs.length,
    rmse: Math.sqrt(sum(diffs.map((d) => d * d)) / diffs.length),
    maxRel: Math.max(0, ...pairs.map(([x, y]) => Math.abs(x - y) / Math.max(Math.abs(x), relFloor))),
    cosine: dot / (normB * normC),
    snrDb: 10 * Math.log10(sum(pairs.map(([x]) => x * x)) / sum(diffs.map((d) => d * d))),
    top1: top1 / rows,
    top5: top5 / rows,
  };
}

/** Box–Muller normals from a small LCG, independent of the module's PRNG. */
function normals(count: number, seed: number): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function expectClose(actual: number, expected: number, relative: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-30));
}

describe('compareOutputs on hand-computed cases', () => {
  it('measures a single changed element', () => {
    const m = compareOutputs(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2, 3, 5]), [4]);
    expect(m.maxAbs).toBe(1);
    expect(m.meanAbs).toBe(0.25);
    expect(m.rmse).toBe(0.5); // sqrt(1/4)
    expect(m.maxRel).toBe(0.25); // 1/4
    expectClose(m.cosine, 34 / Math.sqrt(30 * 39), 1e-15); // (1+4+9+20) / (|b| |c|)
    expectClose(m.snrDb, 10 * Math.log10(30), 1e-15); // sum b^2 = 30, sum d^2 = 1
    expect(m.top1).toBe(1);
    expect(m.top5).toBeUndefined(); // last dim 4: top-5 would be every class
    expect(m.rows).toBe(1);
    expect(m.elements).toBe(4);
    expect(m.compared).toBe(4);
  });

  it('gives SNR +Infinity and cosine 1 for identical outputs, cosine 1 for two zero vectors', () => {
    const same = compareOutputs(new Float32Array([0.5, -2]), new Float32Array([0.5, -2]), [2]);
    expect(same.snrDb).toBe(Infinity);
    expect(same.cosine).toBe(1);
    expect(same.maxAbs).toBe(0);
    const zeros = compareOutputs(new Float64Array(6), new Float64Array(6), [2, 3]);
    expect(zeros.cosine).toBe(1);
    expect(zeros.snrDb).toBe(Infinity);
    const oneZero = compareOutputs(new Float32Array([0, 0]), new Float32Array([1, 0]), [2]);
    expect(oneZero.cosine).toBe(0);
    expect(oneZero.snrDb).toBe(-Infinity);
    const opposite = compareOutputs(new Float32Array([1, 2]), new Float32Array([-1, -2]), [2]);
    expect(opposite.cosine).toBe(-1);
  });

  it('floors the relative error denominator', () => {
    const m = compareOutputs(new Float64Array([0, 10]), new Float64Array([1e-7, 10]), [2]);
    expectClose(m.maxRel, 0.1, 1e-12); // 1e-7 / max(0, 1e-6)
    const custom = compareOutputs(new Float64Array([0, 10]), new Float64Array([1e-7, 10]), [2], { relFloor: 1e-3 });
    expectClose(custom.maxRel, 1e-4, 1e-12);
    expect(custom.relFloor).toBe(1e-3);
  });

  it('counts NaN and Inf on both sides and leaves them out of the error metrics', () => {
    const b = new Float32Array([NaN, Infinity, 1, 2, -Infinity, NaN, 3]);
    const c = new Float32Array([NaN, 1, Infinity, -Infinity, -Infinity, 5, 3.5]);
    const m = compareOutputs(b, c, [7]);
    expect(m.nan).toEqual({ baseline: 2, candidate: 1 });
    expect(m.inf).toEqual({ baseline: 2, candidate: 3 });
    // mismatches: (Inf,1) (1,Inf) (2,-Inf) (NaN,5); equal: (NaN,NaN) (-Inf,-Inf)
    expect(m.nonFiniteMismatch).toBe(4);
    expect(m.compared).toBe(1);
    expect(m.maxAbs).toBe(0.5);
  });

  it('measures top-1 and top-5 agreement per row of the last axis', () => {
    // row 0: same argmax (5), top-5 sets equal; row 1: argmax 0 vs 1, top-5 sets differ (index 6 enters)
    const b = [0, 1, 2, 3, 4, 5, -1, 9, 8, 7, 6, 5, 4, -1];
    const c = [0, 1, 2, 3, 4, 6, -1, 8, 9, 7, 6, 5, 1, 5.5];
    const m = compareOutputs(new Float32Array(b), new Float32Array(c), [2, 7]);
    expect(m.rows).toBe(2);
    expect(m.top1).toBe(0.5);
    expect(m.top5).toBe(0.5);
  });

  it('skips top-k for integer outputs and for a last axis of 1, and reads BigInt64Array', () => {
    const ints = compareOutputs(new BigInt64Array([1n, 2n, 3n, 4n]), new BigInt64Array([1n, 2n, 3n, 6n]), [2, 2]);
    expect(ints.top1).toBeUndefined();
    expect(ints.maxAbs).toBe(2);
    const column = compareOutputs(new Float32Array([1, 2]), new Float32Array([1, 2]), [2, 1]);
    expect(column.top1).toBeUndefined();
    const forced = compareOutputs(new Int32Array([1, 5, 3, 2]), new Int32Array([1, 5, 3, 9]), [2, 2], { floating: true });
    expect(forced.top1).toBe(0.5);
  });

  it('rejects mismatched lengths and shapes', () => {
    expect(() => compareOutputs(new Float32Array(3), new Float32Array(4), [3])).toThrow(/elements/);
    expect(() => compareOutputs(new Float32Array(4), new Float32Array(4), [3])).toThrow(/dims/);
  });
});

describe('argmax and topK', () => {
  it('break ties toward the lower index and rank NaN highest, like numpy', () => {
    expect(argmax([1, 3, 3, 2], 0, 4)).toBe(1);
    expect(argmax([1, NaN, 5, NaN], 0, 4)).toBe(1);
    expect(topK([5, 1, 5, 7, 0, 5], 0, 6, 3)).toEqual([3, 0, 2]);
    expect(topK([9, 9, 1, 2, 3, 4], 2, 4, 2)).toEqual([3, 2]);
  });
});

describe('compareOutputs against an independent implementation on random data', () => {
  const cases = [
    { dims: [64, 10], noise: 1e-3, seed: 1 },
    { dims: [4, 33, 256], noise: 5e-2, seed: 2 },
    { dims: [7, 3], noise: 0.5, seed: 3 },
    { dims: [5000], noise: 1e-4, seed: 4 },
  ];
  for (const { dims, noise, seed } of cases) {
    it(`agrees on dims [${dims.join(',')}] with noise ${noise}`, () => {
      const count = dims.reduce((a, b) => a * b, 1);
      const base = normals(count, seed).map((v, i) => (i % 11 === 0 ? Math.round(v) : v * 3)); // some exact ties
      const jitter = normals(count, seed + 100);
      const b = Float32Array.from(base);
      const c = Float32Array.from(base, (v, i) => v + noise * jitter[i]!);
      const m = compareOutputs(b, c, dims);
      const last = dims[dims.length - 1]!;
      const ref = reference(Array.from(b), Array.from(c), last);
      expectClose(m.maxAbs, ref.maxAbs, 1e-6);
      expectClose(m.meanAbs, ref.meanAbs, 1e-9);
      expectClose(m.rmse, ref.rmse, 1e-9);
      expectClose(m.maxRel, ref.maxRel, 1e-9);
      expectClose(m.cosine, ref.cosine, 1e-12);
      expectClose(m.snrDb, ref.snrDb, 1e-9);
      if (last >= 2) expect(m.top1).toBe(ref.top1);
      else expect(m.top1).toBeUndefined();
      if (last > 5) expect(m.top5).toBe(ref.top5);
    });
  }
});

describe('accuracy', () => {
  it('counts argmax hits per row, ignoring negative labels', () => {
    const logits = new Float32Array([
      0.1,
      0.9,
      0.0, // row 0 -> 1
      0.7,
      0.2,
      0.1, // row 1 -> 0
      0.3,
      0.3,
      0.4, // row 2 -> 2
      0.5,
      0.5,
      0.0, // row 3 -> 0 (tie: first)
    ]);
    expect(accuracy(logits, [4, 3], new Int32Array([1, 0, 1, 0]))).toEqual({ correct: 3, count: 4, accuracy: 0.75 });
    expect(accuracy(logits, [2, 2, 3], new BigInt64Array([1n, -100n, 2n, 1n]))).toEqual({ correct: 2, count: 3, accuracy: 2 / 3 });
  });

  it('requires one label per row and labels within range', () => {
    const logits = new Float32Array(6);
    expect(() => accuracy(logits, [2, 3], [0, 1, 2])).toThrow(/rows/);
    expect(() => accuracy(logits, [2, 3], [0, 3])).toThrow(/out of range/);
  });

  it('agrees with a plain count on random logits', () => {
    const rows = 500;
    const classes = 17;
    const logits = Float32Array.from(normals(rows * classes, 9));
    const labels = Int32Array.from(normals(rows, 10), (v) => Math.abs(Math.floor(v * 7)) % classes);
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    }
    const score = accuracy(logits, [rows, classes], labels);
    expect(score.correct).toBe(correct);
    expect(score.accuracy).toBe(correct / rows);
  });
});

describe('comparableValues', () => {
  it('decodes float16 and bfloat16 bit patterns and passes numeric arrays through', () => {
    // float16: 0x3c00 = 1, 0xc000 = -2, 0x3555 = 0.333251953125; bfloat16: 0x3f80 = 1, 0x4040 = 3
    expect(comparableValues(new Uint16Array([0x3c00, 0xc000, 0x3555]), 'float16')).toEqual(new Float32Array([1, -2, 0.333251953125]));
    expect(comparableValues(new Uint16Array([0x3f80, 0x4040]), 'bfloat16')).toEqual(new Float32Array([1, 3]));
    const ints = new Int32Array([1, 2]);
    expect(comparableValues(ints, 'int32')).toBe(ints);
    expect(comparableValues(new Uint16Array([7]), 'uint16')).toEqual(new Uint16Array([7]));
    expect(() => comparableValues(['a'], 'string')).toThrow(/string/);
    expect(() => comparableValues(new Float32Array(1), 'float16')).toThrow(/Uint16Array/);
  });
});
