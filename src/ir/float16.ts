/**
 * Conversion of whole typed arrays between float32 and the 16-bit float
 * formats (IEEE binary16 "float16" and Google's "bfloat16"), working on bit
 * patterns so that hundreds of MB of weights convert without per-element
 * allocation.
 *
 * float32 -> float16 follows the table idea of J. van der Zijp, "Fast Half
 * Float Conversions" (2008), extended with round-to-nearest-even: the top nine
 * bits (sign and exponent) select a base pattern, a shift, and whether the
 * implicit leading 1 must be kept (float16 subnormal results); the shifted
 * mantissa is rounded with the usual "add half-minus-one plus the lowest kept
 * bit" trick, and a carry out of the mantissa correctly bumps the exponent
 * (up to Inf). float16 -> float32 is one lookup in a 65536-entry table.
 */

const FLOAT16_MAX_BITS = 0x7bff; // 65504
const FLOAT16_INF_BITS = 0x7c00;
const FLOAT16_QUIET_BIT = 0x0200;
const FLOAT32_INF_BITS = 0x7f800000;
const FLOAT32_65504_BITS = 0x477fe000;
const FLOAT32_2_POW_MINUS_14_BITS = 0x38800000; // smallest normal float16
const FLOAT32_IMPLICIT_BIT = 0x00800000;
const BFLOAT16_QUIET_BIT = 0x0040;

// Indexed by float32 bits >>> 23 (sign and biased exponent). NaN is handled
// outside the tables because its payload must not be rounded.
const f32ToF16Base = new Uint16Array(512);
const f32ToF16Shift = new Uint8Array(512);
const f32ToF16Implicit = new Uint32Array(512);
const f32ToF16Bias = new Uint32Array(512);

// Every float16 bit pattern as float32 bits.
const f16ToF32Bits = new Uint32Array(65536);

buildFloat32ToFloat16Tables();
buildFloat16ToFloat32Table();

function buildFloat32ToFloat16Tables(): void {
  for (let exponent = 0; exponent < 256; exponent++) {
    // Unbiased float16 exponent of a float32 with this biased exponent.
    const e16 = exponent - 127 + 15;
    let base: number;
    let shift: number;
    let implicit = 0;
    if (exponent >= 143) {
      // |x| >= 65536 (or Inf): Inf whatever the mantissa. A 23-bit mantissa
      // plus bias below 2^24 shifted by 24 adds nothing.
      base = FLOAT16_INF_BITS;
      shift = 24;
    } else if (e16 >= 1) {
      // Normal float16: the carry of the rounded mantissa goes into the exponent.
      base = e16 << 10;
      shift = 13;
    } else if (exponent >= 102) {
      // Subnormal float16 (or rounds to 0 / the smallest subnormal):
      // the significand with its implicit 1, in units of 2^-24.
      base = 0;
      shift = 14 - e16; // 14..24
      implicit = FLOAT32_IMPLICIT_BIT;
    } else {
      // |x| < 2^-25 rounds to zero.
      base = 0;
      shift = 24;
    }
    for (const sign of [0, 1]) {
      const index = (sign << 8) | exponent;
      f32ToF16Base[index] = base | (sign << 15);
      f32ToF16Shift[index] = shift;
      f32ToF16Implicit[index] = implicit;
      f32ToF16Bias[index] = (1 << (shift - 1)) - 1;
    }
  }
}

function buildFloat16ToFloat32Table(): void {
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    let bits: number;
    if (exponent === 0x1f) {
      bits = FLOAT32_INF_BITS | (mantissa << 13);
    } else if (exponent !== 0) {
      bits = ((exponent + 127 - 15) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      bits = 0;
    } else {
      // Subnormal float16 is a normal float32: normalise the mantissa.
      let e = 127 - 15 + 1;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        e--;
      }
      bits = (e << 23) | ((mantissa & 0x3ff) << 13);
    }
    f16ToF32Bits[h] = (sign | bits) >>> 0;
  }
}

/** float32 bit pattern -> float16 bit pattern, round to nearest even. */
function float32BitsToFloat16Bits(x: number): number {
  if ((x & 0x7fffffff) > FLOAT32_INF_BITS) {
    return ((x >>> 16) & 0x8000) | FLOAT16_INF_BITS | FLOAT16_QUIET_BIT | ((x >>> 13) & 0x3ff);
  }
  const index = x >>> 23;
  const shift = f32ToF16Shift[index]!;
  const mantissa = (x & 0x7fffff) | f32ToF16Implicit[index]!;
  return f32ToF16Base[index]! + ((mantissa + f32ToF16Bias[index]! + ((mantissa >>> shift) & 1)) >>> shift);
}

function float32View(src: Float32Array): Uint32Array {
  return new Uint32Array(src.buffer, src.byteOffset, src.length);
}

