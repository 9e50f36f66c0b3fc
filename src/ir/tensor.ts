/**
 * Constant tensors: initializers, Constant values, tensor attributes.
 *
 * A tensor keeps the storage form it was read in (raw bytes, one of the typed
 * value lists, or a reference into an external data file) so that an
 * unchanged tensor is written back the same way. Reading the data never
 * changes the storage; passes that change data call `setData`.
 */
import { DataType, byteSizeOf, dataTypeInfo, type TypedArray } from './dtypes.js';
import type { Preserved } from './types.js';

export type Int64 = number | bigint;

/** The typed value lists a tensor may be stored in besides raw bytes. */
export type FieldStorage =
  | { kind: 'float_data'; values: Float32Array }
  | { kind: 'int32_data'; values: Int32Array }
  | { kind: 'int64_data'; values: Int64[] }
  | { kind: 'uint64_data'; values: Int64[] }
  | { kind: 'double_data'; values: Float64Array }
  | { kind: 'string_data'; values: Uint8Array[] };

export interface ExternalLocation {
  /** Path relative to the model's folder, as written in the model. */
  location: string;
  offset: number;
  /** Bytes; when absent the data runs to the end of the file. */
  length?: number;
  /** All external_data entries as they were, in order (location, offset, length, checksum, others). */
  entries: [string, string][];
}

export type TensorStorage =
  | { kind: 'none' }
  /** `writable`: the bytes are the model's own (read from its file), so a pass may overwrite them in place. */
  | { kind: 'raw'; bytes: Uint8Array; writable?: boolean }
  | FieldStorage
  | { kind: 'external'; ref: ExternalLocation; load: () => Uint8Array }
  /** Inline raw data not read yet (models loaded without their weights); written back inline. */
  | { kind: 'deferred'; length: number; load: () => Uint8Array };

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!isLittleEndian) throw new Error('onnxpress needs a little-endian machine');

export class Tensor {
  name: string | undefined;
  dataType: DataType;
  dims: Int64[];
  storage: TensorStorage;
  docString: string | undefined;
  /** Set when the tensor was read with data_location present, so it is written back. */
  dataLocation: number | undefined;
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  private cachedBytes: Uint8Array | undefined;

  constructor(init: {
    name?: string;
    dataType: DataType;
    dims: readonly Int64[];
    storage?: TensorStorage;
    docString?: string;
    dataLocation?: number;
    metadataProps?: [string, string][];
    preserved?: Preserved;
  }) {
    this.name = init.name;
    this.dataType = init.dataType;
    this.dims = [...init.dims];
    this.storage = init.storage ?? { kind: 'none' };
    this.docString = init.docString;
    this.dataLocation = init.dataLocation;
    this.metadataProps = init.metadataProps;
    this.preserved = init.preserved;
  }

  /** A tensor over the given typed array's bytes (no copy). */
  static fromArray(name: string | undefined, dataType: DataType, dims: readonly Int64[], data: TypedArray): Tensor {
    return new Tensor({ name, dataType, dims, storage: { kind: 'raw', bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } });
  }

  get elementCount(): number {
    let n = 1;
    for (const d of this.dims) n *= Number(d);
    return n;
  }

  get isExternal(): boolean {
    return this.storage.kind === 'external';
  }

  /** Bytes of the data in raw form, computed from dtype and dims: no I/O. */
  get byteSize(): number {
    if (this.dataType === DataType.STRING) {
      return this.storage.kind === 'string_data' ? this.storage.values.reduce((n, s) => n + s.length, 0) : 0;
    }
    return byteSizeOf(this.dataType, this.elementCount);
  }

  /** The data as packed little-endian bytes (ONNX raw_data layout). External data is read on first call. */
  rawBytes(): Uint8Array {
    const s = this.storage;
    switch (s.kind) {
      case 'raw':
        return s.bytes;
      case 'external':
      case 'deferred':
        return (this.cachedBytes ??= s.load());
      case 'none':
        return new Uint8Array(0);
      default:
        return (this.cachedBytes ??= fieldsToRaw(this.dataType, s, this.elementCount));
    }
  }

