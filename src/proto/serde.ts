/**
 * The one place that converts between decoded ONNX protobuf messages and the
 * IR. Each deserializeX has a serializeX partner. Fields the IR does not model
 * (and the codec's wire-order and unknown-field records) ride along in the IR
 * object's opaque `preserved` slot and are merged back on the way out.
 */
import { Attribute, AttrType, type AttrValue, type SparseTensor } from '../ir/attribute.js';
import { DataType } from '../ir/dtypes.js';
import { Graph, Node, Value } from '../ir/graph.js';
import { Model, OnnxFunction, type OpsetImport } from '../ir/model.js';
import { type ExternalLocation, Tensor, type TensorStorage } from '../ir/tensor.js';
import type { Dim, Preserved, Shape, TypeInfo } from '../ir/types.js';
import type { ProtoMessage } from './codec.js';
import type {
  AttributeProto,
  FunctionProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  SparseTensorProto,
  StringStringEntryProto,
  TensorProto,
  TensorShapeProto,
  TensorShapeProtoDimension,
  TypeProto,
  TypeProtoMap,
  TypeProtoOpaque,
  TypeProtoSequence,
  TypeProtoTensor,
  ValueInfoProto,
} from './messages.js';

export const DATA_LOCATION_EXTERNAL = 1;

export interface DeserializeContext {
  /** Resolves an external-data reference to a lazy loader; throws when the reference is invalid. */
  externalLoader?: (ref: ExternalLocation, tensorName: string | undefined) => () => Uint8Array;
  /** For raw data that was not read (a skeleton load): a loader for it, else undefined. */
  deferredRawData?: (view: Uint8Array) => (() => Uint8Array) | undefined;
  /** The bytes being decoded belong to the model alone (a buffer read from its file): raw data may be overwritten in place. */
  privateBytes?: boolean;
}

export interface SerializeContext {
  /** Where a tensor's data goes: external_data entries to write instead of inline data, or undefined to keep it inline. */
  placeTensor?: (tensor: Tensor, name: string | undefined) => [string, string][] | undefined;
}

// ---------------------------------------------------------------------------
// Helpers

function rest(msg: ProtoMessage, modeled: readonly string[]): Preserved | undefined {
  let out: Record<string, unknown> | undefined;
  for (const key in msg) {
    if (!modeled.includes(key)) (out ??= {})[key] = msg[key];
  }
  return out as Preserved | undefined;
}

function withPreserved(preserved: Preserved | undefined): ProtoMessage {
  return preserved ? { ...(preserved as unknown as ProtoMessage) } : {};
}

function set<M extends ProtoMessage, K extends keyof M & string>(msg: M, key: K, value: M[K] | undefined): void {
  if (value !== undefined) msg[key] = value;
}

function pairs(entries: StringStringEntryProto[] | undefined): [string, string][] | undefined {
  return entries?.map((e) => [e.key ?? '', e.value ?? '']);
}

function entries(list: [string, string][] | undefined): StringStringEntryProto[] | undefined {
  return list?.map(([key, value]) => ({ key, value }));
}

class Scope {
  private readonly names = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}
  define(value: Value): void {
    this.names.set(value.name, value);
  }
  lookup(name: string): Value | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
  /** A name nothing in scope defines (outer-scope of a function, sparse initializer, or a dangling reference). */
  lookupOrCreate(name: string): Value {
    let v = this.lookup(name);
    if (!v) {
      v = new Value(name);
      this.define(v);
    }
    return v;
  }
}

// ---------------------------------------------------------------------------
// Types

type TypeField = 'tensor_type' | 'sequence_type' | 'map_type' | 'optional_type' | 'sparse_tensor_type' | 'opaque_type';

const TYPE_KINDS: readonly [TypeField, TypeInfo['kind']][] = [
  ['tensor_type', 'tensor'],
  ['sequence_type', 'sequence'],
  ['map_type', 'map'],
  ['optional_type', 'optional'],
  ['sparse_tensor_type', 'sparse_tensor'],
  ['opaque_type', 'opaque'],
];

