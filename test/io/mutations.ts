/**
 * Deterministic mutations of encoded models for the fuzz test.
 *
 * Two families: byte-level damage (bit flips, bytes set to 0x00/0xff/0x80,
 * truncation, chunks duplicated, deleted or overwritten, length prefixes and
 * wire types changed) and structure-aware edits that keep the protobuf
 * well-formed (a varint such as dims or data_type set to an extreme value, a
 * field deleted, duplicated, inserted or given another message's contents,
 * with every enclosing length rewritten) so that they reach the IR,
 * `inspect` and the writer instead of stopping in the wire decoder.
 * Positions are biased towards structure because most bytes of a real model
 * are tensor payload.
 */
import { mulberry32 } from '../../src/validate/synthesize.js';
import { messageDef } from '../../src/proto/schema.js';
import { ancestorsOf, concatBytes, encodeVarint, type FieldSpot, readVarint, splice, spliceWellFormed, wireLayout } from './wire-layout.js';

/** The project's seeded generator (mulberry32), uniform in [0, 1). */
export const seededRandom = mulberry32;

export interface Mutation {
  kind: string;
  detail: string;
  bytes: Uint8Array;
}

export interface MutationTarget {
  bytes: Uint8Array;
  spots: FieldSpot[];
  /** Offsets of structural bytes: every tag byte and every varint byte. */
  structural: Int32Array;
  varints: FieldSpot[];
  lengths: FieldSpot[];
  /** int64 values that size or type tensors: dims, dim_value, data_type, elem_type. */
  sizes: FieldSpot[];
  messages: FieldSpot[];
  strings: FieldSpot[];
  /** Message fields by message type, as donors of contents. */
  byType: Map<string, FieldSpot[]>;
}

const SIZE_FIELDS = new Set(['TensorProto.dims', 'Dimension.dim_value', 'TensorProto.data_type', 'Tensor.elem_type', 'AttributeProto.type']);

export function mutationTarget(bytes: Uint8Array): MutationTarget {
  const spots = wireLayout(bytes);
  const structural: number[] = [];
  for (const s of spots) {
    for (let i = s.tagAt; i < s.valueAt + s.varintSize; i++) structural.push(i);
  }
  const varints = spots.filter((s) => s.wireType === 0);
  const messages = spots.filter((s) => s.isMessage);
  const byType = new Map<string, FieldSpot[]>();
  for (const m of messages) {
    const list = byType.get(m.type!) ?? [];
    list.push(m);
    byType.set(m.type!, list);
  }
  return {
    bytes,
    spots,
    structural: Int32Array.from(structural),
    varints,
    lengths: spots.filter((s) => s.wireType === 2),
    sizes: varints.filter((s) => SIZE_FIELDS.has(s.path.split('.').slice(-2).join('.'))),
    messages,
    strings: spots.filter((s) => s.type === 'string' || s.type === 'bytes'),
    byType,
  };
}

type Mutator = (t: MutationTarget, rnd: () => number) => Mutation;

const pick = <T>(items: ArrayLike<T>, rnd: () => number): T => items[Math.floor(rnd() * items.length)]!;
const int = (n: number, rnd: () => number): number => Math.floor(rnd() * n);

function position(t: MutationTarget, rnd: () => number): number {
  return rnd() < 0.7 && t.structural.length > 0 ? pick(t.structural, rnd) : int(t.bytes.length, rnd);
}

const INTERESTING_VARINTS = [
  0n,
  1n,
  2n,
  -1n,
  -2n,
  7n,
  8n,
  16n,
  27n,
  1000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  1n << 32n,
  (1n << 53n) + 1n,
  1n << 60n,
  (1n << 63n) - 1n,
  -(1n << 63n),
];

const INTERESTING_STRINGS = [
  '',
  'x',
  'a\nb',
  '..',
  '../../etc/passwd',
  '/etc/passwd',
  'C:\\x',
  'location',
  'offset',
  '-1',
  '\u0000',
  'ünïcødé',
  'a'.repeat(300),
];

