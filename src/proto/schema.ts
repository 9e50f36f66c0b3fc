/**
 * The ONNX protobuf schema (onnx.proto, IR version 13 and its newest fields)
 * as data, for the table-driven codec in codec.ts. Field names are the
 * proto's own; enums are int32 on the wire.
 */

export type ScalarKind = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';

export interface FieldDef {
  readonly no: number;
  readonly name: string;
  readonly kind: ScalarKind | 'message';
  readonly message?: string;
  readonly repeated?: boolean;
  /** Repeated numeric fields only: the encoding a proto2 writer uses for this field. */
  readonly packed?: boolean;
}

export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
  readonly byNumber: ReadonlyMap<number, FieldDef>;
}

/** `kind`: a ScalarKind, or else the name of a message. */
type FieldSpec = [no: number, name: string, kind: string, flags?: 'repeated' | 'packed'];

const SCALARS = new Set(['int32', 'int64', 'uint64', 'float', 'double', 'string', 'bytes']);

const SPECS: Record<string, FieldSpec[]> = {
  ModelProto: [
    [1, 'ir_version', 'int64'],
    [2, 'producer_name', 'string'],
    [3, 'producer_version', 'string'],
    [4, 'domain', 'string'],
    [5, 'model_version', 'int64'],
    [6, 'doc_string', 'string'],
    [7, 'graph', 'GraphProto'],
    [8, 'opset_import', 'OperatorSetIdProto', 'repeated'],
    [14, 'metadata_props', 'StringStringEntryProto', 'repeated'],
    [20, 'training_info', 'TrainingInfoProto', 'repeated'],
    [25, 'functions', 'FunctionProto', 'repeated'],
    [26, 'configuration', 'DeviceConfigurationProto', 'repeated'],
  ],
  DeviceConfigurationProto: [
    [1, 'name', 'string'],
    [2, 'num_devices', 'int32'],
    [3, 'device', 'string', 'repeated'],
  ],
  StringStringEntryProto: [
    [1, 'key', 'string'],
    [2, 'value', 'string'],
  ],
  OperatorSetIdProto: [
    [1, 'domain', 'string'],
    [2, 'version', 'int64'],
  ],
  TrainingInfoProto: [
    [1, 'initialization', 'GraphProto'],
    [2, 'algorithm', 'GraphProto'],
    [3, 'initialization_binding', 'StringStringEntryProto', 'repeated'],
    [4, 'update_binding', 'StringStringEntryProto', 'repeated'],
  ],
  GraphProto: [
    [1, 'node', 'NodeProto', 'repeated'],
    [2, 'name', 'string'],
    [5, 'initializer', 'TensorProto', 'repeated'],
    [10, 'doc_string', 'string'],
    [11, 'input', 'ValueInfoProto', 'repeated'],
    [12, 'output', 'ValueInfoProto', 'repeated'],
    [13, 'value_info', 'ValueInfoProto', 'repeated'],
    [14, 'quantization_annotation', 'TensorAnnotation', 'repeated'],
    [15, 'sparse_initializer', 'SparseTensorProto', 'repeated'],
    [16, 'metadata_props', 'StringStringEntryProto', 'repeated'],
  ],
  TensorAnnotation: [
    [1, 'tensor_name', 'string'],
    [2, 'quant_parameter_tensor_names', 'StringStringEntryProto', 'repeated'],
  ],
  NodeProto: [
    [1, 'input', 'string', 'repeated'],
    [2, 'output', 'string', 'repeated'],
    [3, 'name', 'string'],
    [4, 'op_type', 'string'],
    [5, 'attribute', 'AttributeProto', 'repeated'],
    [6, 'doc_string', 'string'],
    [7, 'domain', 'string'],
    [8, 'overload', 'string'],
    [9, 'metadata_props', 'StringStringEntryProto', 'repeated'],
    [10, 'device_configurations', 'NodeDeviceConfigurationProto', 'repeated'],
  ],
  NodeDeviceConfigurationProto: [
    [1, 'configuration_id', 'string'],
    [2, 'sharding_spec', 'ShardingSpecProto', 'repeated'],
    [3, 'pipeline_stage', 'int32'],
  ],
  ShardingSpecProto: [
    [1, 'tensor_name', 'string'],
    [2, 'device', 'int64', 'repeated'],
    [3, 'index_to_device_group_map', 'IntIntListEntryProto', 'repeated'],
    [4, 'sharded_dim', 'ShardedDimProto', 'repeated'],
  ],
  IntIntListEntryProto: [
    [1, 'key', 'int64'],
    [2, 'value', 'int64', 'repeated'],
  ],
  ShardedDimProto: [
    [1, 'axis', 'int64'],
    [2, 'simple_sharding', 'SimpleShardedDimProto', 'repeated'],
  ],
  SimpleShardedDimProto: [
    [1, 'dim_value', 'int64'],
    [2, 'dim_param', 'string'],
    [3, 'num_shards', 'int64'],
  ],
  AttributeProto: [
    [1, 'name', 'string'],
    [2, 'f', 'float'],
    [3, 'i', 'int64'],
    [4, 's', 'bytes'],
    [5, 't', 'TensorProto'],
    [6, 'g', 'GraphProto'],
    [7, 'floats', 'float', 'repeated'],
    [8, 'ints', 'int64', 'repeated'],
    [9, 'strings', 'bytes', 'repeated'],
    [10, 'tensors', 'TensorProto', 'repeated'],
    [11, 'graphs', 'GraphProto', 'repeated'],
    [13, 'doc_string', 'string'],
    [14, 'tp', 'TypeProto'],
    [15, 'type_protos', 'TypeProto', 'repeated'],
    [20, 'type', 'int32'],
    [21, 'ref_attr_name', 'string'],
    [22, 'sparse_tensor', 'SparseTensorProto'],
    [23, 'sparse_tensors', 'SparseTensorProto', 'repeated'],
  ],
  ValueInfoProto: [
    [1, 'name', 'string'],
    [2, 'type', 'TypeProto'],
    [3, 'doc_string', 'string'],
    [4, 'metadata_props', 'StringStringEntryProto', 'repeated'],
  ],
  TensorProto: [
    [1, 'dims', 'int64', 'repeated'],
    [2, 'data_type', 'int32'],
    [3, 'segment', 'TensorProto.Segment'],
    [4, 'float_data', 'float', 'packed'],
    [5, 'int32_data', 'int32', 'packed'],
    [6, 'string_data', 'bytes', 'repeated'],
    [7, 'int64_data', 'int64', 'packed'],
    [8, 'name', 'string'],
    [9, 'raw_data', 'bytes'],
    [10, 'double_data', 'double', 'packed'],
    [11, 'uint64_data', 'uint64', 'packed'],
    [12, 'doc_string', 'string'],
    [13, 'external_data', 'StringStringEntryProto', 'repeated'],
    [14, 'data_location', 'int32'],
    [16, 'metadata_props', 'StringStringEntryProto', 'repeated'],
  ],
  'TensorProto.Segment': [
    [1, 'begin', 'int64'],
    [2, 'end', 'int64'],
  ],
  SparseTensorProto: [
    [1, 'values', 'TensorProto'],
    [2, 'indices', 'TensorProto'],
    [3, 'dims', 'int64', 'repeated'],
  ],
  TensorShapeProto: [[1, 'dim', 'TensorShapeProto.Dimension', 'repeated']],
  'TensorShapeProto.Dimension': [
    [1, 'dim_value', 'int64'],
    [2, 'dim_param', 'string'],
    [3, 'denotation', 'string'],
  ],
  TypeProto: [
    [1, 'tensor_type', 'TypeProto.Tensor'],
    [4, 'sequence_type', 'TypeProto.Sequence'],
    [5, 'map_type', 'TypeProto.Map'],
    [6, 'denotation', 'string'],
    [7, 'opaque_type', 'TypeProto.Opaque'],
    [8, 'sparse_tensor_type', 'TypeProto.SparseTensor'],
    [9, 'optional_type', 'TypeProto.Optional'],
  ],
  'TypeProto.Tensor': [
    [1, 'elem_type', 'int32'],
    [2, 'shape', 'TensorShapeProto'],
  ],
  'TypeProto.Sequence': [[1, 'elem_type', 'TypeProto']],
  'TypeProto.Map': [
    [1, 'key_type', 'int32'],
    [2, 'value_type', 'TypeProto'],
  ],
  'TypeProto.Optional': [[1, 'elem_type', 'TypeProto']],
  'TypeProto.SparseTensor': [
    [1, 'elem_type', 'int32'],
    [2, 'shape', 'TensorShapeProto'],
  ],
  'TypeProto.Opaque': [
    [1, 'domain', 'string'],
    [2, 'name', 'string'],
  ],
  FunctionProto: [
    [1, 'name', 'string'],
    [4, 'input', 'string', 'repeated'],
    [5, 'output', 'string', 'repeated'],
    [6, 'attribute', 'string', 'repeated'],
    [7, 'node', 'NodeProto', 'repeated'],
    [8, 'doc_string', 'string'],
    [9, 'opset_import', 'OperatorSetIdProto', 'repeated'],
    [10, 'domain', 'string'],
    [11, 'attribute_proto', 'AttributeProto', 'repeated'],
    [12, 'value_info', 'ValueInfoProto', 'repeated'],
    [13, 'overload', 'string'],
    [14, 'metadata_props', 'StringStringEntryProto', 'repeated'],
  ],
};

function build(): Map<string, MessageDef> {
  const defs = new Map<string, MessageDef>();
  for (const [name, specs] of Object.entries(SPECS)) {
    const fields: FieldDef[] = specs.map(([no, fieldName, kind, flags]) => {
      const scalar = SCALARS.has(kind);
      const field: FieldDef = {
        no,
        name: fieldName,
        kind: scalar ? (kind as ScalarKind) : 'message',
        ...(scalar ? {} : { message: kind }),
        ...(flags ? { repeated: true } : {}),
        ...(flags === 'packed' ? { packed: true } : {}),
      };
      return field;
    });
    fields.sort((a, b) => a.no - b.no);
    defs.set(name, { name, fields, byNumber: new Map(fields.map((f) => [f.no, f])) });
  }
  for (const def of defs.values()) {
    for (const f of def.fields) {
      if (f.message && !defs.has(f.message)) throw new Error(`schema: ${def.name}.${f.name} names unknown ${f.message}`);
    }
  }
  return defs;
}

export const MESSAGES: ReadonlyMap<string, MessageDef> = build();

export function messageDef(name: string): MessageDef {
  const def = MESSAGES.get(name);
  if (!def) throw new Error(`schema: no message ${name}`);
  return def;
}
