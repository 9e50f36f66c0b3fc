/**
 * Block-wise weight quantization with the arithmetic of onnxruntime's MatMulNBitsQuantizer (default algorithm,
 * 1.30), which calls MLAS's block-wise quantizer (core/mlas/lib/q4_dq.cpp, `BlockwiseQuantizer` for the
 * QOperator format, `BlockwiseQDQQuantizer` for QDQ). Written from reading that code; see README.md beside this
 * file for every rule and how it was checked.
 *
 * A weight is seen as a K x N matrix whose element (k, n) is `data[k * strideK + n * strideN]`; blocks of
 * `blockSize` consecutive k make one scale (and zero point) per column n. MatMul's B [K, N] is (strideK N,
 * strideN 1); a Gather table or Gemm's B with transB, stored [N, K], is (strideK 1, strideN K), which is the
 * same arithmetic on the transposed matrix, so a tied weight quantizes to the same bytes either way.
 *
 * Every step is float32 as in C++: JavaScript computes in float64, so each operation goes through Math.fround
 * (for one +, -, * or / of float32 operands that is the correctly rounded float32 result). roundf rounds half
 * away from zero. The inner loops run on typed arrays with no allocation per element.
 */

export type NBits = 4 | 8;

export interface BlockwiseOptions {
  bits: NBits;
  /** A power of two, at least 16. */
  blockSize: number;
  /** Symmetric: the value of largest magnitude sets the scale and the zero point is the middle of the range. */
  symmetric: boolean;
  /**
   * Rounds a float32 scale to the type it is stored in (float16 weights keep float16 scales); the quantizer
   * then uses the stored value, as MLAS reads its scale back before taking the reciprocal. Default float32.
   */
  storeScale?: (scale: number) => number;
}

/** A K x N matrix over `data`: element (k, n) at `k * strideK + n * strideN`. */
export interface MatrixView {
  data: Float32Array;
  K: number;
  N: number;
  strideK: number;
  strideN: number;
}

export interface BlockParams {
  kBlocks: number;
  /** Stored scales, column-major by block: block b of column n at `n * kBlocks + b`. */
  scales: Float32Array;
  /** Zero points, unpacked, same order as `scales`; undefined when symmetric (implicit 2^(bits-1), or 0 signed). */
  zeroPoints: Uint8Array | undefined;
}

const FLT_MAX = 3.4028234663852886e38;
const fround = Math.fround;

/** C's roundf: half away from zero. */
export function roundHalfAway(x: number): number {
  return x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5);
}

/** Number of blocks along K. */
export function blockCount(K: number, blockSize: number): number {
  return Math.ceil(K / blockSize);
}

/**
 * MLAS range2scale (symmetric): the end of [min, max] with the larger magnitude keeps its sign (the negative end
 * on a tie) and scale = -v / 2^(bits-1), so that v maps to the most negative quantized value.
 */
export function symmetricScale(min: number, max: number, bits: NBits): number {
  const v = Math.abs(max) > Math.abs(min) ? max : min;
  return fround(-v / (1 << (bits - 1)));
}

/**
 * MLAS range2scalezp (asymmetric, unsigned): the range widened to include 0, scale = (max - min) / (2^bits - 1),
 * zero point = clamp(roundf(0 - min / scale)) to [0, 2^bits - 1] (min itself, 0, when the scale is 0).
 * Returns the float32 scale before it is rounded to its stored type (the zero point comes from this value).
 */
export function asymmetricScaleZeroPoint(min: number, max: number, bits: NBits): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const qmax = (1 << bits) - 1;
  const scale = fround(fround(hi - lo) / qmax);
  let zpFloat = lo;
  if (scale !== 0) zpFloat = fround(0 - fround(lo / scale));
  const zeroPoint = zpFloat < 0 ? 0 : zpFloat > qmax ? qmax : roundHalfAway(zpFloat);
  return { scale, zeroPoint };
}