export function deserializeType(msg: TypeProto): TypeInfo {
  for (const [field, kind] of TYPE_KINDS) {
    const inner = msg[field];
    if (!inner) continue;
    const preserved = rest(msg, [field, 'denotation']);
    const base = { denotation: msg.denotation, preserved };
    // `kind` says which of the inner messages `inner` is (TypeProto.SparseTensor has TypeProto.Tensor's fields,
    // TypeProto.Optional TypeProto.Sequence's).
    switch (kind) {
      case 'tensor':
      case 'sparse_tensor': {
        const tensor = inner as TypeProtoTensor;
        return {
          kind,
          ...base,
          elemType: tensor.elem_type,
          shape: tensor.shape ? deserializeShape(tensor.shape) : undefined,
          innerPreserved: rest(tensor, ['elem_type', 'shape']),
        };
      }
      case 'sequence':
      case 'optional': {
        const sequence = inner as TypeProtoSequence;
        return {
          kind,
          ...base,
          elem: sequence.elem_type ? deserializeType(sequence.elem_type) : undefined,
          innerPreserved: rest(sequence, ['elem_type']),
        };
      }
      case 'map': {
        const map = inner as TypeProtoMap;
        return {
          kind,
          ...base,
          keyType: map.key_type,
          value: map.value_type ? deserializeType(map.value_type) : undefined,
          innerPreserved: rest(map, ['key_type', 'value_type']),
        };
      }
      default: {
        const opaque = inner as TypeProtoOpaque;
        return { kind: 'opaque', ...base, domain: opaque.domain, name: opaque.name, innerPreserved: rest(opaque, ['domain', 'name']) };
      }
    }
  }
  return { kind: 'none', denotation: msg.denotation, preserved: rest(msg, ['denotation']) };
}

export function serializeType(type: TypeInfo): TypeProto {
  const msg: TypeProto = withPreserved(type.preserved);
  set(msg, 'denotation', type.denotation);
  if (type.kind === 'none') return msg;
  const inner = withPreserved(type.innerPreserved);
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor':
      set(inner, 'elem_type', type.elemType);
      if (type.shape) inner.shape = serializeShape(type.shape);
      msg[type.kind === 'tensor' ? 'tensor_type' : 'sparse_tensor_type'] = inner;
      break;
    case 'sequence':
    case 'optional':
      if (type.elem) inner.elem_type = serializeType(type.elem);
      msg[type.kind === 'sequence' ? 'sequence_type' : 'optional_type'] = inner;
      break;
    case 'map':
      set(inner, 'key_type', type.keyType);
      if (type.value) inner.value_type = serializeType(type.value);
      msg.map_type = inner;
      break;
    case 'opaque':
      set(inner, 'domain', type.domain);
      set(inner, 'name', type.name);
      msg.opaque_type = inner;
      break;
  }
  return msg;
}

function deserializeShape(msg: TensorShapeProto): Shape {
  const dims: Dim[] = (msg.dim ?? []).map((d) => ({
    value: d.dim_value,
    param: d.dim_param,
    denotation: d.denotation,
    preserved: rest(d, ['dim_value', 'dim_param', 'denotation']),
  }));
  return { dims, preserved: rest(msg, ['dim']) };
}

