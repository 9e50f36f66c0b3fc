/**
 * Types of the decoded ONNX messages: for each message in schema.ts, the fields
 * as codec.ts gives them (a key is present exactly when the field was on the
 * wire). Types only: the codec neither checks nor converts anything for them.
 *
 * Scalars: int32, float and double are numbers, int64 and uint64 are numbers or
 * bigints (beyond 2^53), string is a string, bytes is a Uint8Array. Repeated
 * fields: float, double and int32 are Float32Array, Float64Array and Int32Array,
 * int64 and uint64 are arrays of numbers or bigints, the rest plain arrays.
 * Enums (data types, attribute types, data locations) are int32 on the wire and
 * may hold values the IR does not name.
 *
 * Every message may also carry fields the IR does not model and the codec's
 * `$unknown`/`$order` records (see ProtoMessage).
 */
import type { ProtoMessage } from './codec.js';
import type { Int64 } from './wire.js';

export interface ModelProto extends ProtoMessage {
  ir_version?: Int64;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphProto;
  opset_import?: OperatorSetIdProto[];
  metadata_props?: StringStringEntryProto[];
  training_info?: TrainingInfoProto[];
  functions?: FunctionProto[];
  configuration?: DeviceConfigurationProto[];
}

export interface DeviceConfigurationProto extends ProtoMessage {
  name?: string;
  num_devices?: number;
  device?: string[];
}

