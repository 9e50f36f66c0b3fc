/**
 * Protocol-buffer wire format: a bounds-checked reader over a byte array, a
 * reader of tags and lengths through a window on a larger source (a file),
 * and a streaming writer. 32-bit fast path for tags and lengths; 64-bit
 * varints come back as a number when exact, else as a bigint.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export class WireError extends Error {
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
    this.name = 'WireError';
  }
}

export type Int64 = number | bigint;

const TWO_32 = 4294967296;

export class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
  }

  /** Reads a varint known to fit in 32 bits (tags, lengths); wider ones are an error. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let result = 0;
    let shift = 0;
    while (true) {
      if (pos >= end) throw new WireError('truncated varint', this.pos);
      const byte = buf[pos++]!;
      if (shift < 28) {
        result |= (byte & 0x7f) << shift;
      } else {
        // 5th byte: only 4 bits fit into 32.
        if (shift === 28) {
          if ((byte & 0x70) !== 0) throw new WireError('varint does not fit in 32 bits', this.pos);
          result = (result >>> 0) + (byte & 0x0f) * 2 ** 28;
        } else if (byte !== 0 && (byte & 0x7f) !== 0) {
          throw new WireError('varint does not fit in 32 bits', this.pos);
        }
      }
      shift += 7;
      if ((byte & 0x80) === 0) break;
      if (shift > 63) throw new WireError('varint longer than 10 bytes', this.pos);
    }
    this.pos = pos;
    return result >>> 0;
  }

  /** Reads a varint as (lo, hi) 32-bit halves. */
  private varint64Parts(): [number, number] {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    while (true) {
      if (pos >= end) throw new WireError('truncated varint', this.pos);
      const byte = buf[pos++]!;
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else if (shift < 64) hi |= bits << (shift - 32);
      shift += 7;
      if ((byte & 0x80) === 0) break;
      if (shift >= 70) throw new WireError('varint longer than 10 bytes', this.pos);
    }
    this.pos = pos;
    return [lo >>> 0, hi >>> 0];
  }

  /** Signed 64-bit integer: a number when |v| <= 2^53, else a bigint. */
  int64(): Int64 {
    const [lo, hi] = this.varint64Parts();
    if ((hi & 0x80000000) === 0) {
      if (hi < 0x200000) return hi * TWO_32 + lo;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    // Negative: two's complement.
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    if (nhi < 0x200000) return -(nhi * TWO_32 + nlo);
    return -((BigInt(nhi) << 32n) | BigInt(nlo));
  }

  /** Unsigned 64-bit integer: a number when <= 2^53, else a bigint. */
  uint64(): Int64 {
    const [lo, hi] = this.varint64Parts();
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** int32/enum fields: the low 32 bits as a signed number (negatives are sign-extended on the wire). */
  int32(): number {
    const [lo] = this.varint64Parts();
    return lo | 0;
  }

  fixed32Bits(): number {
    if (this.pos + 4 > this.end) throw new WireError('truncated fixed32', this.pos);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  float(): number {
    scratchU32[0] = this.fixed32Bits();
    return scratchF32[0]!;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireError('truncated fixed64', this.pos);
    for (let i = 0; i < 8; i++) scratchU8[i] = this.buf[this.pos + i]!;
    this.pos += 8;
    return scratchF64[0]!;
  }

  /** A length prefix and the bounds it implies; checked against the enclosing limit. */
  lengthDelimited(): number {
    const at = this.pos;
    const len = this.uint32();
    if (len > this.end - this.pos) {
      throw new WireError(`length ${len} runs past the end of its message (${this.end - this.pos} bytes left)`, at);
    }
    return len;
  }

  bytes(): Uint8Array {
    const len = this.lengthDelimited();
    const view = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return view;
  }

  skip(wireType: number, fieldStart: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64Parts();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) throw new WireError('truncated fixed64', this.pos);
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const len = this.lengthDelimited();
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw new WireError('truncated fixed32', this.pos);
        this.pos += 4;
        return;
      case WIRE_START_GROUP: {
        // Groups are obsolete but legal; skip to the matching end-group tag.
        for (let depth = 1; depth > 0;) {
          const at = this.pos;
          const tag = this.uint32();
          const wt = tag & 7;
          if (wt === WIRE_END_GROUP) depth--;
          else if (wt === WIRE_START_GROUP) depth++;
          else this.skip(wt, at);
          if (depth > 64) throw new WireError('groups nested too deeply', at);
        }
        return;
      }
      default:
        throw new WireError(`invalid wire type ${wireType}`, fieldStart);
    }
  }
}

/** Positioned reads from a source: fills `into` from byte `position` on; returns how many bytes it read (0 at the end). */
export type ReadAt = (into: Uint8Array, position: number) => number;

/**
 * Tags and lengths of a source too large to read whole (a model file): a
 * WireReader over a window of the source, refilled by positioned reads, with
 * positions in the source's terms. Only headers go through the window; the
 * caller skips payloads by moving `pos`, which costs no read. Errors are
 * WireErrors with offsets in the source.
 */
