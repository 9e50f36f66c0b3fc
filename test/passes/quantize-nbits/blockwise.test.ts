/**
 * The block-wise arithmetic on small matrices worked out by hand (each expectation says how), so that every
 * rule of MLAS's quantizer the corpus may not exercise is pinned: the sign of the scale, ties, padding, the
 * zero point, the stale last nibble, 8 bits, all-zero blocks, and where QDQ rounds differently.
 */
import { describe, expect, it } from 'vitest';
import {
  asymmetricScaleZeroPoint,
  packZeroPoints,
  blockParams,
  quantizeNBits,
  quantizeQdq,
  roundHalfAway,
  symmetricScale,
  type BlockwiseOptions,
  type MatrixView,
} from '../../../src/passes/quantize-nbits/blockwise.js';

/** A K x 1 column (MatMul's B with one output). */
function column(values: number[]): MatrixView {
  return { data: Float32Array.from(values), K: values.length, N: 1, strideK: 1, strideN: 1 };
}

const hex = (bytes: Uint8Array): string[] => [...bytes].map((b) => b.toString(16).padStart(2, '0'));
/** Two 4-bit values a byte, low nibble first. */
const pack = (q: number[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < q.length; i += 2) out.push(((q[i]! | ((q[i + 1] ?? 0) << 4)) & 0xff).toString(16).padStart(2, '0'));
  return out;
};
const sym4: BlockwiseOptions = { bits: 4, blockSize: 16, symmetric: true };
const asym4: BlockwiseOptions = { bits: 4, blockSize: 16, symmetric: false };

describe('roundf', () => {
  it('rounds halves away from zero', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 7.5, 6.5].map(roundHalfAway)).toEqual([1, 2, 3, -1, -2, 8, 7]);
  });
});

describe('symmetric 4-bit blocks', () => {
  it('a block whose largest magnitude is +8: scale -8/8 = -1, q = roundf(v / -1 + 8), halves rounded up', () => {
    const v = [8, 1, 2, 3, -1, -3, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0, 0, 0, 0];
    const q = quantizeNBits(column(v), sym4);
    expect([...q.scales]).toEqual([-1]);
    // 8 -> 0, 1 -> 7, 2 -> 6, 3 -> 5, -1 -> 9, -3 -> 11, 0.5 -> 7.5 -> 8, 1.5 -> 6.5 -> 7, 2.5 -> 5.5 -> 6,
    // -0.5 -> 8.5 -> 9, -1.5 -> 9.5 -> 10, -2.5 -> 10.5 -> 11, 0 -> 8.
    expect(hex(q.packed)).toEqual(pack([0, 7, 6, 5, 9, 11, 8, 7, 6, 9, 10, 11, 8, 8, 8, 8]));
    expect(q.zeroPoints).toBeUndefined();
  });

  it('the negative end wins when it is larger, and on a tie: scale = -v/8 is then positive', () => {
    expect(symmetricScale(-4, 1, 4)).toBe(0.5);
    expect(symmetricScale(-2, 2, 4)).toBe(0.25);
    expect(symmetricScale(-2, 2.5, 4)).toBe(-0.3125);
    // [-2, 2] with scale 0.25: -2 -> -8 + 8 = 0; 2 -> 8 + 8 = 16, clamped to 15; 1 -> 12.
    const q = quantizeNBits(column([-2, 2, 1, ...new Array<number>(13).fill(0)]), sym4);
    expect(hex(q.packed).slice(0, 2)).toEqual(pack([0, 15, 12, 8]));
  });

  it('K = 19: the last block has 3 values and the rest of its bytes stay 0', () => {
    // Block 0: (i + 1) / 4 for i < 16, max 4, scale -0.5, q = roundf(8 - 2v).
    // Block 1: 4.25, 4.5, 4.75, scale -4.75 / 8 = -0.59375, 1/scale = -1.6842105 (float32):
    // 4.25 -> 0.84 -> 1; 4.5 -> 0.42 -> 0; 4.75 -> 8.00000006 rounds to 8 in float32 -> 0.
    const v = Array.from({ length: 19 }, (_, i) => (i + 1) / 4);
    const q = quantizeNBits(column(v), sym4);
    expect([...q.scales]).toEqual([-0.5, -0.59375]);
    expect(q.packed.length).toBe(16);
    const block0 = v.slice(0, 16).map((x) => roundHalfAway(8 - 2 * x));
    expect(hex(q.packed.subarray(0, 8))).toEqual(pack(block0));
    expect(hex(q.packed.subarray(8))).toEqual(pack([1, 0, 0, 0, ...new Array<number>(12).fill(0)]));
  });

  it('an all-zero block has scale -0 and every value at the zero point 8', () => {
    const q = quantizeNBits(column(new Array<number>(16).fill(0)), sym4);
    expect(Object.is(q.scales[0], -0)).toBe(true);
    expect(hex(q.packed)).toEqual(new Array<string>(8).fill('88'));
  });
});

