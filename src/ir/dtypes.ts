/** Every ONNX element type, with what the rest of the code needs to know about it. */

export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

export type TypedArray =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DataTypeInfo {
  readonly type: DataType;
  /** The ONNX name, as in TensorProto.DataType. */
  readonly name: string;
  /** Bits per element (complex: both parts; string: 0). */
  readonly bits: number;
  readonly isFloat: boolean;
  /** The typed array holding this type's little-endian storage; sub-byte types use packed Uint8Array. */
  readonly array: TypedArrayConstructor | undefined;
  /** The name onnxruntime-node uses for tensors of this type, where it has one. */
  readonly ortName: string | undefined;
}

const info = (type: DataType, bits: number, isFloat: boolean, array: TypedArrayConstructor | undefined, ortName?: string): DataTypeInfo => ({
  type,
  name: DataType[type],
  bits,
  isFloat,
  array,
  ortName,
});

const TABLE: readonly DataTypeInfo[] = [
  info(DataType.UNDEFINED, 0, false, undefined),
  info(DataType.FLOAT, 32, true, Float32Array, 'float32'),
  info(DataType.UINT8, 8, false, Uint8Array, 'uint8'),
  info(DataType.INT8, 8, false, Int8Array, 'int8'),
  info(DataType.UINT16, 16, false, Uint16Array, 'uint16'),
  info(DataType.INT16, 16, false, Int16Array, 'int16'),
  info(DataType.INT32, 32, false, Int32Array, 'int32'),
  info(DataType.INT64, 64, false, BigInt64Array, 'int64'),
  info(DataType.STRING, 0, false, undefined, 'string'),
  info(DataType.BOOL, 8, false, Uint8Array, 'bool'),
  info(DataType.FLOAT16, 16, true, Uint16Array, 'float16'),
  info(DataType.DOUBLE, 64, true, Float64Array, 'float64'),
  info(DataType.UINT32, 32, false, Uint32Array, 'uint32'),
  info(DataType.UINT64, 64, false, BigUint64Array, 'uint64'),
  info(DataType.COMPLEX64, 64, true, Float32Array),
  info(DataType.COMPLEX128, 128, true, Float64Array),
  info(DataType.BFLOAT16, 16, true, Uint16Array, 'bfloat16'),
  info(DataType.FLOAT8E4M3FN, 8, true, Uint8Array, 'float8e4m3fn'),
  info(DataType.FLOAT8E4M3FNUZ, 8, true, Uint8Array, 'float8e4m3fnuz'),
  info(DataType.FLOAT8E5M2, 8, true, Uint8Array, 'float8e5m2'),
  info(DataType.FLOAT8E5M2FNUZ, 8, true, Uint8Array, 'float8e5m2fnuz'),
  info(DataType.UINT4, 4, false, Uint8Array, 'uint4'),
  info(DataType.INT4, 4, false, Uint8Array, 'int4'),
  info(DataType.FLOAT4E2M1, 4, true, Uint8Array, 'float4e2m1'),
  info(DataType.FLOAT8E8M0, 8, true, Uint8Array, 'float8e8m0'),
  info(DataType.UINT2, 2, false, Uint8Array, 'uint2'),
  info(DataType.INT2, 2, false, Uint8Array, 'int2'),
];

export function dataTypeInfo(type: number): DataTypeInfo {
  const entry = TABLE[type];
  if (!entry) return { type, name: `DATATYPE_${type}`, bits: 0, isFloat: false, array: undefined, ortName: undefined };
  return entry;
}

export function dataTypeName(type: number): string {
  return dataTypeInfo(type).name.toLowerCase();
}

/** Whether `type` (a code as read from a file: any number) is an element type this table describes. */
export function isKnownDataType(type: DataType): boolean {
  return TABLE[type] !== undefined && type !== DataType.UNDEFINED;
}

/** Bytes that `count` elements take in raw (packed little-endian) storage. */
export function byteSizeOf(type: number, count: number): number {
  const bits = dataTypeInfo(type).bits;
  return Math.ceil((count * bits) / 8);
}
