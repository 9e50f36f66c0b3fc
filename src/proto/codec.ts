/**
 * Table-driven, lossless codec for the ONNX messages in schema.ts.
 *
 * Decoded messages are plain objects keyed by proto field name; a key is
 * present exactly when the field was on the wire (proto2 presence). What the
 * object model cannot say by itself is kept beside it so that encoding an
 * unmodified message gives back the same bytes:
 *  - `$unknown`: fields the schema does not know (and values that would not
 *    survive a decode/encode, such as invalid UTF-8 or NaN payloads), as raw
 *    bytes including their tag;
 *  - `$order`: the wire order as (field, count, encoding) runs, only when it
 *    differs from the canonical order (ascending field numbers, each repeated
 *    field in one run in its default encoding, unknown fields last).
 */
import { Buffer } from 'node:buffer';
import type { MessageName, ModelProto, ProtoMessages } from './messages.js';
import type { FieldDef, MessageDef } from './schema.js';
import { messageDef } from './schema.js';
import {
  type ByteSink,
  type Int64,
  MemorySink,
  varint32Size,
  varint64Size,
  WIRE_END_GROUP,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  WireError,
  WireReader,
  WireWriter,
} from './wire.js';

export interface UnknownField {
  readonly no: number;
  /** The whole field as it was on the wire, tag included. */
  readonly bytes: Uint8Array;
}

/**
 * A decoded message of any type: field values are `unknown` here. messages.ts types each ONNX message's fields
 * (what `decode` returns for a message name); a message built to be encoded may be either.
 */
export type ProtoMessage = { [field: string]: unknown; $unknown?: UnknownField[]; $order?: number[] };

const RUN_PLAIN = 0;
const RUN_PACKED = 1;
const RUN_UNKNOWN = 2;

const MAX_DEPTH = 200;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function wireTypeOf(field: FieldDef): number {
  switch (field.kind) {
    case 'int32':
    case 'int64':
    case 'uint64':
      return WIRE_VARINT;
    case 'float':
      return WIRE_FIXED32;
    case 'double':
      return WIRE_FIXED64;
    default:
      return WIRE_LEN;
  }
}

function isNumericRepeated(field: FieldDef): boolean {
  return field.repeated === true && field.kind !== 'string' && field.kind !== 'bytes' && field.kind !== 'message';
}

function decodeString(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n < 48) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return n === 0 ? '' : String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Growable scratch for one repeated numeric field while a message is decoded. */
interface NumericAccumulator {
  values: number[] | Int64[];
  /** A single packed chunk, kept as a zero-copy view when nothing else joins it. */
  view?: Float32Array | Float64Array;
}

function packedView(reader: WireReader, field: FieldDef, len: number): Float32Array | Float64Array {
  const width = field.kind === 'float' ? 4 : 8;
  if (len % width !== 0) throw new WireError(`packed ${field.name} length ${len} is not a multiple of ${width}`, reader.pos);
  const start = reader.buf.byteOffset + reader.pos;
  const Ctor = field.kind === 'float' ? Float32Array : Float64Array;
  let view: Float32Array | Float64Array;
  if (start % width === 0) view = new Ctor(reader.buf.buffer as ArrayBuffer, start, len / width);
  else {
    const copy = new Uint8Array(len);
    copy.set(reader.buf.subarray(reader.pos, reader.pos + len));
    view = new Ctor(copy.buffer);
  }
  reader.pos += len;
  return view;
}

/** A second chunk joins the first: move the zero-copy view into the value list (floats as bits). */
function spillView(acc: NumericAccumulator, field: FieldDef): void {
  const view = acc.view;
  if (!view) return;
  const items = field.kind === 'float' ? new Uint32Array(view.buffer, view.byteOffset, view.length) : view;
  for (let i = 0; i < items.length; i++) (acc.values as number[]).push(items[i]!);
  acc.view = undefined;
}

function readNumeric(reader: WireReader, field: FieldDef): number | Int64 {
  switch (field.kind) {
    case 'int32':
      return reader.int32();
    case 'int64':
      return reader.int64();
    case 'uint64':
      return reader.uint64();
    case 'float':
      return reader.fixed32Bits();
    default:
      return reader.double();
  }
}

function finishNumeric(field: FieldDef, acc: NumericAccumulator): unknown {
  if (acc.view && acc.values.length === 0) return acc.view;
  const values = acc.values as number[];
  switch (field.kind) {
    case 'float': {
      // Values were collected as bit patterns so NaN payloads survive.
      const bits = new Uint32Array(values.length);
      for (let i = 0; i < values.length; i++) bits[i] = values[i]!;
      return new Float32Array(bits.buffer);
    }
    case 'double':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    default:
      return values;
  }
}