function checkedDestination<T extends Uint16Array | Float32Array>(dst: T | undefined, length: number, make: (n: number) => T): T {
  if (dst === undefined) return make(length);
  if (dst.length < length) {
    throw new RangeError(`destination holds ${dst.length} elements, ${length} needed`);
  }
  return dst.length === length ? dst : (dst.subarray(0, length) as T);
}

/**
 * float32 -> float16 bits, round to nearest even. Overflow gives ±Inf
 * (|x| >= 65520), NaN stays a quiet NaN with its sign and top payload bits.
 * `dst` (at least `src.length` long) is reused when given; the result is then
 * `dst` itself, or its first `src.length` elements when it is longer.
 */
export function float32ToFloat16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const n = src.length;
  const out = checkedDestination(dst, n, (len) => new Uint16Array(len));
  const bits = float32View(src);
  for (let i = 0; i < n; i++) out[i] = float32BitsToFloat16Bits(bits[i]!);
  return out;
}

/** float16 bits -> float32, exact (NaN payloads and signs kept). */
export function float16ToFloat32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const n = src.length;
  const out = checkedDestination(dst, n, (len) => new Float32Array(len));
  const outBits = float32View(out);
  const table = f16ToF32Bits;
  for (let i = 0; i < n; i++) outBits[i] = table[src[i]!]!;
  return out;
}

/** float32 -> bfloat16 bits, round to nearest even; NaN stays a quiet NaN. */
export function float32ToBfloat16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const n = src.length;
  const out = checkedDestination(dst, n, (len) => new Uint16Array(len));
  const bits = float32View(src);
  for (let i = 0; i < n; i++) {
    const x = bits[i]!;
    if ((x & 0x7fffffff) > FLOAT32_INF_BITS) {
      out[i] = (x >>> 16) | BFLOAT16_QUIET_BIT;
    } else {
      // Cannot pass 2^32: the largest non-NaN pattern is -Inf, 0xff800000.
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/** bfloat16 bits -> float32, exact. */
export function bfloat16ToFloat32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const n = src.length;
  const out = checkedDestination(dst, n, (len) => new Float32Array(len));
  const outBits = float32View(out);
  for (let i = 0; i < n; i++) outBits[i] = src[i]! << 16;
  return out;
}

export interface Float16ClampOptions {
  /** Turn values with 0 < |x| < 2^-14 (float16 subnormal range) into ±0. */
  readonly flushSubnormals?: boolean;
}

export interface Float16ClampResult {
  readonly data: Uint16Array;
  /** Finite inputs with |x| > 65504, written as ±65504. */
  readonly clamped: number;
  /** Non-zero inputs with |x| < 2^-14, written as ±0 (only with flushSubnormals). */
  readonly flushed: number;
}

/**
 * Like float32ToFloat16, but finite values beyond ±65504 become ±65504
 * instead of ±Inf, and optionally float16-subnormal values become ±0.
 * Inf and NaN inputs pass through and are not counted.
 */
export function float32ToFloat16Clamped(src: Float32Array, opts: Float16ClampOptions, dst?: Uint16Array): Float16ClampResult {
  const n = src.length;
  const out = checkedDestination(dst, n, (len) => new Uint16Array(len));
  const bits = float32View(src);
  const flushBelow = opts.flushSubnormals ? FLOAT32_2_POW_MINUS_14_BITS : 0;
  let clamped = 0;
  let flushed = 0;
  for (let i = 0; i < n; i++) {
    const x = bits[i]!;
    const magnitude = x & 0x7fffffff;
    if (magnitude > FLOAT32_65504_BITS && magnitude < FLOAT32_INF_BITS) {
      out[i] = ((x >>> 16) & 0x8000) | FLOAT16_MAX_BITS;
      clamped++;
    } else if (magnitude < flushBelow && magnitude !== 0) {
      out[i] = (x >>> 16) & 0x8000;
      flushed++;
    } else {
      out[i] = float32BitsToFloat16Bits(x);
    }
  }
  return { data: out, clamped, flushed };
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * A number -> float16 bits, correctly rounded from the double itself.
 * Rounding first to float32 with round-to-odd makes the second rounding
 * exact (float32 has more than 11 + 2 significand bits).
 */
export function toFloat16Bits(x: number): number {
  scratch[0] = x;
  let bits = scratchBits[0]!;
  const rounded = scratch[0];
  if (rounded !== x && x === x && (bits & 1) === 0 && Math.abs(rounded) !== Infinity) {
    // Inexact and landed on an even pattern: step one ulp towards x.
    bits = Math.abs(rounded) < Math.abs(x) ? bits + 1 : bits - 1;
  }
  return float32BitsToFloat16Bits(bits >>> 0);
}

/** float16 bits -> number, exact. */
export function fromFloat16Bits(h: number): number {
  scratchBits[0] = f16ToF32Bits[h & 0xffff]!;
  return scratch[0]!;
}