/** A field of `type` with a made-up value, or the contents of another message of its type from the same file. */
function synthesizeField(t: MutationTarget, type: string, rnd: () => number): { bytes: Uint8Array; what: string } {
  const field = pick(messageDef(type).fields, rnd);
  const tag = (wireType: number): Uint8Array => encodeVarint(field.no * 8 + wireType);
  const lengthDelimited = (payload: Uint8Array): Uint8Array => concatBytes(tag(2), encodeVarint(payload.length), payload);
  switch (field.kind) {
    case 'message': {
      const donors = (t.byType.get(field.message!) ?? []).filter((d) => d.payloadEnd! - d.payloadAt! <= 1 << 16);
      const donor = donors.length > 0 && rnd() < 0.8 ? pick(donors, rnd) : undefined;
      const payload = donor ? t.bytes.subarray(donor.payloadAt, donor.payloadEnd) : new Uint8Array(0);
      return { bytes: lengthDelimited(payload), what: `${type}.${field.name} = ${donor ? `copy of ${donor.path} at ${donor.tagAt}` : 'empty'}` };
    }
    case 'string':
    case 'bytes': {
      const s = pick(INTERESTING_STRINGS, rnd);
      return { bytes: lengthDelimited(new TextEncoder().encode(s)), what: `${type}.${field.name} = ${JSON.stringify(s.slice(0, 20))}` };
    }
    case 'float':
    case 'double': {
      const payload = new Uint8Array(field.kind === 'float' ? 4 : 8);
      for (let i = 0; i < payload.length; i++) payload[i] = int(256, rnd);
      return { bytes: concatBytes(tag(field.kind === 'float' ? 5 : 1), payload), what: `${type}.${field.name} = random bits` };
    }
    default: {
      const v = pick(INTERESTING_VARINTS, rnd);
      return { bytes: concatBytes(tag(0), encodeVarint(v)), what: `${type}.${field.name} = ${v}` };
    }
  }
}

const byteLevel: [string, number, Mutator][] = [
  [
    'bit-flip',
    3,
    (t, rnd) => {
      const at = position(t, rnd);
      const bit = int(8, rnd);
      const bytes = t.bytes.slice();
      bytes[at]! ^= 1 << bit;
      return { kind: 'bit-flip', detail: `byte ${at} bit ${bit}`, bytes };
    },
  ],
  [
    'set-byte',
    3,
    (t, rnd) => {
      const at = position(t, rnd);
      const value = pick([0x00, 0xff, 0x80, 0x7f], rnd);
      const bytes = t.bytes.slice();
      bytes[at] = value;
      return { kind: 'set-byte', detail: `byte ${at} = 0x${value.toString(16)}`, bytes };
    },
  ],
  [
    'truncate',
    2,
    (t, rnd) => {
      const at = rnd() < 0.5 ? position(t, rnd) : int(t.bytes.length, rnd);
      return { kind: 'truncate', detail: `to ${at} bytes`, bytes: t.bytes.subarray(0, at) };
    },
  ],
  [
    'duplicate-chunk',
    1,
    (t, rnd) => {
      const from = position(t, rnd);
      const chunk = t.bytes.slice(from, Math.min(from + 1 + int(rnd() < 0.5 ? 8 : 512, rnd), t.bytes.length));
      const at = position(t, rnd);
      return { kind: 'duplicate-chunk', detail: `${chunk.length} bytes from ${from} inserted at ${at}`, bytes: splice(t.bytes, at, 0, chunk) };
    },
  ],
  [
    'delete-chunk',
    1,
    (t, rnd) => {
      const at = position(t, rnd);
      const n = Math.min(1 + int(rnd() < 0.5 ? 4 : 256, rnd), t.bytes.length - at);
      return { kind: 'delete-chunk', detail: `${n} bytes at ${at}`, bytes: splice(t.bytes, at, n, new Uint8Array(0)) };
    },
  ],
  [
    'random-chunk',
    1,
    (t, rnd) => {
      const at = position(t, rnd);
      const chunk = new Uint8Array(1 + int(32, rnd));
      for (let i = 0; i < chunk.length; i++) chunk[i] = int(256, rnd);
      const bytes = t.bytes.slice();
      bytes.set(chunk.subarray(0, Math.max(0, bytes.length - at)), at);
      return { kind: 'random-chunk', detail: `${chunk.length} random bytes at ${at}`, bytes };
    },
  ],
  [
    'length-bump',
    2,
    (t, rnd) => {
      const field = pick(t.lengths, rnd);
      const old = readVarint(t.bytes, field.valueAt).value;
      let value = pick([old + 1n, old - 1n, old + 2n, old * 2n, old + 1000n, 0n, 0xffffffffn, 0x7fffffffn, 1n << 35n, (1n << 64n) - 1n], rnd);
      if (value < 0n) value = 0n;
      const bytes = splice(t.bytes, field.valueAt, field.varintSize, encodeVarint(value));
      return { kind: 'length-bump', detail: `${field.path} length at ${field.valueAt}: ${old} -> ${value}`, bytes };
    },
  ],
  [
    'wire-type',
    1,
    (t, rnd) => {
      const field = pick(t.spots, rnd);
      const wireType = (field.wireType + 1 + int(7, rnd)) & 7;
      const tag = readVarint(t.bytes, field.tagAt);
      const bytes = spliceWellFormed(t.bytes, field.tagAt, tag.size, encodeVarint((tag.value & ~7n) | BigInt(wireType)), ancestorsOf(t.spots, field));
      return { kind: 'wire-type', detail: `${field.path} tag at ${field.tagAt}: wire type ${field.wireType} -> ${wireType}`, bytes };
    },
  ],
];