/** Scales (and zero points) of every block of `view`, from each block's min and max (over real rows only). */
export function blockParams(view: MatrixView, options: BlockwiseOptions): BlockParams {
  const { data, K, N, strideK, strideN } = view;
  const { bits, blockSize, symmetric } = options;
  const store = options.storeScale;
  const kBlocks = blockCount(K, blockSize);
  const scales = new Float32Array(N * kBlocks);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * kBlocks);
  const mins = new Float32Array(N);
  const maxs = new Float32Array(N);

  for (let b = 0; b < kBlocks; b++) {
    const k0 = b * blockSize;
    const k1 = Math.min(K, k0 + blockSize);
    if (strideN === 1) {
      // Rows of the block one after another: reads are contiguous along n.
      mins.fill(FLT_MAX);
      maxs.fill(-FLT_MAX);
      for (let k = k0; k < k1; k++) {
        const row = k * strideK;
        for (let n = 0; n < N; n++) {
          const v = data[row + n]!;
          if (v < mins[n]!) mins[n] = v;
          if (v > maxs[n]!) maxs[n] = v;
        }
      }
    } else {
      for (let n = 0; n < N; n++) {
        let min = FLT_MAX;
        let max = -FLT_MAX;
        let p = k0 * strideK + n * strideN;
        for (let k = k0; k < k1; k++, p += strideK) {
          const v = data[p]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        mins[n] = min;
        maxs[n] = max;
      }
    }
    for (let n = 0; n < N; n++) {
      const at = n * kBlocks + b;
      if (symmetric) {
        const s = symmetricScale(mins[n]!, maxs[n]!, bits);
        scales[at] = store ? store(s) : s;
      } else {
        const { scale, zeroPoint } = asymmetricScaleZeroPoint(mins[n]!, maxs[n]!, bits);
        scales[at] = store ? store(scale) : scale;
        zeroPoints![at] = zeroPoint;
      }
    }
  }
  return { kBlocks, scales, zeroPoints };
}

/** MLAS: `scale ? 1.0f / scale : 0.0f` on the stored scale. */
function reciprocals(scales: Float32Array): Float32Array {
  const out = new Float32Array(scales.length);
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i]!;
    out[i] = s === 0 ? 0 : fround(1 / s);
  }
  return out;
}

/** Zero points as floats per block (2^(bits-1) when symmetric), for the quantization loop. */
function zeroPointFloats(params: BlockParams, bits: NBits): Float32Array {
  const out = new Float32Array(params.scales.length);
  if (params.zeroPoints) out.set(params.zeroPoints);
  else out.fill(1 << (bits - 1));
  return out;
}

/**
 * The quantized matrix in MatMulNBits' layout: row n of the output holds column n of the matrix, `rowBytes`
 * bytes, element k at byte (k * bits) / 8, low nibble first for 4 bits. Value: clamp(roundf(v * (1 / scale) +
 * zero point), 0, 2^bits - 1), the product and the sum each rounded to float32 (BlockwiseQuantizer).
 *
 * `mlasTail`: reproduce what MLAS leaves in the high nibble of the last byte when K is odd (it is past K, so
 * no kernel reads it): the value quantized just before, when that element is in the same pair of blocks (MLAS's
 * work unit), else 0. MatMulNBits files need it to be byte-identical to onnxruntime's.
 */
