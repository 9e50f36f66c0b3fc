/**
 * Test helpers: where things are in an encoded ONNX model. A small protobuf
 * walker of its own (independent of src/proto/wire.ts) that records the byte
 * positions of tags, length prefixes and int64 values, so that tests can cut
 * or corrupt a model at a chosen spot and know which offset the error must name.
 */
import { messageDef } from '../../src/proto/schema.js';

export interface FieldSpot {
  /** Message type and field name, e.g. `TensorProto.raw_data`. */
  path: string;
  /** Nesting depth: 0 for the top-level message's fields. */
  depth: number;
  /** Offset of the tag's first byte. */
  tagAt: number;
  wireType: number;
  /** Offset of the value (for length-delimited fields: of the length prefix). */
  valueAt: number;
  /** Bytes the value's varint takes (varint and length-delimited fields). */
  varintSize: number;
  /** Length-delimited fields: where the payload starts and ends. */
  payloadAt?: number;
  payloadEnd?: number;
  /** Whether the schema says the payload is a message (the walker went inside it). */
  isMessage: boolean;
  /** The schema's kind for this field (scalar kind or the message name); undefined for unknown fields. */
  type?: string;
  /** Bytes the whole field takes, tag included. */
  end: number;
}

export function readVarint(buf: Uint8Array, at: number): { value: bigint; size: number } {
  let value = 0n;
  let shift = 0n;
  let pos = at;
  for (;;) {
    if (pos >= buf.length) throw new Error(`varint at ${at} runs past the end`);
    const byte = buf[pos++]!;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) break;
    if (pos - at > 10) throw new Error(`varint at ${at} is too long`);
  }
  return { value, size: pos - at };
}

export function encodeVarint(value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Every field of a well-formed encoded message, outer fields before the fields inside them. */
export function wireLayout(buf: Uint8Array, type = 'ModelProto'): FieldSpot[] {
  const spots: FieldSpot[] = [];
  const walk = (start: number, end: number, typeName: string, depth: number): void => {
    const def = messageDef(typeName);
    let pos = start;
    while (pos < end) {
      const tagAt = pos;
      const tag = readVarint(buf, pos);
      pos += tag.size;
      const no = Number(tag.value >> 3n);
      const wireType = Number(tag.value & 7n);
      const field = def.byNumber.get(no);
      const path = `${typeName}.${field?.name ?? no}`;
      const type = field ? (field.kind === 'message' ? field.message : field.kind) : undefined;
      const valueAt = pos;
      switch (wireType) {
        case 0: {
          const v = readVarint(buf, pos);
          pos += v.size;
          spots.push({ path, depth, tagAt, wireType, valueAt, varintSize: v.size, isMessage: false, type, end: pos });
          break;
        }
        case 1:
          pos += 8;
          spots.push({ path, depth, tagAt, wireType, valueAt, varintSize: 0, isMessage: false, type, end: pos });
          break;
        case 5:
          pos += 4;
          spots.push({ path, depth, tagAt, wireType, valueAt, varintSize: 0, isMessage: false, type, end: pos });
          break;
        case 2: {
          const len = readVarint(buf, pos);
          const payloadAt = pos + len.size;
          const payloadEnd = payloadAt + Number(len.value);
          const isMessage = field?.kind === 'message';
          spots.push({ path, depth, tagAt, wireType, valueAt, varintSize: len.size, payloadAt, payloadEnd, isMessage, type, end: payloadEnd });
          if (isMessage) walk(payloadAt, payloadEnd, field.message!, depth + 1);
          pos = payloadEnd;
          break;
        }
        default:
          throw new Error(`wire type ${wireType} at ${tagAt}: not a well-formed message`);
      }
    }
  };
  walk(0, buf.length, type, 0);
  return spots;
}

/** The message fields a field sits in (outermost first): their length prefixes change when it changes size. */
export function ancestorsOf(spots: FieldSpot[], field: FieldSpot): FieldSpot[] {
  return spots
    .filter((s) => s.isMessage && s.depth < field.depth && s.payloadAt! <= field.tagAt && field.tagAt < s.payloadEnd!)
    .sort((a, b) => a.depth - b.depth);
}

/**
 * Replaces bytes [at, at + remove) with `insert` and rewrites the length
 * prefixes of `containers` (the messages the edit lies in, each of whose
 * prefixes comes before `at`) so that the result is still well-formed.
 */
export function spliceWellFormed(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array, containers: FieldSpot[]): Uint8Array {
  let out = splice(bytes, at, remove, insert);
  let delta = insert.length - remove;
  // Innermost first: each rewrite lies after the prefixes still to be rewritten, so their offsets hold.
  for (const c of [...containers].sort((a, b) => b.depth - a.depth)) {
    const old = readVarint(out, c.valueAt);
    const length = encodeVarint(old.value + BigInt(delta));
    out = splice(out, c.valueAt, old.size, length);
    delta += length.length - old.size;
  }
  return out;
}

export function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