const wellFormed: [string, number, Mutator][] = [
  [
    'set-varint',
    4,
    (t, rnd) => {
      const field = pick(t.sizes.length > 0 && rnd() < 0.6 ? t.sizes : t.varints, rnd);
      const value = rnd() < 0.3 ? BigInt(int(32, rnd)) : pick(INTERESTING_VARINTS, rnd);
      const bytes = spliceWellFormed(t.bytes, field.valueAt, field.varintSize, encodeVarint(value), ancestorsOf(t.spots, field));
      return { kind: 'set-varint', detail: `${field.path} at ${field.valueAt} = ${value}`, bytes };
    },
  ],
  [
    'delete-field',
    2,
    (t, rnd) => {
      const field = pick(t.spots, rnd);
      const bytes = spliceWellFormed(t.bytes, field.tagAt, field.end - field.tagAt, new Uint8Array(0), ancestorsOf(t.spots, field));
      return { kind: 'delete-field', detail: `${field.path} at ${field.tagAt} (${field.end - field.tagAt} bytes)`, bytes };
    },
  ],
  [
    'duplicate-field',
    2,
    (t, rnd) => {
      const small = t.spots.filter((s) => s.end - s.tagAt <= 1 << 16);
      const field = pick(small.length > 0 ? small : t.spots, rnd);
      const copy = t.bytes.slice(field.tagAt, field.end);
      const bytes = spliceWellFormed(t.bytes, field.end, 0, copy, ancestorsOf(t.spots, field));
      return { kind: 'duplicate-field', detail: `${field.path} at ${field.tagAt} (${copy.length} bytes)`, bytes };
    },
  ],
  [
    'insert-field',
    3,
    (t, rnd) => {
      // Into the top-level model or into one of its messages, at the start or the end.
      const container = rnd() < 0.1 ? undefined : pick(t.messages, rnd);
      const type = container ? container.type! : 'ModelProto';
      const field = synthesizeField(t, type, rnd);
      const atEnd = rnd() < 0.5;
      const at = container ? (atEnd ? container.payloadEnd! : container.payloadAt!) : atEnd ? t.bytes.length : 0;
      const containers = container ? [...ancestorsOf(t.spots, container), container] : [];
      const bytes = spliceWellFormed(t.bytes, at, 0, field.bytes, containers);
      return { kind: 'insert-field', detail: `${field.what} at ${at}`, bytes };
    },
  ],
  [
    'replace-contents',
    2,
    (t, rnd) => {
      // A message takes another message's contents (a subgraph becomes the main graph, a tensor another's), or a string another value.
      const field = pick(t.messages.length > 0 && rnd() < 0.6 ? t.messages : t.strings.length > 0 ? t.strings : t.lengths, rnd);
      let payload: Uint8Array;
      let what: string;
      if (field.isMessage) {
        const donor = pick(t.byType.get(field.type!)!, rnd);
        payload = t.bytes.subarray(donor.payloadAt, donor.payloadEnd);
        what = `contents of ${donor.path} at ${donor.tagAt}`;
      } else {
        const s = pick(INTERESTING_STRINGS, rnd);
        payload = new TextEncoder().encode(s);
        what = JSON.stringify(s.slice(0, 20));
      }
      const replacement = concatBytes(t.bytes.subarray(field.tagAt, field.valueAt), encodeVarint(payload.length), payload);
      const bytes = spliceWellFormed(t.bytes, field.tagAt, field.end - field.tagAt, replacement, ancestorsOf(t.spots, field));
      return { kind: 'replace-contents', detail: `${field.path} at ${field.tagAt} = ${what}`, bytes };
    },
  ],
];

