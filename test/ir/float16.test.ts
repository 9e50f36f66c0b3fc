import { mulberry32 } from '../../src/validate/synthesize.js';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  float32ToFloat16Clamped,
  fromFloat16Bits,
  toFloat16Bits,
} from '../../src/ir/float16.js';
import { encode } from '../../src/proto/codec.js';

const FLOAT = 1;
const FLOAT16 = 10;
const BFLOAT16 = 16;

/** The float16 value of a bit pattern, straight from the IEEE definition. */
function naiveFloat16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * 2 ** -14 * (m / 1024);
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

const isFloat16NaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBfloat16NaN = (h: number): boolean => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

function float32FromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits.map((b) => b >>> 0)).buffer);
}

function f32(values: number[]): Float32Array {
  return Float32Array.from(values);
}

function allFloat16Patterns(): Uint16Array {
  const all = new Uint16Array(65536);
  for (let h = 0; h < 65536; h++) all[h] = h;
  return all;
}

/** Reproducible pseudo-random 32-bit integers: mulberry32's floats are its integers divided by 2^32, exactly. */
function random32(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() * 4294967296;
}

describe('float16ToFloat32', () => {
  it('matches the IEEE definition for all 65536 bit patterns', () => {
    const out = float16ToFloat32(allFloat16Patterns());
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const expected = naiveFloat16Value(h);
      const ok = Number.isNaN(expected) ? Number.isNaN(out[h]) : Object.is(out[h], expected);
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps NaN sign and payload', () => {
    const out = new Uint32Array(float16ToFloat32(Uint16Array.of(0x7e00, 0xfe01, 0x7c01, 0x7fff)).buffer);
    expect([...out]).toEqual([0x7fc00000, 0xffc02000, 0x7f802000, 0x7fffe000]);
  });

  it('fromFloat16Bits agrees with the IEEE definition', () => {
    for (let h = 0; h < 65536; h += 7) {
      const expected = naiveFloat16Value(h);
      if (Number.isNaN(expected)) expect(fromFloat16Bits(h)).toBeNaN();
      else expect(Object.is(fromFloat16Bits(h), expected)).toBe(true);
    }
  });
});