export function quantizeRows(view: MatrixView, params: BlockParams, options: BlockwiseOptions, rowBytes: number, mlasTail: boolean): Uint8Array {
  const { data, K, N, strideK, strideN } = view;
  const { bits, blockSize } = options;
  const { kBlocks } = params;
  const qmax = (1 << bits) - 1;
  const out = new Uint8Array(N * rowBytes);
  const recip = reciprocals(params.scales);
  const zps = zeroPointFloats(params, bits);

  if (strideN === 1) {
    // Walk the rows of each block (contiguous reads); one block's parameters copied into contiguous arrays.
    const r = new Float32Array(N);
    const z = new Float32Array(N);
    for (let b = 0; b < kBlocks; b++) {
      for (let n = 0; n < N; n++) {
        r[n] = recip[n * kBlocks + b]!;
        z[n] = zps[n * kBlocks + b]!;
      }
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      if (bits === 8) {
        for (let k = k0; k < k1; k++) {
          const row = k * strideK;
          for (let n = 0, o = k; n < N; n++, o += rowBytes) {
            const x = fround(fround(data[row + n]! * r[n]!) + z[n]!);
            out[o] = x <= 0 ? 0 : x >= qmax ? qmax : Math.floor(x + 0.5);
          }
        }
      } else {
        for (let k = k0; k < k1; k += 2) {
          const row0 = k * strideK;
          const hasHigh = k + 1 < k1;
          const row1 = row0 + strideK;
          for (let n = 0, o = k >> 1; n < N; n++, o += rowBytes) {
            const rn = r[n]!;
            const zn = z[n]!;
            const x0 = fround(fround(data[row0 + n]! * rn) + zn);
            const q0 = x0 <= 0 ? 0 : x0 >= qmax ? qmax : Math.floor(x0 + 0.5);
            let q1 = 0;
            if (hasHigh) {
              const x1 = fround(fround(data[row1 + n]! * rn) + zn);
              q1 = x1 <= 0 ? 0 : x1 >= qmax ? qmax : Math.floor(x1 + 0.5);
            }
            out[o] = q0 | (q1 << 4);
          }
        }
      }
    }
  } else {
    for (let n = 0; n < N; n++) {
      const base = n * strideN;
      const rowOut = n * rowBytes;
      for (let b = 0; b < kBlocks; b++) {
        const rn = recip[n * kBlocks + b]!;
        const zn = zps[n * kBlocks + b]!;
        const k0 = b * blockSize;
        const k1 = Math.min(K, k0 + blockSize);
        if (bits === 8) {
          for (let k = k0, p = base + k0 * strideK; k < k1; k++, p += strideK) {
            const x = fround(fround(data[p]! * rn) + zn);
            out[rowOut + k] = x <= 0 ? 0 : x >= qmax ? qmax : Math.floor(x + 0.5);
          }
        } else {
          for (let k = k0, p = base + k0 * strideK; k < k1; k += 2, p += 2 * strideK) {
            const x0 = fround(fround(data[p]! * rn) + zn);
            const q0 = x0 <= 0 ? 0 : x0 >= qmax ? qmax : Math.floor(x0 + 0.5);
            let q1 = 0;
            if (k + 1 < k1) {
              const x1 = fround(fround(data[p + strideK]! * rn) + zn);
              q1 = x1 <= 0 ? 0 : x1 >= qmax ? qmax : Math.floor(x1 + 0.5);
            }
            out[rowOut + (k >> 1)] = q0 | (q1 << 4);
          }
        }
      }
    }
  }

  if (mlasTail && bits === 4 && K % 2 === 1 && K >= 2 && (K - 1) % (2 * blockSize) !== 0) {
    // MLAS quantizes pairs of rows; for the last, lone row it keeps the previous pair's second value.
    const k = K - 2;
    const b = Math.floor(k / blockSize);
    for (let n = 0; n < N; n++) {
      const x = fround(fround(data[k * strideK + n * strideN]! * recip[n * kBlocks + b]!) + zps[n * kBlocks + b]!);
      const q = x <= 0 ? 0 : x >= qmax ? qmax : Math.floor(x + 0.5);
      const at = n * rowBytes + ((K - 1) >> 1);
      out[at] = out[at]! | (q << 4);
    }
  }
  return out;
}

/**
 * Zero points packed as MatMulNBits (and GatherBlockQuantized with uint8 data) read them: per column n,
 * ceil(kBlocks * bits / 8) bytes, low nibble first; a missing last nibble is 2^(bits-1), as MLAS leaves it.
 */
export function packZeroPoints(params: BlockParams, N: number, bits: NBits): Uint8Array {
  const { kBlocks, zeroPoints } = params;
  if (!zeroPoints) throw new Error('symmetric blocks have no zero points');
  if (bits === 8) return zeroPoints.slice();
  const cols = Math.ceil(kBlocks / 2);
  const out = new Uint8Array(N * cols);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b += 2) {
      const lo = zeroPoints[n * kBlocks + b]!;
      const hi = b + 1 < kBlocks ? zeroPoints[n * kBlocks + b + 1]! : 8;
      out[n * cols + (b >> 1)] = lo | (hi << 4);
    }
  }
  return out;
}