export class WindowWireReader {
  /** Position in the source of the next byte to read. */
  pos: number;
  private readonly window: Uint8Array;
  /** Reads the window; its `end` is how many bytes the window holds. */
  private readonly reader: WireReader;
  private windowStart = 0;

  constructor(
    private readonly readAt: ReadAt,
    /** Bytes in the source. */
    readonly size: number,
    start = 0,
    windowSize = 64 * 1024,
  ) {
    this.pos = start;
    this.window = new Uint8Array(windowSize);
    this.reader = new WireReader(this.window, 0, 0);
  }

  /** A varint known to fit in 32 bits (tags, lengths), as WireReader.uint32. */
  uint32(): number {
    this.load();
    try {
      return this.reader.uint32();
    } catch (e) {
      throw this.relocated(e);
    } finally {
      this.pos = this.windowStart + this.reader.pos;
    }
  }

  /** Steps over a varint of up to 64 bits. */
  skipVarint(): void {
    this.load();
    try {
      this.reader.skip(WIRE_VARINT, this.reader.pos);
    } catch (e) {
      throw this.relocated(e);
    } finally {
      this.pos = this.windowStart + this.reader.pos;
    }
  }

  /** Points the window reader at `pos`, refilling the window from there unless it holds the next 10 bytes (a varint's most). */
  private load(): void {
    const offset = this.pos - this.windowStart;
    const need = Math.min(10, this.size - this.pos);
    if (offset < 0 || offset + need > this.reader.end) {
      const want = Math.max(0, Math.min(this.window.length, this.size - this.pos));
      let n = 0;
      while (n < want) {
        const got = this.readAt(this.window.subarray(n, want), this.pos + n);
        if (got <= 0) break;
        n += got;
      }
      this.windowStart = this.pos;
      this.reader.end = n;
    }
    this.reader.pos = this.pos - this.windowStart;
  }

  private relocated(e: unknown): unknown {
    return e instanceof WireError ? new WireError(e.reason, this.windowStart + e.offset) : e;
  }
}

const scratch = new ArrayBuffer(8);
const scratchU8 = new Uint8Array(scratch);
const scratchU32 = new Uint32Array(scratch);
const scratchF32 = new Float32Array(scratch);
const scratchF64 = new Float64Array(scratch);

export function float32Bits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0]!;
}

/** Bytes a varint of this unsigned 32-bit value takes. */
export function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Bytes a 64-bit varint takes; negative values use ten bytes. */
export function varint64Size(value: Int64): number {
  if (typeof value === 'number') {
    if (value < 0) return 10;
    if (value < 0x10000000) return varint32Size(value);
    let size = 4;
    let v = Math.floor(value / 0x10000000);
    while (v > 0) {
      size++;
      v = Math.floor(v / 128);
    }
    return size;
  }
  if (value < 0n) return 10;
  let size = 1;
  let v = value >> 7n;
  while (v > 0n) {
    size++;
    v >>= 7n;
  }
  return size;
}

/** Where the writer's bytes go: a file descriptor, or chunks kept in memory. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
}

/**
 * Buffers small writes in a fixed scratch buffer and passes large payloads
 * through untouched, so that tensor bytes are never copied into a second
 * whole-model buffer.
 */
export class WireWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(
    private readonly sink: ByteSink,
    bufferSize = 1 << 20,
    private readonly passThroughAbove = 1 << 15,
  ) {
    this.buf = new Uint8Array(bufferSize);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    if (this.pos > 0) {
      this.sink.write(this.buf.slice(0, this.pos));
      this.pos = 0;
    }
  }

  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  tag(field: number, wireType: number): void {
    this.uint32(field * 8 + wireType);
  }

  int64(value: Int64): void {
    this.ensure(10);
    let lo: number;
    let hi: number;
    if (typeof value === 'number') {
      if (value >= 0 && value < TWO_32) {
        this.uint32(value);
        return;
      }
      const big = BigInt(value);
      lo = Number(big & 0xffffffffn);
      hi = Number((big >> 32n) & 0xffffffffn);
    } else {
      lo = Number(value & 0xffffffffn);
      hi = Number((value >> 32n) & 0xffffffffn);
    }
    const buf = this.buf;
    // 64-bit varint from two halves.
    while (hi !== 0 || lo >= 0x80) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  /** int32 and enum fields: negative values are sign-extended to ten bytes. */
  int32(value: number): void {
    if (value >= 0) this.uint32(value);
    else this.int64(value);
  }

  fixed32Bits(bits: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = bits & 0xff;
    b[this.pos++] = (bits >>> 8) & 0xff;
    b[this.pos++] = (bits >>> 16) & 0xff;
    b[this.pos++] = (bits >>> 24) & 0xff;
  }

  float(value: number): void {
    scratchF32[0] = value;
    this.fixed32Bits(scratchU32[0]!);
  }

  double(value: number): void {
    this.ensure(8);
    scratchF64[0] = value;
    for (let i = 0; i < 8; i++) this.buf[this.pos++] = scratchU8[i]!;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length >= this.passThroughAbove) {
      this.flush();
      this.sink.write(bytes);
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Collects written chunks in memory (tests, small messages). */
export class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