describe('float32ToFloat16', () => {
  // Every float16 value as float32, computed without the code under test.
  const exactValues = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) exactValues[h] = naiveFloat16Value(h);

  it('round-trips all 65536 float16 values', () => {
    const back = float32ToFloat16(exactValues);
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const ok = isFloat16NaN(h) ? isFloat16NaN(back[h]!) : back[h] === h;
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps NaN sign and top payload bits and makes it quiet', () => {
    const nanBits = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fffffff, 0x7fa00000];
    const out = float32ToFloat16(float32FromBits(nanBits));
    expect([...out]).toEqual([0x7e00, 0xfe00, 0x7e00, 0xfe09, 0x7fff, 0x7f00]);
    const roundTrip = float32ToFloat16(float16ToFloat32(Uint16Array.of(0x7e00, 0xfe00, 0x7e5a, 0x7c01, 0xfd55)));
    expect([...roundTrip]).toEqual([0x7e00, 0xfe00, 0x7e5a, 0x7e01, 0xff55]);
  });

  it('rounds exact midpoints to the even neighbour, and near-midpoints to the nearer one', () => {
    const below: number[] = [];
    const mids: number[] = [];
    const above: number[] = [];
    const expectEven: number[] = [];
    const expectLow: number[] = [];
    const expectHigh: number[] = [];
    const probe = new Float32Array(1);
    const probeBits = new Uint32Array(probe.buffer);
    for (const sign of [0, 0x8000]) {
      // Up to 0x7bff -> 0x7c00: the midpoint of 65504 and 65536 is 65520, which goes to Inf.
      for (let k = 0; k < 0x7c00; k++) {
        const lo = k | sign;
        const hi = (k + 1) | sign;
        // Past 65504 the next step would be 65536 (bit pattern 0x7c00 is Inf).
        const hiValue = k + 1 === 0x7c00 ? (sign ? -65536 : 65536) : naiveFloat16Value(hi);
        const mid = (naiveFloat16Value(lo) + hiValue) / 2;
        probe[0] = mid;
        expect(probe[0]).toBe(mid); // midpoints need 12 significant bits: exact in float32
        const midBits = probeBits[0]!;
        mids.push(midBits);
        expectEven.push((k & 1) === 0 ? lo : hi);
        // One float32 ulp towards each neighbour (sign-magnitude bits).
        below.push(midBits - 1);
        expectLow.push(lo);
        above.push(midBits + 1);
        expectHigh.push(hi);
      }
    }
    expect([...float32ToFloat16(float32FromBits(mids))]).toEqual(expectEven);
    expect([...float32ToFloat16(float32FromBits(below))]).toEqual(expectLow);
    expect([...float32ToFloat16(float32FromBits(above))]).toEqual(expectHigh);
  });

  it('overflows to Inf at 65520 and not below', () => {
    const largestBelow65520 = float32FromBits([0x477fefff])[0]!;
    expect(largestBelow65520).toBeLessThan(65520);
    const input = f32([65504, 65519.99, largestBelow65520, 65520, 65536, 1e10, 3.4e38, Infinity, -65519.99, -65520, -Infinity]);
    expect([...float32ToFloat16(input)]).toEqual([0x7bff, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0x7c00, 0x7c00, 0x7c00, 0xfbff, 0xfc00, 0xfc00]);
  });

  it('handles zeros and the subnormal boundaries', () => {
    const input = f32([
      0,
      -0,
      2 ** -24, // smallest subnormal
      -(2 ** -24),
      2 ** -25, // tie between 0 and 2^-24: even is 0
      -(2 ** -25),
      2 ** -25 * (1 + 2 ** -23), // just above the tie
      2 ** -26,
      3 * 2 ** -25, // tie between 1 and 2 units: even is 2
      5 * 2 ** -25, // tie between 2 and 3 units: even is 2
      1023 * 2 ** -24, // largest subnormal
      2047 * 2 ** -25, // tie between largest subnormal and smallest normal: even is 0x400
      2 ** -14, // smallest normal
      1e-45, // float32 subnormal
      -1e-45,
    ]);
    expect([...float32ToFloat16(input)]).toEqual([
      0x0000, 0x8000, 0x0001, 0x8001, 0x0000, 0x8000, 0x0001, 0x0000, 0x0002, 0x0002, 0x03ff, 0x0400, 0x0400, 0x0000, 0x8000,
    ]);
  });

  it('writes into a given destination and checks its length', () => {
    const dst = new Uint16Array(4);
    const out = float32ToFloat16(f32([1, 2, 3]), dst);
    expect(out.buffer).toBe(dst.buffer);
    expect([...out]).toEqual([0x3c00, 0x4000, 0x4200]);
    expect(() => float32ToFloat16(f32([1, 2, 3]), new Uint16Array(2))).toThrow(RangeError);
    const back = new Float32Array(3);
    expect(float16ToFloat32(out, back)).toBe(back);
    expect([...back]).toEqual([1, 2, 3]);
  });

  it('reads a Float32Array that is a view at an offset', () => {
    const whole = f32([7, 1.5, -2, 0.1]);
    expect([...float32ToFloat16(whole.subarray(1, 3))]).toEqual([0x3e00, 0xc000]);
  });
});