export interface NBitsWeight {
  /** [N, kBlocks, blockSize * bits / 8] */
  packed: Uint8Array;
  /** [N, kBlocks] */
  scales: Float32Array;
  /** [N, ceil(kBlocks * bits / 8)], asymmetric only */
  zeroPoints: Uint8Array | undefined;
  kBlocks: number;
  blobSize: number;
}

/** The matrix quantized for MatMulNBits, byte for byte as onnxruntime's quantizer writes it. */
export function quantizeNBits(view: MatrixView, options: BlockwiseOptions): NBitsWeight {
  const params = blockParams(view, options);
  const blobSize = (options.blockSize * options.bits) / 8;
  const packed = quantizeRows(view, params, options, params.kBlocks * blobSize, true);
  const zeroPoints = params.zeroPoints ? packZeroPoints(params, view.N, options.bits) : undefined;
  return { packed, scales: params.scales, zeroPoints, kBlocks: params.kBlocks, blobSize };
}

export interface QdqWeight {
  /** Same element order as the source, packed two 4-bit values a byte (low nibble first) or one byte each. */
  data: Uint8Array;
  /** Scales in the source's order with the blocked axis shortened to kBlocks. */
  scales: Float32Array;
  /** Zero points, same order as `scales` and packed like `data`; asymmetric only. */
  zeroPoints: Uint8Array | undefined;
  kBlocks: number;
}

/**
 * The matrix quantized for DequantizeLinear with `block_size` (BlockwiseQDQQuantizer): the same scales and
 * zero points as for MatMulNBits, but the value is clamp(roundf(v * (1 / scale)) + zero point): rounded before
 * the zero point is added, signed (INT4/INT8, zero point 0) when symmetric, unsigned (UINT4/UINT8) otherwise.
 * The view must be a contiguous row-major matrix blocked along its rows (strideN 1, B of MatMul) or its
 * columns (strideK 1).
 */
export function quantizeQdq(view: MatrixView, options: BlockwiseOptions): QdqWeight {
  const { data, K, N, strideK, strideN } = view;
  const { bits, blockSize, symmetric } = options;
  const rowsBlocked = strideN === 1 && strideK === N;
  if (!rowsBlocked && !(strideK === 1 && strideN === K)) throw new Error('quantizeQdq: the matrix must be contiguous');
  const params = blockParams(view, options);
  const { kBlocks } = params;
  const recip = reciprocals(params.scales);
  const qmin = symmetric ? -(1 << (bits - 1)) : 0;
  const qmax = symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  const mask = (1 << bits) - 1;
  const count = K * N;
  const out = new Uint8Array(bits === 8 ? count : Math.ceil(count / 2));
  // Block b of column n: index of its parameters in the source-ordered scale tensor.
  const paramIndex = (n: number, b: number): number => (rowsBlocked ? b * N + n : n * kBlocks + b);

  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const rn = recip[n * kBlocks + b]!;
      const zn = params.zeroPoints ? params.zeroPoints[n * kBlocks + b]! : 0;
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      for (let k = k0; k < k1; k++) {
        const f = k * strideK + n * strideN;
        let q = roundHalfAway(fround(data[f]! * rn)) + zn;
        q = q < qmin ? qmin : q > qmax ? qmax : q;
        if (bits === 8) out[f] = q & mask;
        else out[f >> 1] = out[f >> 1]! | ((q & mask) << ((f & 1) << 2));
      }
    }
  }

  const scales = new Float32Array(N * kBlocks);
  for (let n = 0; n < N; n++) for (let b = 0; b < kBlocks; b++) scales[paramIndex(n, b)] = params.scales[n * kBlocks + b]!;
  let zeroPoints: Uint8Array | undefined;
  if (params.zeroPoints) {
    zeroPoints = new Uint8Array(bits === 8 ? N * kBlocks : Math.ceil((N * kBlocks) / 2));
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < kBlocks; b++) {
        const i = paramIndex(n, b);
        const z = params.zeroPoints[n * kBlocks + b]!;
        if (bits === 8) zeroPoints[i] = z;
        else zeroPoints[i >> 1] = zeroPoints[i >> 1]! | (z << ((i & 1) << 2));
      }
    }
  }
  return { data: out, scales, zeroPoints, kBlocks };
}