const EXTERNAL_LOCATIONS = ['model.onnx', 'meta.json', 'test_data_set_0', 'missing.bin', '../model.onnx', '/etc/passwd', 'a\nb', ''];
const EXTERNAL_NUMBERS = ['0', '1', '7', '64', '-1', '1e3', '99999999999', '18446744073709551616', ''];

const externalData: [string, number, Mutator][] = [
  [
    'make-external',
    1,
    (t, rnd) => {
      // A tensor that says its data is in a file beside the model: real files, folders, missing ones, escapes.
      const tensor = pick(t.byType.get('TensorProto')!, rnd);
      const entry = (key: string, value: string): Uint8Array =>
        lengthField(13, concatBytes(lengthField(1, new TextEncoder().encode(key)), lengthField(2, new TextEncoder().encode(value))));
      const entries: [string, string][] = [['location', pick(EXTERNAL_LOCATIONS, rnd)]];
      if (rnd() < 0.6) entries.push(['offset', pick(EXTERNAL_NUMBERS, rnd)]);
      if (rnd() < 0.6) entries.push(['length', pick(EXTERNAL_NUMBERS, rnd)]);
      const fields = concatBytes(...entries.map(([k, v]) => entry(k, v)), Uint8Array.of(14 << 3, 1));
      const bytes = spliceWellFormed(t.bytes, tensor.payloadEnd!, 0, fields, [...ancestorsOf(t.spots, tensor), tensor]);
      return { kind: 'make-external', detail: `${tensor.path} at ${tensor.tagAt}: ${JSON.stringify(entries)}`, bytes };
    },
  ],
];

function lengthField(no: number, payload: Uint8Array): Uint8Array {
  return concatBytes(encodeVarint(no * 8 + 2), encodeVarint(payload.length), payload);
}

const mutators = [...byteLevel, ...wellFormed];

/** One mutation of the target, chosen and placed by `rnd`. */
export function mutate(t: MutationTarget, rnd: () => number): Mutation {
  if (t.spots.length === 0 || t.varints.length === 0 || t.lengths.length === 0) return byteLevel[0]![2](t, rnd);
  const candidates = t.byType.has('TensorProto') ? [...mutators, ...externalData] : mutators;
  let r = rnd() * candidates.reduce((n, [, w]) => n + w, 0);
  for (const [, weight, mutator] of candidates) {
    r -= weight;
    if (r < 0) return mutator(t, rnd);
  }
  return candidates[candidates.length - 1]![2](t, rnd);
}