describe('toFloat16Bits', () => {
  it('rounds doubles directly, without double rounding through float32', () => {
    // 1 + 2^-11 is the midpoint of 1 and 1 + 2^-10; a hair above it must round up,
    // although rounding to float32 first would land exactly on the midpoint.
    const hairAbove = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(hairAbove)).toBe(1 + 2 ** -11);
    expect(toFloat16Bits(hairAbove)).toBe(0x3c01);
    expect(toFloat16Bits(1 + 2 ** -11 - 2 ** -40)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(2 ** -25 + 2 ** -60)).toBe(0x0001);
    expect(toFloat16Bits(-(2 ** -25) - 2 ** -60)).toBe(0x8001);
    expect(toFloat16Bits(2 ** -200)).toBe(0x0000);
    expect(toFloat16Bits(65519.999999)).toBe(0x7bff);
    expect(toFloat16Bits(1e300)).toBe(0x7c00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(isFloat16NaN(toFloat16Bits(NaN))).toBe(true);
  });

  it('agrees with the array conversion on float32-representable values', () => {
    for (let h = 0; h < 65536; h += 3) {
      const v = naiveFloat16Value(h);
      if (Number.isNaN(v)) continue;
      expect(toFloat16Bits(v)).toBe(h);
    }
  });
});

describe('bfloat16', () => {
  it('bfloat16ToFloat32 puts the bits in the top half', () => {
    const out = bfloat16ToFloat32(Uint16Array.of(0x3f80, 0xc000, 0x0001, 0x7f80, 0x8000, 0x7fc1));
    expect([...new Uint32Array(out.buffer)]).toEqual([0x3f800000, 0xc0000000, 0x00010000, 0x7f800000, 0x80000000, 0x7fc10000]);
  });

  it('float32ToBfloat16 rounds to nearest even and keeps NaN quiet', () => {
    const input = float32FromBits([
      0x3f808000, // tie, even is down: 0x3f80
      0x3f818000, // tie, even is up: 0x3f82
      0x3f808001, // above the tie
      0x3f807fff, // below the tie
      0x7f7fffff, // float32 max rounds to Inf
      0x7f7f7fff, // stays finite
      0xff800000, // -Inf
      0x80000000, // -0
      0x7f800001, // signalling NaN
      0xffc00000,
    ]);
    const out = float32ToBfloat16(input);
    expect([...out].slice(0, 8)).toEqual([0x3f80, 0x3f82, 0x3f81, 0x3f80, 0x7f80, 0x7f7f, 0xff80, 0x8000]);
    expect(out[8]).toBe(0x7fc0);
    expect(out[9]).toBe(0xffc0);
  });
});

describe('float32ToFloat16Clamped', () => {
  it('clamps finite overflow to ±65504 and counts it; Inf and NaN pass uncounted', () => {
    const input = f32([1, 65504, 65505, 65520, -1e6, 3.4e38, Infinity, -Infinity, NaN, 1e-6, 0]);
    const { data, clamped, flushed } = float32ToFloat16Clamped(input, {});
    expect(clamped).toBe(4);
    expect(flushed).toBe(0);
    expect([...data].slice(0, 8)).toEqual([0x3c00, 0x7bff, 0x7bff, 0x7bff, 0xfbff, 0x7bff, 0x7c00, 0xfc00]);
    expect(isFloat16NaN(data[8]!)).toBe(true);
    expect(data[9]).toBe(0x0011); // 1e-6 / 2^-24 = 16.78 -> 17 units
    expect(data[10]).toBe(0);
  });

  it('flushes float16-subnormal values to signed zero when asked', () => {
    const input = f32([
      2 ** -14, // smallest normal: kept
      2 ** -14 * (1 - 2 ** -24), // just below: flushed
      -(2 ** -15),
      2 ** -24,
      1e-30,
      1e-45, // float32 subnormal
      0,
      -0,
      -65536,
      0.5,
    ]);
    const { data, clamped, flushed } = float32ToFloat16Clamped(input, { flushSubnormals: true });
    expect(flushed).toBe(5);
    expect(clamped).toBe(1);
    expect([...data]).toEqual([0x0400, 0x0000, 0x8000, 0x0000, 0x0000, 0x0000, 0x0000, 0x8000, 0xfbff, 0x3800]);
  });

  it('otherwise matches float32ToFloat16 and reuses a destination', () => {
    const input = f32([0.1, -3.14159, 1000.5, 2 ** -20, -0]);
    const dst = new Uint16Array(5);
    const result = float32ToFloat16Clamped(input, { flushSubnormals: false }, dst);
    expect(result.data).toBe(dst);
    expect([...result.data]).toEqual([...float32ToFloat16(input)]);
    expect(result.flushed).toBe(0);
  });
});