describe('asymmetric 4-bit blocks', () => {
  it('range [-1.5, 6]: scale 7.5 / 15 = 0.5, zero point roundf(1.5 / 0.5) = 3, q = roundf(2v + 3)', () => {
    expect(asymmetricScaleZeroPoint(-1.5, 6, 4)).toEqual({ scale: 0.5, zeroPoint: 3 });
    const v = [-1.5, 6, 0, 1.25, -0.25, 2, ...new Array<number>(10).fill(1)];
    const q = quantizeNBits(column(v), asym4);
    expect([...q.scales]).toEqual([0.5]);
    // -1.5 -> 0, 6 -> 15, 0 -> 3, 1.25 -> 5.5 -> 6, -0.25 -> 2.5 -> 3, 2 -> 7, 1 -> 5.
    expect(hex(q.packed)).toEqual(pack([0, 15, 3, 6, 3, 7, ...new Array<number>(10).fill(5)]));
    // One block: its zero point in the low nibble, and 8 (MLAS's default) where a second block would be.
    expect(hex(q.zeroPoints!)).toEqual(['83']);
  });

  it('the range always includes 0: all-positive values get zero point 0, all-negative 15', () => {
    expect(asymmetricScaleZeroPoint(1, 3, 4)).toEqual({ scale: Math.fround(3 / 15), zeroPoint: 0 });
    expect(asymmetricScaleZeroPoint(-3, -1, 4)).toEqual({ scale: Math.fround(3 / 15), zeroPoint: 15 });
    expect(asymmetricScaleZeroPoint(0, 0, 4)).toEqual({ scale: 0, zeroPoint: 0 });
  });

  it('K odd: MLAS keeps the previous value in the high nibble past K (an artifact, reproduced)', () => {
    // Block 1 of K = 19 holds 4.25, 4.5, 4.75: range [0, 4.75], scale 4.75 / 15, zero point 0;
    // q = 13 (13.42), 14 (14.21), 15. The last byte pairs 15 with the 14 quantized before it.
    const v = Array.from({ length: 19 }, (_, i) => (i + 1) / 4);
    const q = quantizeNBits(column(v), asym4);
    expect(hex(q.packed.subarray(8, 10))).toEqual(['ed', 'ef']);
    expect(hex(q.packed.subarray(10))).toEqual(new Array<string>(6).fill('00'));
  });

  it('zero points of several blocks pack two a byte, low nibble first', () => {
    const params = { kBlocks: 3, scales: new Float32Array(6), zeroPoints: Uint8Array.of(1, 2, 3, 4, 5, 6) };
    expect(hex(packZeroPoints(params, 2, 4))).toEqual(['21', '83', '54', '86']);
    expect(hex(packZeroPoints(params, 2, 8))).toEqual(['01', '02', '03', '04', '05', '06']);
  });
});

describe('8 bits', () => {
  it('symmetric: scale -v / 128, zero point 128, one byte a value', () => {
    // max |v| is -128: scale 1, q = roundf(v + 128); 127 -> 255, 0.5 -> 128.5 -> 129, -0.5 -> 127.5 -> 128.
    const v = [-128, 127, 0.5, -0.5, 0, ...new Array<number>(11).fill(1)];
    const q = quantizeNBits(column(v), { bits: 8, blockSize: 16, symmetric: true });
    expect([...q.scales]).toEqual([1]);
    expect([...q.packed]).toEqual([0, 255, 129, 128, 128, ...new Array<number>(11).fill(129)]);
  });

  it('asymmetric: scale (max - min) / 255 and a zero point byte per block', () => {
    // [-51, 204]: scale 255 / 255 = 1, zero point 51, q = v + 51.
    const v = [-51, 204, 0, 10, ...new Array<number>(12).fill(0)];
    const q = quantizeNBits(column(v), { bits: 8, blockSize: 16, symmetric: false });
    expect([...q.scales]).toEqual([1]);
    expect([...q.zeroPoints!]).toEqual([51]);
    expect([...q.packed.subarray(0, 4)]).toEqual([0, 255, 51, 61]);
  });
});