/** Decodes a message (a ModelProto unless another message name is given). */
export function decode(bytes: Uint8Array): ModelProto;
export function decode<K extends MessageName>(bytes: Uint8Array, type: K): ProtoMessages[K];
export function decode(bytes: Uint8Array, type: MessageName = 'ModelProto'): ProtoMessage {
  return decodeMessage(new WireReader(bytes), messageDef(type), 0);
}

function decodeMessage(reader: WireReader, def: MessageDef, depth: number): ProtoMessage {
  if (depth > MAX_DEPTH) throw new WireError(`messages nested deeper than ${MAX_DEPTH}`, reader.pos);
  const msg: ProtoMessage = {};
  const runs: number[] = [];
  let numeric: Map<FieldDef, NumericAccumulator> | undefined;
  const buf = reader.buf;

  const addRun = (no: number, count: number, kind: number, mergeable: boolean): void => {
    const n = runs.length;
    if (mergeable && n > 0 && runs[n - 3] === no && runs[n - 1] === kind) runs[n - 2]! += count;
    else runs.push(no, count, kind);
  };
  const keepUnknown = (no: number, start: number): void => {
    (msg.$unknown ??= []).push({ no, bytes: buf.subarray(start, reader.pos) });
    addRun(no, 1, RUN_UNKNOWN, false);
  };

  while (reader.pos < reader.end) {
    const start = reader.pos;
    const tag = reader.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 0) throw new WireError('field number 0', start);
    const field = def.byNumber.get(no);
    const expected = field ? wireTypeOf(field) : -1;

    if (!field) {
      reader.skip(wt, start);
      keepUnknown(no, start);
      continue;
    }
    if (wt !== expected && !(wt === WIRE_LEN && isNumericRepeated(field))) {
      // A known field in another encoding means a corrupt file (or another schema), not an extension: say so.
      if (wt === WIRE_END_GROUP || wt > WIRE_FIXED32) reader.skip(wt, start); // throws: no field has this wire type
      throw new WireError(`${def.name}.${field.name} (field ${no}) has wire type ${wt}, expected ${expected}`, start);
    }

    if (isNumericRepeated(field)) {
      numeric ??= new Map();
      let acc = numeric.get(field);
      if (!acc) {
        acc = { values: [] };
        numeric.set(field, acc);
        msg[field.name] = acc;
      }
      if (wt === WIRE_LEN) {
        const len = reader.lengthDelimited();
        if ((field.kind === 'float' || field.kind === 'double') && acc.values.length === 0 && !acc.view) {
          acc.view = packedView(reader, field, len);
          addRun(no, acc.view.length, RUN_PACKED, false);
        } else {
          const saveEnd = reader.end;
          reader.end = reader.pos + len;
          let count = 0;
          spillView(acc, field);
          while (reader.pos < reader.end) {
            (acc.values as Int64[]).push(readNumeric(reader, field));
            count++;
          }
          reader.end = saveEnd;
          addRun(no, count, RUN_PACKED, false);
        }
      } else {
        spillView(acc, field);
        (acc.values as Int64[]).push(readNumeric(reader, field));
        addRun(no, 1, RUN_PLAIN, true);
      }
      continue;
    }

    let value: unknown;
    switch (field.kind) {
      case 'message': {
        const len = reader.lengthDelimited();
        const saveEnd = reader.end;
        reader.end = reader.pos + len;
        value = decodeMessage(reader, messageDef(field.message!), depth + 1);
        reader.end = saveEnd;
        break;
      }
      case 'string': {
        const s = decodeString(reader.bytes());
        if (s === undefined) {
          keepUnknown(no, start);
          continue;
        }
        value = s;
        break;
      }
      case 'bytes':
        value = reader.bytes();
        break;
      case 'int32':
        value = reader.int32();
        break;
      case 'int64':
        value = reader.int64();
        break;
      case 'uint64':
        value = reader.uint64();
        break;
      case 'float': {
        const bits = reader.fixed32Bits();
        const f = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
        if (Number.isNaN(f)) {
          keepUnknown(no, start);
          continue;
        }
        value = f;
        break;
      }
      case 'double': {
        const d = reader.double();
        if (Number.isNaN(d)) {
          keepUnknown(no, start);
          continue;
        }
        value = d;
        break;
      }
    }
    if (field.repeated) {
      ((msg[field.name] ??= []) as unknown[]).push(value);
      addRun(no, 1, RUN_PLAIN, true);
    } else {
      msg[field.name] = value;
      addRun(no, 1, RUN_PLAIN, false);
    }
  }

  if (numeric) for (const [field, acc] of numeric) msg[field.name] = finishNumeric(field, acc);
  if (!sameRuns(runs, canonicalRuns(msg, def))) msg.$order = runs;
  return msg;
}