function serializeShape(shape: Shape): TensorShapeProto {
  const msg: TensorShapeProto = withPreserved(shape.preserved);
  if (shape.dims.length > 0) {
    msg.dim = shape.dims.map((d) => {
      const m: TensorShapeProtoDimension = withPreserved(d.preserved);
      set(m, 'dim_value', d.value);
      set(m, 'dim_param', d.param);
      set(m, 'denotation', d.denotation);
      return m;
    });
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Tensors

const TENSOR_FIELDS = ['dims', 'data_type', 'name', 'doc_string', 'data_location', 'metadata_props'] as const;
const STORAGE_FIELDS = ['raw_data', 'float_data', 'int32_data', 'int64_data', 'uint64_data', 'double_data', 'string_data'] as const;

export function deserializeTensor(msg: TensorProto, ctx: DeserializeContext): Tensor {
  let storage: TensorStorage = { kind: 'none' };
  let storageField: string | undefined;
  const external = msg.external_data;
  if (msg.data_location === DATA_LOCATION_EXTERNAL && external) {
    const ref = externalRef(external);
    const load = ctx.externalLoader
      ? ctx.externalLoader(ref, msg.name)
      : () => {
          throw new Error(`tensor '${msg.name ?? ''}': external data '${ref.location}' cannot be read here`);
        };
    storage = { kind: 'external', ref, load };
    storageField = 'external_data';
  } else {
    for (const field of STORAGE_FIELDS) {
      const value = msg[field];
      if (value === undefined) continue;
      if (field === 'raw_data') {
        const bytes = value as Uint8Array;
        const load = ctx.deferredRawData?.(bytes);
        if (load) storage = { kind: 'deferred', length: bytes.length, load };
        else storage = ctx.privateBytes ? { kind: 'raw', bytes, writable: true } : { kind: 'raw', bytes };
      } else storage = { kind: field, values: value } as TensorStorage;
      storageField = field;
      break;
    }
  }
  const modeled: string[] = [...TENSOR_FIELDS];
  if (storageField) modeled.push(storageField);
  let preserved = rest(msg, modeled);
  if (msg.data_type === undefined) preserved = { ...(preserved ?? {}), $noDataType: true } as unknown as Preserved;
  return new Tensor({
    name: msg.name,
    dataType: msg.data_type ?? DataType.UNDEFINED,
    dims: msg.dims ?? [],
    storage,
    docString: msg.doc_string,
    dataLocation: msg.data_location,
    metadataProps: pairs(msg.metadata_props),
    preserved,
  });
}

function externalRef(list: StringStringEntryProto[]): ExternalLocation {
  const ref: ExternalLocation = { location: '', offset: 0, entries: [] };
  for (const e of list) {
    const key = e.key ?? '';
    const value = e.value ?? '';
    ref.entries.push([key, value]);
    if (key === 'location') ref.location = value;
    else if (key === 'offset') ref.offset = parseExternalNumber(value, 'offset');
    else if (key === 'length') ref.length = parseExternalNumber(value, 'length');
  }
  return ref;
}

function parseExternalNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`external data ${what} '${text}' is not a non-negative integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`external data ${what} ${text} is too large`);
  return n;
}

export function serializeTensor(tensor: Tensor, ctx: SerializeContext, name = tensor.name): TensorProto {
  const { $noDataType, ...preserved } = (tensor.preserved ?? {}) as Record<string, unknown>;
  const msg: TensorProto = withPreserved(preserved as Preserved);
  if (tensor.dims.length > 0) msg.dims = tensor.dims;
  if (!$noDataType || tensor.dataType !== DataType.UNDEFINED) msg.data_type = tensor.dataType;
  set(msg, 'name', name);
  set(msg, 'doc_string', tensor.docString);
  set(msg, 'metadata_props', entries(tensor.metadataProps));
  const placed = tensor.dataType === DataType.STRING ? undefined : ctx.placeTensor?.(tensor, name);
  if (placed) {
    msg.external_data = entries(placed);
    msg.data_location = DATA_LOCATION_EXTERNAL;
    return msg;
  }
  const s = tensor.storage;
  switch (s.kind) {
    case 'none':
      break;
    case 'raw':
      msg.raw_data = s.bytes;
      break;
    case 'external': // not placed externally by the caller: inline it
    case 'deferred':
      msg.raw_data = tensor.rawBytes();
      break;
    default:
      // A typed value list goes to the field of its name (the kinds are TensorProto's field names).
      (msg as ProtoMessage)[s.kind] = s.values;
  }
  if (s.kind === 'external') {
    if (tensor.dataLocation !== undefined) msg.data_location = 0;
  } else set(msg, 'data_location', tensor.dataLocation);
  return msg;
}

function deserializeSparse(msg: SparseTensorProto, ctx: DeserializeContext): SparseTensor {
  return {
    values: msg.values ? deserializeTensor(msg.values, ctx) : undefined,
    indices: msg.indices ? deserializeTensor(msg.indices, ctx) : undefined,
    dims: msg.dims ?? [],
    preserved: rest(msg, ['values', 'indices', 'dims']),
  };
}

function serializeSparse(sparse: SparseTensor, ctx: SerializeContext): SparseTensorProto {
  const msg: SparseTensorProto = withPreserved(sparse.preserved);
  if (sparse.values) msg.values = serializeTensor(sparse.values, ctx);
  if (sparse.indices) msg.indices = serializeTensor(sparse.indices, ctx);
  if (sparse.dims.length > 0) msg.dims = sparse.dims;
  return msg;
}

// ---------------------------------------------------------------------------
// Attributes

const ATTR_FIELD: Partial<Record<AttrType, string>> = {
  [AttrType.FLOAT]: 'f',
  [AttrType.INT]: 'i',
  [AttrType.STRING]: 's',
  [AttrType.TENSOR]: 't',
  [AttrType.GRAPH]: 'g',
  [AttrType.FLOATS]: 'floats',
  [AttrType.INTS]: 'ints',
  [AttrType.STRINGS]: 'strings',
  [AttrType.TENSORS]: 'tensors',
  [AttrType.GRAPHS]: 'graphs',
  [AttrType.SPARSE_TENSOR]: 'sparse_tensor',
  [AttrType.SPARSE_TENSORS]: 'sparse_tensors',
  [AttrType.TYPE_PROTO]: 'tp',
  [AttrType.TYPE_PROTOS]: 'type_protos',
};
const FIELD_ATTR = new Map(Object.entries(ATTR_FIELD).map(([t, f]) => [f, Number(t) as AttrType]));

function deserializeAttribute(msg: AttributeProto, ctx: DeserializeContext, scope: Scope, owner: Node | undefined): Attribute {
  let type: AttrType = msg.type ?? AttrType.UNDEFINED;
  let inferred = false;
  if (!ATTR_FIELD[type]) {
    // IR version 1 had no type field: the value field in use says it.
    for (const [field, t] of FIELD_ATTR) {
      if (msg[field] !== undefined) {
        type = t;
        inferred = true;
        break;
      }
    }
  }
  const field = ATTR_FIELD[type];
  // The value is in ATTR_FIELD[type]; a type with no field (UNDEFINED, or one this schema does not know) has none.
  let value: AttrValue;
  switch (type) {
    case AttrType.FLOAT:
      value = msg.f;
      break;
    case AttrType.INT:
      value = msg.i;
      break;
    case AttrType.STRING:
      value = msg.s;
      break;
    case AttrType.TENSOR:
      value = msg.t ? deserializeTensor(msg.t, ctx) : undefined;
      break;
    case AttrType.TENSORS:
      value = (msg.tensors ?? []).map((t) => deserializeTensor(t, ctx));
      break;
    case AttrType.GRAPH:
      value = msg.g ? deserializeGraph(msg.g, ctx, new Scope(scope), owner) : undefined;
      break;
    case AttrType.GRAPHS:
      value = (msg.graphs ?? []).map((g) => deserializeGraph(g, ctx, new Scope(scope), owner));
      break;
    case AttrType.SPARSE_TENSOR:
      value = msg.sparse_tensor ? deserializeSparse(msg.sparse_tensor, ctx) : undefined;
      break;
    case AttrType.SPARSE_TENSORS:
      value = (msg.sparse_tensors ?? []).map((s) => deserializeSparse(s, ctx));
      break;
    case AttrType.TYPE_PROTO:
      value = msg.tp ? deserializeType(msg.tp) : undefined;
      break;
    case AttrType.TYPE_PROTOS:
      value = (msg.type_protos ?? []).map(deserializeType);
      break;
    case AttrType.FLOATS:
      value = msg.floats ?? new Float32Array(0);
      break;
    case AttrType.INTS:
      value = msg.ints ?? [];
      break;
    case AttrType.STRINGS:
      value = msg.strings ?? [];
      break;
    default:
      value = undefined;
  }
  const modeled = ['name', 'ref_attr_name', 'doc_string', 'type'];
  if (field) modeled.push(field);
  let preserved = rest(msg, modeled);
  if (inferred || msg.type === undefined) preserved = { ...(preserved ?? {}), $type: msg.type ?? null } as unknown as Preserved;
  return new Attribute(msg.name ?? '', type, value, { refAttrName: msg.ref_attr_name, docString: msg.doc_string, preserved });
}

function serializeAttribute(attr: Attribute, ctx: SerializeContext): AttributeProto {
  const { $type, ...others } = (attr.extra.preserved ?? {}) as Record<string, unknown>;
  const msg: AttributeProto = withPreserved(others as Preserved);
  msg.name = attr.name;
  set(msg, 'ref_attr_name', attr.extra.refAttrName);
  set(msg, 'doc_string', attr.extra.docString);
  if ($type === undefined) msg.type = attr.type;
  else if ($type !== null) msg.type = $type as number; // the type field as read (deserializeAttribute keeps it)
  const field = ATTR_FIELD[attr.type];
  const v = attr.value;
  if (!field || v === undefined) return msg;
  switch (attr.type) {
    case AttrType.TENSOR:
      msg.t = serializeTensor(v as Tensor, ctx);
      break;
    case AttrType.TENSORS:
      if ((v as Tensor[]).length) msg.tensors = (v as Tensor[]).map((t) => serializeTensor(t, ctx));
      break;
    case AttrType.GRAPH:
      msg.g = serializeGraph(v as Graph, ctx);
      break;
    case AttrType.GRAPHS:
      if ((v as Graph[]).length) msg.graphs = (v as Graph[]).map((g) => serializeGraph(g, ctx));
      break;
    case AttrType.SPARSE_TENSOR:
      msg.sparse_tensor = serializeSparse(v as SparseTensor, ctx);
      break;
    case AttrType.SPARSE_TENSORS:
      if ((v as SparseTensor[]).length) msg.sparse_tensors = (v as SparseTensor[]).map((s) => serializeSparse(s, ctx));
      break;
    case AttrType.TYPE_PROTO:
      msg.tp = serializeType(v as TypeInfo);
      break;
    case AttrType.TYPE_PROTOS:
      if ((v as TypeInfo[]).length) msg.type_protos = (v as TypeInfo[]).map(serializeType);
      break;
    case AttrType.FLOATS:
    case AttrType.INTS:
    case AttrType.STRINGS:
      if ((v as ArrayLike<unknown>).length) msg[field] = v;
      break;
    default:
      msg[field] = v;
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Value infos, nodes, graphs

function applyValueInfo(value: Value, msg: ValueInfoProto): void {
  if (value.type === undefined && msg.type) value.type = deserializeType(msg.type);
  if (value.docString === undefined) value.docString = msg.doc_string;
  if (value.metadataProps === undefined) value.metadataProps = pairs(msg.metadata_props);
  if (value.preserved === undefined) value.preserved = rest(msg, ['name', 'type', 'doc_string', 'metadata_props']);
}

function serializeValueInfo(value: Value): ValueInfoProto {
  const msg: ValueInfoProto = withPreserved(value.preserved);
  msg.name = value.name;
  if (value.type) msg.type = serializeType(value.type);
  set(msg, 'doc_string', value.docString);
  set(msg, 'metadata_props', entries(value.metadataProps));
  return msg;
}

const NODE_FIELDS = ['input', 'output', 'name', 'op_type', 'domain', 'overload', 'attribute', 'doc_string', 'metadata_props'];

function deserializeNode(msg: NodeProto, ctx: DeserializeContext, scope: Scope, outputs: (Value | null)[]): Node {
  const node = new Node({
    opType: msg.op_type ?? '',
    domain: msg.domain,
    name: msg.name,
    overload: msg.overload,
    docString: msg.doc_string,
    inputs: (msg.input ?? []).map((n) => (n === '' ? null : scope.lookupOrCreate(n))),
    outputs,
  });
  node.metadataProps = pairs(msg.metadata_props);
  node.preserved = rest(msg, NODE_FIELDS);
  for (const a of msg.attribute ?? []) {
    const attr = deserializeAttribute(a, ctx, scope, node);
    node.attributes.set(attr.name, attr);
  }
  return node;
}

function serializeNode(node: Node, ctx: SerializeContext): NodeProto {
  const msg: NodeProto = withPreserved(node.preserved);
  if (node.inputs.length) msg.input = node.inputs.map((v) => v?.name ?? '');
  if (node.outputs.length) msg.output = node.outputs.map((v) => v?.name ?? '');
  set(msg, 'name', node.name);
  msg.op_type = node.opType;
  set(msg, 'domain', node.domain);
  set(msg, 'overload', node.overload);
  if (node.attributes.size) msg.attribute = [...node.attributes.values()].map((a) => serializeAttribute(a, ctx));
  set(msg, 'doc_string', node.docString);
  set(msg, 'metadata_props', entries(node.metadataProps));
  return msg;
}

/** Defines every output of a node list in the scope first, so nodes may appear before their producers. */
function defineOutputs(nodes: NodeProto[], scope: Scope): (Value | null)[][] {
  return nodes.map((n) =>
    (n.output ?? []).map((name) => {
      if (name === '') return null;
      const v = new Value(name);
      scope.define(v);
      return v;
    }),
  );
}

/** Initializers whose name a later one reuses, as read, with their index in the file's list (ascending). */
interface ShadowedInitializer {
  index: number;
  message: TensorProto;
}
const SHADOWED_INITIALIZERS = '$shadowedInitializers';

/** `list` with each shadowed message put back at its index (in one pass: a file may repeat a name thousands of times). */
function mergeAtIndexes(list: TensorProto[], shadowed: readonly ShadowedInitializer[]): TensorProto[] {
  const out: TensorProto[] = [];
  let next = 0;
  for (const { index, message } of shadowed) {
    while (out.length < index && next < list.length) out.push(list[next++]!);
    out.push(message);
  }
  while (next < list.length) out.push(list[next++]!);
  return out;
}

const GRAPH_FIELDS = ['node', 'name', 'initializer', 'doc_string', 'input', 'output', 'value_info', 'metadata_props'];

function deserializeGraph(msg: GraphProto, ctx: DeserializeContext, scope: Scope, parentNode?: Node): Graph {
  const graph = new Graph({ name: msg.name });
  graph.docString = msg.doc_string;
  graph.metadataProps = pairs(msg.metadata_props);
  graph.preserved = rest(msg, GRAPH_FIELDS);
  graph.parentNode = parentNode;

  for (const vi of msg.input ?? []) {
    const v = new Value(vi.name ?? '');
    applyValueInfo(v, vi);
    scope.define(v);
    graph.inputs.push(v);
  }
  // Each initializer takes the first input of its name that has none yet; indexed so that
  // a file with many inputs and initializers does not take quadratic time.
  const inputsByName = new Map<string, { values: Value[]; next: number }>();
  for (const v of graph.inputs) {
    const entry = inputsByName.get(v.name);
    if (entry) entry.values.push(v);
    else inputsByName.set(v.name, { values: [v], next: 0 });
  }
  // A name given twice: the later tensor is the one in effect (as in ONNX Runtime). The earlier is kept as it
  // was read, only to be written back in its place (inline data only: an external reference would point into
  // a data file that a save may rewrite).
  const latest = new Map<string, { value: Value; index: number; message: TensorProto }>();
  const shadowed: ShadowedInitializer[] = [];
  (msg.initializer ?? []).forEach((t, index) => {
    const tensor = deserializeTensor(t, ctx);
    const name = tensor.name ?? '';
    const earlier = latest.get(name);
    if (earlier) {
      if (!earlier.value.initializer!.isExternal) shadowed.push({ index: earlier.index, message: earlier.message });
      graph.initializers.delete(name);
    }
    const entry = inputsByName.get(name);
    const existing = entry ? entry.values[entry.next++] : undefined;
    const v = existing ?? new Value(name);
    v.initializer = tensor;
    if (!existing) scope.define(v);
    graph.addInitializer(v);
    latest.set(name, { value: v, index, message: t });
  });
  if (shadowed.length > 0) graph.preserved = { ...graph.preserved, [SHADOWED_INITIALIZERS]: shadowed } as Preserved;
  const nodeMsgs = msg.node ?? [];
  const outputs = defineOutputs(nodeMsgs, scope);
  nodeMsgs.forEach((n, i) => graph.append(deserializeNode(n, ctx, scope, outputs[i]!)));
  for (const vi of msg.output ?? []) {
    const v = scope.lookupOrCreate(vi.name ?? '');
    applyValueInfo(v, vi);
    graph.appendOutput(v);
  }
  for (const vi of msg.value_info ?? []) {
    const v = scope.lookupOrCreate(vi.name ?? '');
    applyValueInfo(v, vi);
    graph.valueInfo.push(v);
  }
  return graph;
}

function serializeGraph(graph: Graph, ctx: SerializeContext): GraphProto {
  const msg: GraphProto = withPreserved(graph.preserved);
  const shadowed = msg[SHADOWED_INITIALIZERS] as ShadowedInitializer[] | undefined;
  delete msg[SHADOWED_INITIALIZERS];
  if (graph.nodeCount) msg.node = [...graph.nodes].map((n) => serializeNode(n, ctx));
  set(msg, 'name', graph.name);
  if (graph.initializers.size) {
    const list = [...graph.initializers.values()].map((v) => serializeTensor(v.initializer!, ctx, v.name));
    // ONNX Runtime types a name by its first tensor and reads its last: a shadowed tensor whose name a pass
    // retyped or removed would make the model invalid, so only those still matching are written back.
    const stillMatching = (shadowed ?? []).filter(
      ({ message }) => graph.initializers.get(message.name as string)?.initializer?.dataType === message.data_type,
    );
    msg.initializer = stillMatching.length > 0 ? mergeAtIndexes(list, stillMatching) : list;
  }
  set(msg, 'doc_string', graph.docString);
  if (graph.inputs.length) msg.input = graph.inputs.map(serializeValueInfo);
  if (graph.outputs.length) msg.output = graph.outputs.map(serializeValueInfo);
  if (graph.valueInfo.length) msg.value_info = graph.valueInfo.map(serializeValueInfo);
  set(msg, 'metadata_props', entries(graph.metadataProps));
  return msg;
}

// ---------------------------------------------------------------------------
// Functions and models

function deserializeOpsets(list: OperatorSetIdProto[] | undefined): OpsetImport[] {
  return (list ?? []).map((o) => ({ domain: o.domain, version: o.version, preserved: rest(o, ['domain', 'version']) }));
}

function serializeOpsets(list: OpsetImport[]): OperatorSetIdProto[] | undefined {
  if (list.length === 0) return undefined;
  return list.map((o) => {
    const m: OperatorSetIdProto = withPreserved(o.preserved);
    set(m, 'domain', o.domain);
    set(m, 'version', o.version);
    return m;
  });
}

const FUNCTION_FIELDS = [
  'name',
  'domain',
  'overload',
  'input',
  'output',
  'attribute',
  'attribute_proto',
  'node',
  'doc_string',
  'opset_import',
  'value_info',
  'metadata_props',
];

function deserializeFunction(msg: FunctionProto, ctx: DeserializeContext): OnnxFunction {
  const scope = new Scope();
  const body = new Graph();
  for (const name of msg.input ?? []) {
    const v = new Value(name);
    scope.define(v);
    body.inputs.push(v);
  }
  const nodeMsgs = msg.node ?? [];
  const outputs = defineOutputs(nodeMsgs, scope);
  nodeMsgs.forEach((n, i) => body.append(deserializeNode(n, ctx, scope, outputs[i]!)));
  for (const name of msg.output ?? []) body.appendOutput(scope.lookupOrCreate(name));
  for (const vi of msg.value_info ?? []) {
    const v = scope.lookupOrCreate(vi.name ?? '');
    applyValueInfo(v, vi);
    body.valueInfo.push(v);
  }
  const fn = new OnnxFunction({ name: msg.name, domain: msg.domain, body });
  fn.overload = msg.overload;
  fn.docString = msg.doc_string;
  fn.attributeNames = msg.attribute ?? [];
  fn.attributeDefaults = (msg.attribute_proto ?? []).map((a) => deserializeAttribute(a, ctx, scope, undefined));
  fn.opsetImports = deserializeOpsets(msg.opset_import);
  fn.metadataProps = pairs(msg.metadata_props);
  fn.preserved = rest(msg, FUNCTION_FIELDS);
  return fn;
}

function serializeFunction(fn: OnnxFunction, ctx: SerializeContext): FunctionProto {
  const msg: FunctionProto = withPreserved(fn.preserved);
  set(msg, 'name', fn.name);
  set(msg, 'domain', fn.domain);
  set(msg, 'overload', fn.overload);
  if (fn.body.inputs.length) msg.input = fn.body.inputs.map((v) => v.name);
  if (fn.body.outputs.length) msg.output = fn.body.outputs.map((v) => v.name);
  if (fn.attributeNames.length) msg.attribute = fn.attributeNames;
  if (fn.attributeDefaults.length) msg.attribute_proto = fn.attributeDefaults.map((a) => serializeAttribute(a, ctx));
  if (fn.body.nodeCount) msg.node = [...fn.body.nodes].map((n) => serializeNode(n, ctx));
  set(msg, 'doc_string', fn.docString);
  set(msg, 'opset_import', serializeOpsets(fn.opsetImports));
  if (fn.body.valueInfo.length) msg.value_info = fn.body.valueInfo.map(serializeValueInfo);
  set(msg, 'metadata_props', entries(fn.metadataProps));
  return msg;
}

const MODEL_FIELDS = [
  'ir_version',
  'opset_import',
  'producer_name',
  'producer_version',
  'domain',
  'model_version',
  'doc_string',
  'graph',
  'metadata_props',
  'functions',
];

export function deserializeModel(msg: ModelProto, ctx: DeserializeContext = {}): Model {
  const graph = msg.graph ? deserializeGraph(msg.graph, ctx, new Scope()) : new Graph();
  const model = new Model({
    graph,
    irVersion: msg.ir_version,
    opsetImports: deserializeOpsets(msg.opset_import),
    producerName: msg.producer_name,
    producerVersion: msg.producer_version,
  });
  model.domain = msg.domain;
  model.modelVersion = msg.model_version;
  model.docString = msg.doc_string;
  model.metadataProps = pairs(msg.metadata_props);
  model.functions = (msg.functions ?? []).map((f) => deserializeFunction(f, ctx));
  let preserved = rest(msg, MODEL_FIELDS);
  if (!msg.graph) preserved = { ...(preserved ?? {}), $noGraph: true } as unknown as Preserved;
  model.preserved = preserved;
  return model;
}

export function serializeModel(model: Model, ctx: SerializeContext = {}): ModelProto {
  const { $noGraph, ...others } = (model.preserved ?? {}) as Record<string, unknown>;
  const msg: ModelProto = withPreserved(others as Preserved);
  set(msg, 'ir_version', model.irVersion);
  set(msg, 'opset_import', serializeOpsets(model.opsetImports));
  set(msg, 'producer_name', model.producerName);
  set(msg, 'producer_version', model.producerVersion);
  set(msg, 'domain', model.domain);
  set(msg, 'model_version', model.modelVersion);
  set(msg, 'doc_string', model.docString);
  const emptyGraph = model.graph.nodeCount === 0 && model.graph.inputs.length === 0 && model.graph.outputs.length === 0;
  if (!($noGraph && emptyGraph)) msg.graph = serializeGraph(model.graph, ctx);
  set(msg, 'metadata_props', entries(model.metadataProps));
  if (model.functions.length) msg.functions = model.functions.map((f) => serializeFunction(f, ctx));
  return msg;
}