  /** The data as the dtype's typed array (a view where alignment allows, else a copy). */
  toTypedArray(): TypedArray {
    const Ctor = dataTypeInfo(this.dataType).array;
    if (!Ctor) throw new Error(`tensor ${this.name ?? ''}: no typed array for ${dataTypeInfo(this.dataType).name}`);
    const s = this.storage;
    if (s.kind === 'float_data' && this.dataType === DataType.FLOAT) return s.values;
    if (s.kind === 'double_data' && this.dataType === DataType.DOUBLE) return s.values;
    if (s.kind === 'int32_data' && this.dataType === DataType.INT32) return s.values;
    const bytes = this.rawBytes();
    const width = Ctor.BYTES_PER_ELEMENT;
    if (bytes.byteOffset % width === 0 && bytes.byteLength % width === 0) {
      return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
    }
    const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % width));
    copy.set(bytes.subarray(0, copy.length));
    return new Ctor(copy.buffer, 0, copy.length / width);
  }

  /** The raw data's bytes when a pass may overwrite them (the model owns them and nothing else reads them). */
  writableBytes(): Uint8Array | undefined {
    return this.storage.kind === 'raw' && this.storage.writable ? this.storage.bytes : undefined;
  }

  /** String tensors: the element bytes. */
  strings(): Uint8Array[] {
    return this.storage.kind === 'string_data' ? this.storage.values : [];
  }

  /** Replaces the data (and optionally the dtype) with raw bytes; the old storage form is dropped. */
  setData(dataType: DataType, data: TypedArray | Uint8Array, dims: readonly Int64[] = this.dims): void {
    this.dataType = dataType;
    this.dims = [...dims];
    this.storage = { kind: 'raw', bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    this.cachedBytes = undefined;
    if (this.dataLocation !== undefined) this.dataLocation = 0;
  }
}

/** Converts the typed value lists of TensorProto into raw_data layout. */
function fieldsToRaw(dataType: DataType, s: FieldStorage, count: number): Uint8Array {
  const bytesOf = (a: TypedArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const dtype = dataTypeInfo(dataType);
  switch (s.kind) {
    case 'float_data':
      if (dataType === DataType.COMPLEX64 || dataType === DataType.FLOAT) return bytesOf(s.values);
      break;
    case 'double_data':
      return bytesOf(s.values);
    case 'int64_data': {
      const out = new BigInt64Array(s.values.length);
      for (let i = 0; i < out.length; i++) out[i] = BigInt(s.values[i]!);
      return bytesOf(out);
    }
    case 'uint64_data': {
      const out = dataType === DataType.UINT32 ? new Uint32Array(s.values.length) : new BigUint64Array(s.values.length);
      for (let i = 0; i < out.length; i++) {
        if (out instanceof Uint32Array) out[i] = Number(s.values[i]!);
        else out[i] = BigInt.asUintN(64, BigInt(s.values[i]!));
      }
      return bytesOf(out);
    }
    case 'int32_data': {
      if (dtype.bits >= 8 && dtype.array) {
        // int32_data holds one element per entry for the narrow types (bit patterns for float16/bfloat16/float8).
        const out = new dtype.array(s.values.length);
        const target = out as unknown as { [i: number]: number };
        for (let i = 0; i < s.values.length; i++) target[i] = s.values[i]!;
        return bytesOf(out);
      }
      if (dtype.bits === 4 || dtype.bits === 2) {
        // Sub-byte types: int32_data already holds packed bytes, one byte per entry.
        // Sized by what is stored, not by what the dims claim: a corrupt shape must not allocate gigabytes.
        const out = new Uint8Array(Math.min(byteSizeOf(dataType, count), s.values.length));
        for (let i = 0; i < out.length; i++) out[i] = s.values[i]! & 0xff;
        return out;
      }
      break;
    }
    case 'string_data':
      break;
  }
  throw new Error(`tensor: ${s.kind} cannot hold ${dtype.name}`);
}
