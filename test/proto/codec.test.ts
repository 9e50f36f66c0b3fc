import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/proto/codec.js';
import { WireError } from '../../src/proto/wire.js';

/** Hand-assembled protobuf bytes. */
function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wt: number): number[] => varint(BigInt(field * 8 + wt));
const len = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(BigInt(body.length)), ...body];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s, 'utf8')]);
const bytes = (a: number[]): Uint8Array => Uint8Array.from(a);

describe('protobuf codec', () => {
  it('decodes int64 values exactly, beyond 2^53 as bigint', () => {
    // ModelProto.ir_version = 1, model_version = 5
    const big = 2n ** 60n + 3n;
    const buf = bytes([...tag(1, 0), ...varint(9007199254740993n), ...tag(5, 0), ...varint(big)]);
    const msg = decode(buf);
    expect(msg.ir_version).toBe(9007199254740993n);
    expect(msg.model_version).toBe(big);
    expect(encode(msg)).toEqual(buf);
  });

  it('keeps negative int64 and int32 values and their ten-byte encoding', () => {
    // AttributeProto.i = -5 (int64), type = -1 (an int32 enum value that no writer should use, but may)
    const buf = bytes([...tag(3, 0), ...varint(-5n), ...tag(20, 0), ...varint(-1n)]);
    const msg = decode(buf, 'AttributeProto');
    expect(msg.i).toBe(-5);
    expect(msg.type).toBe(-1);
    expect(encode(msg, 'AttributeProto')).toEqual(buf);
    expect(varint(-5n).length).toBe(10);
  });

  it('keeps fields the schema does not know, in their place', () => {
    // NodeProto: op_type, unknown field 99 (varint), name, unknown field 100 (bytes)
    const buf = bytes([...str(4, 'Relu'), ...tag(99, 0), 42, ...str(3, 'n0'), ...len(100, [1, 2, 3])]);
    const msg = decode(buf, 'NodeProto');
    expect(msg.op_type).toBe('Relu');
    expect(msg.name).toBe('n0');
    expect(msg.$unknown?.map((u) => u.no)).toEqual([99, 100]);
    expect(encode(msg, 'NodeProto')).toEqual(buf);
  });

  it('keeps packed and unpacked encodings of repeated fields', () => {
    // TensorProto.dims unpacked (proto2 default) and float_data packed (declared packed)
    const floats = new Float32Array([1.5, -2, Number.NaN]);
    const canonical = bytes([...tag(1, 0), 2, ...tag(1, 0), 3, ...len(4, [...new Uint8Array(floats.buffer)])]);
    expect(encode(decode(canonical, 'TensorProto'), 'TensorProto')).toEqual(canonical);
    // The other way round: dims packed, float_data unpacked.
    const unusual = bytes([
      ...len(1, [2, 3]),
      ...tag(4, 5),
      ...new Uint8Array(floats.buffer.slice(0, 4)),
      ...tag(4, 5),
      ...new Uint8Array(floats.buffer.slice(4, 8)),
    ]);
    const msg = decode(unusual, 'TensorProto');
    expect(msg.dims).toEqual([2, 3]);
    expect(Array.from(msg.float_data as Float32Array)).toEqual([1.5, -2]);
    expect(encode(msg, 'TensorProto')).toEqual(unusual);
  });

  it('keeps NaN payloads and field order that is not canonical', () => {
    // AttributeProto with name after f, and f a signalling NaN with a payload.
    const nanBits = [0x01, 0x00, 0x80, 0x7f];
    const buf = bytes([...tag(2, 5), ...nanBits, ...str(1, 'alpha')]);
    const msg = decode(buf, 'AttributeProto');
    expect(msg.name).toBe('alpha');
    expect(encode(msg, 'AttributeProto')).toEqual(buf);
  });

  it('gives zero-copy views for raw_data', () => {
    const payload = [1, 2, 3, 4, 5, 6, 7, 8];
    const buf = bytes([...tag(2, 0), 1, ...len(9, payload)]);
    const msg = decode(buf, 'TensorProto');
    const raw = msg.raw_data as Uint8Array;
    expect(raw.buffer).toBe(buf.buffer);
    expect(Array.from(raw)).toEqual(payload);
  });

  it('reads float_data at unaligned offsets', () => {
    const floats = new Float32Array([3.25, -1]);
    // One byte of field 2 before puts the packed floats at an odd offset.
    const buf = bytes([...tag(2, 0), 1, ...len(4, [...new Uint8Array(floats.buffer)])]);
    const msg = decode(buf, 'TensorProto');
    expect(Array.from(msg.float_data as Float32Array)).toEqual([3.25, -1]);
  });

  it('reports truncation, bad lengths and bad wire types with byte offsets', () => {
    const good = bytes([...str(2, 'producer')]);
    expect(() => decode(good.subarray(0, 5))).toThrow(/runs past the end.*at byte 1/);
    expect(() => decode(bytes([0x80]))).toThrow(WireError);
    expect(() => decode(bytes([...tag(2, 7)]))).toThrow(/invalid wire type 7 at byte 0/);
    expect(() => decode(bytes([0x00]))).toThrow(/field number 0/);
  });

  it('refuses messages nested beyond its depth limit instead of overflowing the stack', () => {
    // TypeProto.sequence_type.elem_type.sequence_type... 300 levels deep (600 messages).
    let body: number[] = [];
    for (let i = 0; i < 300; i++) body = len(4, len(1, body));
    expect(() => decode(bytes(body), 'TypeProto')).toThrow(/nested deeper/);
  });
});
