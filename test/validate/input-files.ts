/** Input files and small models for the validation tests, written here byte by byte or with the builder. */
import { writeFileSync } from 'node:fs';
import { DataType, type TypedArray } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encode } from '../../src/proto/codec.js';
import { serializeTensor } from '../../src/proto/serde.js';
import { ModelBuilder, tensorOf } from '../../src/testing/builder.js';

export const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A .npy file: magic, version, header length, the header padded with spaces to a multiple of 64 and a newline, data. */
export function npyBytes(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const body = new TextEncoder().encode(header);
  const padded = Math.ceil((prefix + body.length + 1) / 64) * 64 - prefix;
  const headerBytes = new Uint8Array(padded).fill(0x20);
  headerBytes.set(body);
  headerBytes[padded - 1] = 0x0a;
  const out = new Uint8Array(prefix + padded + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.set(headerBytes, prefix);
  out.set(data, prefix + padded);
  return out;
}

/** Writes a TensorProto file (like ONNX test data's input_K.pb). */
export function writeTensorPb(path: string, name: string | undefined, dataType: DataType, dims: number[], data: TypedArray): void {
  writeFileSync(path, encode(serializeTensor(Tensor.fromArray(name, dataType, dims, data), {}, name), 'TensorProto'));
}

/**
 * A model with the inputs synthesis has rules for:
 * - input_ids (int64 [batch, seq]) indexes `table` (7 rows) and axis 1 of `wide` (11 columns): bound 7;
 * - pos_ids (int64 [batch, seq]) reaches `big` (50 rows) only through Cast and Unsqueeze: bound 50;
 * - type_ids (int32 [batch, seq]) indexes a Constant of 3 rows behind Cast, and a 9-row initializer behind Identity;
 * - attention_mask (int64 [batch, seq]), flags (bool [4]), counts (int32 [2, 2]), pixels (float [batch, 3, height, width]),
 *   half (float16 [n]).
 */
export function synthesisModel(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const ids = b.input('input_ids', DataType.INT64, ['batch', 'seq']);
  const pos = b.input('pos_ids', DataType.INT64, ['batch', 'seq']);
  const typeIds = b.input('type_ids', DataType.INT32, ['batch', 'seq']);
  const mask = b.input('attention_mask', DataType.INT64, ['batch', 'seq']);
  const flags = b.input('flags', DataType.BOOL, [4]);
  const counts = b.input('counts', DataType.INT32, [2, 2]);
  const pixels = b.input('pixels', DataType.FLOAT, ['batch', 3, 'height', 'width']);
  const half = b.input('half', DataType.FLOAT16, ['n']);
  const table = b.initializer('table', new Float32Array(7 * 4), [7, 4]);
  const big = b.initializer('big', new Float32Array(50 * 4), [50, 4]);
  const nine = b.initializer('nine', new Float32Array(9 * 4), [9, 4]);
  b.output(b.node('Gather', [table, ids]), DataType.FLOAT);
  const unsqueezeAxes = b.initializer('axes', BigInt64Array.of(0n), [1]);
  const viaCast = b.node('Unsqueeze', [b.node('Cast', [pos], { to: DataType.INT32 }), unsqueezeAxes]);
  b.output(b.node('Gather', [big, viaCast]), DataType.FLOAT);
  const three = b.node('Constant', [], { value: tensorOf('three', new Float32Array(3 * 2), [3, 2]) });
  const typeIds64 = b.node('Cast', [typeIds], { to: DataType.INT64 });
  b.output(b.node('Gather', [three, typeIds64]), DataType.FLOAT);
  b.output(b.node('Gather', [b.node('Identity', [nine]), typeIds]), DataType.FLOAT);
  // A Gather on axis 1 of a [4, 11] table: the bound is 11 for that use (the smallest bound of input_ids stays 7).
  const wide = b.initializer('wide', new Float32Array(4 * 11), [4, 11]);
  b.output(b.node('Gather', [wide, ids], { axis: 1 }), DataType.FLOAT);
  for (const v of [mask, flags, counts, pixels, half]) b.output(b.node('Identity', [v]));
  return b.build();
}