describe('layouts', () => {
  it('B [K, N] and its transpose stored [N, K] give the same bytes (tied weights quantize once)', () => {
    const K = 40;
    const N = 3;
    const b = Float32Array.from({ length: K * N }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    const t = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) t[n * K + k] = b[k * N + n]!;
    for (const options of [sym4, asym4, { bits: 8, blockSize: 32, symmetric: false } as BlockwiseOptions]) {
      const a = quantizeNBits({ data: b, K, N, strideK: N, strideN: 1 }, options);
      const c = quantizeNBits({ data: t, K, N, strideK: 1, strideN: K }, options);
      expect(hex(c.packed)).toEqual(hex(a.packed));
      expect([...c.scales]).toEqual([...a.scales]);
      expect(c.zeroPoints && hex(c.zeroPoints)).toEqual(a.zeroPoints && hex(a.zeroPoints));
    }
  });

  it('MatMulNBits layout: column n is row n of [N, kBlocks, blob], scales [N, kBlocks]', () => {
    // Column 0 is all 1 (scale -1/8), column 1 all -2 (scale 2/8): q = 0 in both.
    const K = 32;
    const data = new Float32Array(K * 2);
    for (let k = 0; k < K; k++) {
      data[k * 2] = 1;
      data[k * 2 + 1] = -2;
    }
    const q = quantizeNBits({ data, K, N: 2, strideK: 2, strideN: 1 }, sym4);
    expect([...q.scales]).toEqual([-0.125, -0.125, 0.25, 0.25]);
    expect(q.packed.length).toBe(2 * 2 * 8);
    expect(q.blobSize).toBe(8);
    expect([...q.packed]).toEqual(new Array<number>(32).fill(0));
    expect(blockParams({ data, K, N: 2, strideK: 2, strideN: 1 }, sym4).kBlocks).toBe(2);
  });
});

describe('QDQ (DequantizeLinear with block_size)', () => {
  it('rounds before adding the zero point and stores signed values: -0.5 rounds away from zero', () => {
    // Scale -1 (max 8): v = 0.5 -> v / scale = -0.5 -> roundf = -1 (MatMulNBits: roundf(7.5) = 8, i.e. 0).
    const v = [8, 0.5, -0.5, 1, ...new Array<number>(12).fill(0)];
    const q = quantizeQdq({ data: Float32Array.from(v), K: 16, N: 1, strideK: 1, strideN: 1 }, sym4);
    expect([...q.scales]).toEqual([-1]);
    // -8 -> 0x8, -1 -> 0xf, 1 -> 0x1, -1 -> 0xf; zeros.
    expect(hex(q.data.subarray(0, 2))).toEqual(['f8', 'f1']);
    expect(q.zeroPoints).toBeUndefined();
  });

  it('keeps the source order: B [K, N] blocked along K gives scales [kBlocks, N]', () => {
    const K = 32;
    const N = 2;
    const data = Float32Array.from({ length: K * N }, (_, i) => (i % 2 === 0 ? 1 : -4) * (1 + Math.floor(i / 32)));
    const q = quantizeQdq({ data, K, N, strideK: N, strideN: 1 }, asym4);
    // Blocks of 16 rows; column 0 is 1 then 2, column 1 is -4 then -8. Asymmetric: [0, 1] -> 1/15; [-4, 0] -> 4/15, zp 15.
    expect([...q.scales]).toEqual([1 / 15, 4 / 15, 2 / 15, 8 / 15].map(Math.fround));
    // Zero points [kBlocks, N] = [[0, 15], [0, 15]], packed by flat index.
    expect(hex(q.zeroPoints!)).toEqual(['f0', 'f0']);
    // Every value of column 0 is its block's max (15), of column 1 its block's min (0): bytes 0x0f.
    expect(new Set(hex(q.data))).toEqual(new Set(['0f']));
  });
});