/** A model y = Cast(x, to) (then back to float when `back`), with x a float vector. */
function castModel(to: number, back: boolean): Uint8Array {
  const vector = (elemType: number) => ({ tensor_type: { elem_type: elemType, shape: { dim: [{ dim_param: 'n' }] } } });
  const node = [{ input: ['x'], output: [back ? 't' : 'y'], op_type: 'Cast', attribute: [{ name: 'to', type: 2, i: to }] }];
  if (back) node.push({ input: ['t'], output: ['y'], op_type: 'Cast', attribute: [{ name: 'to', type: 2, i: FLOAT }] });
  return encode({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'cast',
      node,
      input: [{ name: 'x', type: vector(FLOAT) }],
      output: [{ name: 'y', type: vector(back ? FLOAT : to) }],
    },
  });
}

/** 1M uniformly random float32 bit patterns plus 1M centred on the float16 range, many near ties. */
function randomSample(): Float32Array {
  const next = random32(0x5eed);
  const n = 2_000_000;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n / 2; i++) bits[i] = next();
  for (let i = n / 2; i < n; i++) {
    const r = next();
    const exponent = 96 + (r % 52); // 2^-31 .. 2^20
    let mantissa = next() & 0x7fffff;
    if (r & 0x100) mantissa = (mantissa & ~0x1fff) | 0x1000 | (r & 0x200 ? 0 : (r >>> 12) & 1); // ties and one-off
    if (r & 0x400) mantissa = (mantissa & ~0xffff) | 0x8000; // bfloat16 ties
    bits[i] = ((r & 0x80000000) | (exponent << 23) | mantissa) >>> 0;
  }
  return new Float32Array(bits.buffer);
}

describe('against ONNX Runtime Cast', () => {
  const sample = randomSample();
  const sessions: ort.InferenceSession[] = [];
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled' };

  async function runCast(to: number, back: boolean): Promise<ort.Tensor['data']> {
    const session = await ort.InferenceSession.create(castModel(to, back), options);
    sessions.push(session);
    const result = await session.run({ x: new ort.Tensor('float32', sample, [sample.length]) });
    return result.y!.data;
  }

  afterAll(async () => {
    for (const session of sessions) await session.release();
  });

  it('float32ToFloat16 is bit-exact with Cast(to=FLOAT16) on 2M random floats', async () => {
    const expected = await runCast(FLOAT16, false);
    expect(expected).toBeInstanceOf(Uint16Array);
    const reference = expected as Uint16Array;
    const actual = float32ToFloat16(sample);
    const bits = new Uint32Array(sample.buffer);
    const mismatches: string[] = [];
    for (let i = 0; i < sample.length && mismatches.length < 10; i++) {
      const ok = isFloat16NaN(reference[i]!) ? isFloat16NaN(actual[i]!) : actual[i] === reference[i];
      if (!ok) mismatches.push(`${bits[i]!.toString(16)}: ort ${reference[i]!.toString(16)} ours ${actual[i]!.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('float32ToBfloat16 matches Cast(to=BFLOAT16) -> Cast(to=FLOAT) on 2M random floats', async () => {
    const reference = new Uint32Array(((await runCast(BFLOAT16, true)) as Float32Array).buffer);
    const actual = new Uint32Array(bfloat16ToFloat32(float32ToBfloat16(sample)).buffer);
    const ours16 = float32ToBfloat16(sample);
    const bits = new Uint32Array(sample.buffer);
    const mismatches: string[] = [];
    for (let i = 0; i < sample.length && mismatches.length < 10; i++) {
      const ortNaN = (reference[i]! & 0x7fffffff) > 0x7f800000;
      const ok = ortNaN ? isBfloat16NaN(ours16[i]!) : actual[i] === reference[i];
      if (!ok) mismatches.push(`${bits[i]!.toString(16)}: ort ${reference[i]!.toString(16)} ours ${actual[i]!.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