export interface StringStringEntryProto extends ProtoMessage {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto extends ProtoMessage {
  domain?: string;
  version?: Int64;
}

export interface TrainingInfoProto extends ProtoMessage {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initialization_binding?: StringStringEntryProto[];
  update_binding?: StringStringEntryProto[];
}

export interface GraphProto extends ProtoMessage {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  doc_string?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
  quantization_annotation?: TensorAnnotation[];
  sparse_initializer?: SparseTensorProto[];
  metadata_props?: StringStringEntryProto[];
}

export interface TensorAnnotation extends ProtoMessage {
  tensor_name?: string;
  quant_parameter_tensor_names?: StringStringEntryProto[];
}

export interface NodeProto extends ProtoMessage {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  attribute?: AttributeProto[];
  doc_string?: string;
  domain?: string;
  overload?: string;
  metadata_props?: StringStringEntryProto[];
  device_configurations?: NodeDeviceConfigurationProto[];
}

export interface NodeDeviceConfigurationProto extends ProtoMessage {
  configuration_id?: string;
  sharding_spec?: ShardingSpecProto[];
  pipeline_stage?: number;
}

export interface ShardingSpecProto extends ProtoMessage {
  tensor_name?: string;
  device?: Int64[];
  index_to_device_group_map?: IntIntListEntryProto[];
  sharded_dim?: ShardedDimProto[];
}

export interface IntIntListEntryProto extends ProtoMessage {
  key?: Int64;
  value?: Int64[];
}

export interface ShardedDimProto extends ProtoMessage {
  axis?: Int64;
  simple_sharding?: SimpleShardedDimProto[];
}

export interface SimpleShardedDimProto extends ProtoMessage {
  dim_value?: Int64;
  dim_param?: string;
  num_shards?: Int64;
}

export interface AttributeProto extends ProtoMessage {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: Float32Array;
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  doc_string?: string;
  tp?: TypeProto;
  type_protos?: TypeProto[];
  /** AttributeProto.AttributeType (AttrType in the IR). */
  type?: number;
  ref_attr_name?: string;
  sparse_tensor?: SparseTensorProto;
  sparse_tensors?: SparseTensorProto[];
}

export interface ValueInfoProto extends ProtoMessage {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
  metadata_props?: StringStringEntryProto[];
}

export interface TensorProto extends ProtoMessage {
  dims?: Int64[];
  /** TensorProto.DataType (DataType in the IR). */
  data_type?: number;
  segment?: TensorProtoSegment;
  float_data?: Float32Array;
  int32_data?: Int32Array;
  string_data?: Uint8Array[];
  int64_data?: Int64[];
  name?: string;
  raw_data?: Uint8Array;
  double_data?: Float64Array;
  uint64_data?: Int64[];
  doc_string?: string;
  external_data?: StringStringEntryProto[];
  /** TensorProto.DataLocation: 0 default, 1 external. */
  data_location?: number;
  metadata_props?: StringStringEntryProto[];
}

export interface TensorProtoSegment extends ProtoMessage {
  begin?: Int64;
  end?: Int64;
}

export interface SparseTensorProto extends ProtoMessage {
  values?: TensorProto;
  indices?: TensorProto;
  dims?: Int64[];
}

export interface TensorShapeProto extends ProtoMessage {
  dim?: TensorShapeProtoDimension[];
}

export interface TensorShapeProtoDimension extends ProtoMessage {
  dim_value?: Int64;
  dim_param?: string;
  denotation?: string;
}

export interface TypeProto extends ProtoMessage {
  tensor_type?: TypeProtoTensor;
  sequence_type?: TypeProtoSequence;
  map_type?: TypeProtoMap;
  denotation?: string;
  opaque_type?: TypeProtoOpaque;
  sparse_tensor_type?: TypeProtoSparseTensor;
  optional_type?: TypeProtoOptional;
}

export interface TypeProtoTensor extends ProtoMessage {
  elem_type?: number;
  shape?: TensorShapeProto;
}

export interface TypeProtoSequence extends ProtoMessage {
  elem_type?: TypeProto;
}

export interface TypeProtoMap extends ProtoMessage {
  key_type?: number;
  value_type?: TypeProto;
}

export interface TypeProtoOptional extends ProtoMessage {
  elem_type?: TypeProto;
}

export interface TypeProtoSparseTensor extends ProtoMessage {
  elem_type?: number;
  shape?: TensorShapeProto;
}

export interface TypeProtoOpaque extends ProtoMessage {
  domain?: string;
  name?: string;
}

export interface FunctionProto extends ProtoMessage {
  name?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  node?: NodeProto[];
  doc_string?: string;
  opset_import?: OperatorSetIdProto[];
  domain?: string;
  attribute_proto?: AttributeProto[];
  value_info?: ValueInfoProto[];
  overload?: string;
  metadata_props?: StringStringEntryProto[];
}

/** Each message of schema.ts by its schema name. */
export interface ProtoMessages {
  ModelProto: ModelProto;
  DeviceConfigurationProto: DeviceConfigurationProto;
  StringStringEntryProto: StringStringEntryProto;
  OperatorSetIdProto: OperatorSetIdProto;
  TrainingInfoProto: TrainingInfoProto;
  GraphProto: GraphProto;
  TensorAnnotation: TensorAnnotation;
  NodeProto: NodeProto;
  NodeDeviceConfigurationProto: NodeDeviceConfigurationProto;
  ShardingSpecProto: ShardingSpecProto;
  IntIntListEntryProto: IntIntListEntryProto;
  ShardedDimProto: ShardedDimProto;
  SimpleShardedDimProto: SimpleShardedDimProto;
  AttributeProto: AttributeProto;
  ValueInfoProto: ValueInfoProto;
  TensorProto: TensorProto;
  'TensorProto.Segment': TensorProtoSegment;
  SparseTensorProto: SparseTensorProto;
  TensorShapeProto: TensorShapeProto;
  'TensorShapeProto.Dimension': TensorShapeProtoDimension;
  TypeProto: TypeProto;
  'TypeProto.Tensor': TypeProtoTensor;
  'TypeProto.Sequence': TypeProtoSequence;
  'TypeProto.Map': TypeProtoMap;
  'TypeProto.Optional': TypeProtoOptional;
  'TypeProto.SparseTensor': TypeProtoSparseTensor;
  'TypeProto.Opaque': TypeProtoOpaque;
  FunctionProto: FunctionProto;
}

export type MessageName = keyof ProtoMessages;
