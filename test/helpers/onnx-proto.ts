/**
 * ONNX files decoded by onnx-proto (protobufjs code generated from onnx 1.10's schema): a decoder independent of
 * onnxpress's codec, for tests to check what onnxpress reads and writes against.
 *
 * The types say what a decoded message holds: every field of that schema, repeated ones as arrays (empty when
 * absent), others as their default when absent (`has` tells whether a field was on the wire). 64-bit integers
 * come as protobufjs Long objects: `int64` gives their decimal text.
 */
import { createRequire } from 'node:module';

type OnnxProto = typeof import('onnx-proto');
const { onnx } = createRequire(import.meta.url)('onnx-proto') as OnnxProto;

export type Long = number | { toString(): string };

export interface EntryMsg {
  key: string;
  value: string;
}
export interface DimMsg {
  dimValue: Long;
  dimParam: string;
}
export interface TensorTypeMsg {
  elemType: number;
  shape: { dim: DimMsg[] } | null;
}
export interface TypeMsg {
  tensorType: TensorTypeMsg | null;
  sparseTensorType: TensorTypeMsg | null;
  sequenceType: { elemType: TypeMsg | null } | null;
  optionalType: { elemType: TypeMsg | null } | null;
  mapType: { keyType: number; valueType: TypeMsg | null } | null;
}
export interface TensorMsg {
  name: string;
  dataType: number;
  dims: Long[];
  rawData: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: Long[];
  uint64Data: Long[];
  doubleData: number[];
  stringData: Uint8Array[];
  externalData: EntryMsg[];
}
export interface SparseTensorMsg {
  values: TensorMsg | null;
  indices: TensorMsg | null;
  dims: Long[];
}
export interface AttributeMsg {
  name: string;
  refAttrName: string;
  docString: string;
  type: number;
  f: number;
  i: Long;
  s: Uint8Array;
  t: TensorMsg | null;
  g: GraphMsg | null;
  sparseTensor: SparseTensorMsg | null;
  tp: TypeMsg | null;
  floats: number[];
  ints: Long[];
  strings: Uint8Array[];
  tensors: TensorMsg[];
  graphs: GraphMsg[];
  sparseTensors: SparseTensorMsg[];
  typeProtos: TypeMsg[];
}
export interface ValueInfoMsg {
  name: string;
  type: TypeMsg | null;
}
export interface NodeMsg {
  opType: string;
  domain: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeMsg[];
}
export interface GraphMsg {
  name: string;
  docString: string;
  input: ValueInfoMsg[];
  output: ValueInfoMsg[];
  valueInfo: ValueInfoMsg[];
  initializer: TensorMsg[];
  node: NodeMsg[];
}
export interface ModelMsg {
  irVersion: Long;
  opsetImport: { domain: string; version: Long }[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: Long;
  docString: string;
  metadataProps: EntryMsg[];
  functions: { name: string; domain: string; node: NodeMsg[] }[];
  graph: GraphMsg | null;
}

export const decodeModel = (bytes: Uint8Array): ModelMsg => onnx.ModelProto.decode(bytes) as unknown as ModelMsg;
export const decodeTensor = (bytes: Uint8Array): TensorMsg => onnx.TensorProto.decode(bytes) as unknown as TensorMsg;

/** A TensorProto's bytes, as onnx-proto writes them (to make test files without onnxpress's writer). */
export function encodeTensor(fields: {
  name?: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
}): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(fields)).finish();
}

/** TensorProto.DataType and AttributeProto.AttributeType, name to number. */
export const DataTypes: Readonly<Record<keyof typeof onnx.TensorProto.DataType, number>> = onnx.TensorProto.DataType;
export const AttributeTypes: Readonly<Record<keyof typeof onnx.AttributeProto.AttributeType, number>> = onnx.AttributeProto.AttributeType;

/** Whether a non-repeated field was on the wire (absent ones read as their default from the prototype). */
export const has = (msg: object, field: string): boolean => Object.prototype.hasOwnProperty.call(msg, field);

/** A 64-bit integer as decimal text. */
export const int64 = (v: Long | bigint | null | undefined): string => String(v ?? 0);

/** The number of elements of a tensor's dims. */
export const elementCount = (t: { dims: Long[] }): number => t.dims.reduce<number>((n, d) => n * Number(int64(d)), 1);