function canonicalRuns(msg: ProtoMessage, def: MessageDef): number[] {
  const runs: number[] = [];
  for (const field of def.fields) {
    const value = msg[field.name];
    if (value === undefined) continue;
    if (field.repeated) {
      const n = (value as ArrayLike<unknown>).length;
      if (n === 0) continue;
      runs.push(field.no, n, field.packed ? RUN_PACKED : RUN_PLAIN);
    } else runs.push(field.no, 1, RUN_PLAIN);
  }
  if (msg.$unknown) for (const u of msg.$unknown) runs.push(u.no, 1, RUN_UNKNOWN);
  return runs;
}

function sameRuns(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Encoding: one walk over the message drives both the size pass and the write.

interface Emitter {
  tag(no: number, wireType: number): void;
  uint32(v: number): void;
  int32(v: number): void;
  int64(v: Int64): void;
  fixed32Bits(bits: number): void;
  float(v: number): void;
  double(v: number): void;
  raw(bytes: Uint8Array): void;
  string(s: string): void;
  message(msg: ProtoMessage, def: MessageDef): void;
}

class Sizes {
  readonly memo = new Map<ProtoMessage, number>();
  of(msg: ProtoMessage, def: MessageDef): number {
    let size = this.memo.get(msg);
    if (size === undefined) {
      const counter = new SizeCounter(this);
      emitFields(msg, def, counter);
      size = counter.size;
      this.memo.set(msg, size);
    }
    return size;
  }
}

class SizeCounter implements Emitter {
  size = 0;
  constructor(private readonly sizes: Sizes) {}
  tag(no: number, wireType: number): void {
    this.size += varint32Size(no * 8 + wireType);
  }
  uint32(v: number): void {
    this.size += varint32Size(v);
  }
  int32(v: number): void {
    this.size += v < 0 ? 10 : varint32Size(v);
  }
  int64(v: Int64): void {
    this.size += varint64Size(v);
  }
  fixed32Bits(): void {
    this.size += 4;
  }
  float(): void {
    this.size += 4;
  }
  double(): void {
    this.size += 8;
  }
  raw(bytes: Uint8Array): void {
    this.size += bytes.length;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.size += varint32Size(n) + n;
  }
  message(msg: ProtoMessage, def: MessageDef): void {
    const n = this.sizes.of(msg, def);
    this.size += varint32Size(n) + n;
  }
}

class WritingEmitter implements Emitter {
  constructor(
    private readonly w: WireWriter,
    private readonly sizes: Sizes,
  ) {}
  tag(no: number, wireType: number): void {
    this.w.tag(no, wireType);
  }
  uint32(v: number): void {
    this.w.uint32(v);
  }
  int32(v: number): void {
    this.w.int32(v);
  }
  int64(v: Int64): void {
    this.w.int64(v);
  }
  fixed32Bits(bits: number): void {
    this.w.fixed32Bits(bits);
  }
  float(v: number): void {
    this.w.float(v);
  }
  double(v: number): void {
    this.w.double(v);
  }
  raw(bytes: Uint8Array): void {
    this.w.raw(bytes);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.w.uint32(bytes.length);
    this.w.raw(bytes);
  }
  message(msg: ProtoMessage, def: MessageDef): void {
    this.w.uint32(this.sizes.of(msg, def));
    emitFields(msg, def, this);
  }
}

function emitScalar(field: FieldDef, value: unknown, e: Emitter): void {
  switch (field.kind) {
    case 'int32':
      e.int32(value as number);
      return;
    case 'int64':
    case 'uint64':
      e.int64(value as Int64);
      return;
    case 'float':
      e.float(value as number);
      return;
    case 'double':
      e.double(value as number);
      return;
    case 'string':
      e.string(value as string);
      return;
    case 'bytes':
      e.uint32((value as Uint8Array).length);
      e.raw(value as Uint8Array);
      return;
    case 'message':
      e.message(value as ProtoMessage, messageDef(field.message!));
      return;
  }
}

function bytesOf(array: Float32Array | Float64Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Emits elements [from, to) of a repeated field, packed or one by one. */
function emitRepeated(field: FieldDef, values: ArrayLike<unknown>, from: number, to: number, packed: boolean, e: Emitter): void {
  if (packed && isNumericRepeated(field)) {
    e.tag(field.no, WIRE_LEN);
    if (field.kind === 'float' || field.kind === 'double') {
      const typed = values as Float32Array | Float64Array;
      const chunk = bytesOf(typed.subarray(from, to));
      e.uint32(chunk.length);
      e.raw(chunk);
      return;
    }
    const counter = new SizeCounter(new Sizes());
    for (let i = from; i < to; i++) emitScalar(field, values[i], counter);
    e.uint32(counter.size);
    for (let i = from; i < to; i++) emitScalar(field, values[i], e);
    return;
  }
  const wt = wireTypeOf(field);
  if (field.kind === 'float') {
    const typed = values as Float32Array;
    const bits = new Uint32Array(typed.buffer, typed.byteOffset, typed.length);
    for (let i = from; i < to; i++) {
      e.tag(field.no, wt);
      e.fixed32Bits(bits[i]!);
    }
    return;
  }
  for (let i = from; i < to; i++) {
    e.tag(field.no, wt);
    emitScalar(field, values[i], e);
  }
}

function emitFields(msg: ProtoMessage, def: MessageDef, e: Emitter): void {
  const order = msg.$order;
  const unknown = msg.$unknown;
  if (!order) {
    for (const field of def.fields) {
      const value = msg[field.name];
      if (value === undefined) continue;
      if (field.repeated) {
        const values = value as ArrayLike<unknown>;
        const n = values.length;
        if (n > 0) emitRepeated(field, values, 0, n, field.packed === true, e);
      } else {
        e.tag(field.no, wireTypeOf(field));
        emitScalar(field, value, e);
      }
    }
    if (unknown) for (const u of unknown) e.raw(u.bytes);
    return;
  }

  // Replay the recorded wire order; whatever the runs do not cover (the message
  // was changed after decoding) follows in canonical order.
  const cursor = new Map<FieldDef, number>();
  let unknownAt = 0;
  for (let i = 0; i < order.length; i += 3) {
    const no = order[i]!;
    const count = order[i + 1]!;
    const kind = order[i + 2]!;
    if (kind === RUN_UNKNOWN) {
      const u = unknown?.[unknownAt];
      if (u) {
        e.raw(u.bytes);
        unknownAt++;
      }
      continue;
    }
    const field = def.byNumber.get(no);
    if (!field) continue;
    const value = msg[field.name];
    if (value === undefined) continue;
    const done = cursor.get(field) ?? 0;
    if (field.repeated) {
      const values = value as ArrayLike<unknown>;
      const n = values.length;
      const to = Math.min(n, done + count);
      if (to > done || (kind === RUN_PACKED && count === 0 && done === n)) {
        emitRepeated(field, values, done, to, kind === RUN_PACKED, e);
      }
      cursor.set(field, to);
    } else if (done === 0) {
      e.tag(field.no, wireTypeOf(field));
      emitScalar(field, value, e);
      cursor.set(field, 1);
    }
  }
  for (const field of def.fields) {
    const value = msg[field.name];
    if (value === undefined) continue;
    const done = cursor.get(field);
    if (field.repeated) {
      const values = value as ArrayLike<unknown>;
      const n = values.length;
      const from = done ?? 0;
      if (n > from) emitRepeated(field, values, from, n, field.packed === true, e);
    } else if (done === undefined) {
      e.tag(field.no, wireTypeOf(field));
      emitScalar(field, value, e);
    }
  }
  if (unknown) for (let i = unknownAt; i < unknown.length; i++) e.raw(unknown[i]!.bytes);
}

/** Bytes the encoded message will take. */
export function encodedSize(msg: ProtoMessage, type = 'ModelProto'): number {
  return new Sizes().of(msg, messageDef(type));
}

/** Streams the encoded message into a sink, passing large payloads through uncopied. */
export function encodeTo(msg: ProtoMessage, sink: ByteSink, type = 'ModelProto'): number {
  const def = messageDef(type);
  const sizes = new Sizes();
  const total = sizes.of(msg, def);
  const writer = new WireWriter(sink);
  emitFields(msg, def, new WritingEmitter(writer, sizes));
  writer.flush();
  return total;
}

export function encode(msg: ProtoMessage, type = 'ModelProto'): Uint8Array {
  const sink = new MemorySink();
  encodeTo(msg, sink, type);
  return sink.concat();
}
