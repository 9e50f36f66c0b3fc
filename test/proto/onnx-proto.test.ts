/**
 * Files onnxpress writes, read by an independent decoder: onnx-proto (protobufjs code generated from onnx 1.10's
 * schema) decodes every corpus model and fixture after load + save through our codec, and fp16 and int8 conversions
 * of the fixtures; what it sees must be what our IR says was written: ir_version, opset imports, graph inputs and
 * outputs with their types, nodes (op type, domain, name, inputs, outputs, attributes and their values),
 * initializers (name, dims, data type, which field holds the data, and the data), in every subgraph.
 *
 * For the unchanged files the decoder also reads the original, which must look the same; and the corpus models'
 * meta.json (written by the corpus's exporter) must agree with the decoder on operator counts and input/output types.
 * Fields newer than onnx 1.10 are not seen by this decoder (schema.test.ts checks those numbers against onnx 1.20).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttrType, type Attribute, type SparseTensor } from '../../src/ir/attribute.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Dim, TypeInfo } from '../../src/ir/types.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { toFloat16 } from '../../src/passes/fp16/convert.js';
import { quantizeDynamic } from '../../src/passes/quantize/quantize.js';
import { CORPUS, CORPUS_MODELS_DIR, HAVE_CORPUS, onnxFilesUnder, REPO_ROOT } from '../helpers/corpus.js';
import {
  AttributeTypes as T,
  DataTypes,
  decodeModel,
  type AttributeMsg,
  type DimMsg,
  type GraphMsg,
  has,
  int64,
  type ModelMsg,
  type SparseTensorMsg,
  type TensorMsg,
  type TypeMsg,
  type ValueInfoMsg,
} from '../helpers/onnx-proto.js';
import { tempDir } from '../helpers/temp.js';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const bytesOf = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// ---------------------------------------------------------------------------------------------
// What onnx-proto decoded, as plain data.

function protoDim(d: DimMsg): string {
  if (has(d, 'dimValue')) return int64(d.dimValue);
  if (has(d, 'dimParam')) return `'${d.dimParam}'`;
  return '?';
}

function protoType(t: TypeMsg | null): unknown {
  if (!t) return null;
  const tensor = t.tensorType ?? t.sparseTensorType;
  if (tensor)
    return { kind: t.tensorType ? 'tensor' : 'sparse_tensor', elem: tensor.elemType, shape: tensor.shape ? tensor.shape.dim.map(protoDim) : null };
  if (t.sequenceType) return { kind: 'sequence', elem: protoType(t.sequenceType.elemType) };
  if (t.optionalType) return { kind: 'optional', elem: protoType(t.optionalType.elemType) };
  if (t.mapType) return { kind: 'map', key: t.mapType.keyType, value: protoType(t.mapType.valueType) };
  return { kind: 'none' };
}

function protoTensor(t: TensorMsg): unknown {
  let data: unknown;
  if (has(t, 'rawData')) data = { raw_data: sha(t.rawData) };
  else if (t.externalData.length > 0) data = { external: t.externalData.map((e) => [e.key, e.value]) };
  else if (t.floatData.length > 0) data = { float_data: sha(bytesOf(Float32Array.from(t.floatData))) };
  else if (t.int32Data.length > 0) data = { int32_data: sha(bytesOf(Int32Array.from(t.int32Data))) };
  else if (t.int64Data.length > 0) data = { int64_data: t.int64Data.map(int64).join(',') };
  else if (t.uint64Data.length > 0) data = { uint64_data: t.uint64Data.map(int64).join(',') };
  else if (t.doubleData.length > 0) data = { double_data: sha(bytesOf(Float64Array.from(t.doubleData))) };
  else if (t.stringData.length > 0) data = { string_data: t.stringData.map(hex) };
  else data = 'none';
  return { name: t.name, dataType: t.dataType, dims: t.dims.map(int64), data };
}

function protoSparse(s: SparseTensorMsg | null): unknown {
  if (!s) return null;
  return { values: s.values ? protoTensor(s.values) : null, indices: s.indices ? protoTensor(s.indices) : null, dims: s.dims.map(int64) };
}

function protoAttribute(a: AttributeMsg): unknown {
  const values: Record<number, () => unknown> = {
    [T.FLOAT]: () => a.f,
    [T.INT]: () => int64(a.i),
    [T.STRING]: () => hex(a.s),
    [T.TENSOR]: () => (a.t ? protoTensor(a.t) : null),
    [T.GRAPH]: () => (a.g ? protoGraph(a.g) : null),
    [T.SPARSE_TENSOR]: () => protoSparse(a.sparseTensor),
    [T.TYPE_PROTO]: () => protoType(a.tp),
    [T.FLOATS]: () => a.floats,
    [T.INTS]: () => a.ints.map(int64),
    [T.STRINGS]: () => a.strings.map(hex),
    [T.TENSORS]: () => a.tensors.map(protoTensor),
    [T.GRAPHS]: () => a.graphs.map(protoGraph),
    [T.SPARSE_TENSORS]: () => a.sparseTensors.map(protoSparse),
    [T.TYPE_PROTOS]: () => a.typeProtos.map(protoType),
  };
  return { name: a.name, type: a.type, refAttrName: a.refAttrName, docString: a.docString, value: values[a.type]?.() };
}

function protoGraph(g: GraphMsg): unknown {
  const valueInfo = (v: ValueInfoMsg) => ({ name: v.name, type: protoType(v.type) });
  return {
    name: g.name,
    docString: g.docString,
    inputs: g.input.map(valueInfo),
    outputs: g.output.map(valueInfo),
    valueInfo: g.valueInfo.map(valueInfo),
    initializers: g.initializer.map(protoTensor),
    nodes: g.node.map((n) => ({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      inputs: n.input,
      outputs: n.output,
      attributes: n.attribute.map(protoAttribute),
    })),
  };
}

function protoModel(m: ModelMsg): unknown {
  return {
    irVersion: int64(m.irVersion),
    opsets: m.opsetImport.map((o) => [o.domain, int64(o.version)]),
    producer: [m.producerName, m.producerVersion, m.domain, int64(m.modelVersion), m.docString],
    metadata: m.metadataProps.map((e) => [e.key, e.value]),
    functions: m.functions.map((f) => ({ name: f.name, domain: f.domain, nodes: f.node.map((n) => [n.domain, n.opType]) })),
    graph: m.graph ? protoGraph(m.graph) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// What the IR says, as the same plain data.

const irDim = (d: Dim): string => (d.value !== undefined ? int64(d.value) : d.param !== undefined ? `'${d.param}'` : '?');

function irType(t: TypeInfo | undefined): unknown {
  if (!t) return null;
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return { kind: t.kind, elem: t.elemType ?? 0, shape: t.shape ? t.shape.dims.map(irDim) : null };
    case 'sequence':
    case 'optional':
      return { kind: t.kind, elem: irType(t.elem) };
    case 'map':
      return { kind: 'map', key: t.keyType ?? 0, value: irType(t.value) };
    default:
      return { kind: t.kind };
  }
}

function irTensor(t: Tensor, name = t.name): unknown {
  const s = t.storage;
  let data: unknown;
  switch (s.kind) {
    case 'raw':
    case 'deferred':
      data = { raw_data: sha(t.rawBytes()) };
      break;
    case 'external':
      data = { external: s.ref.entries };
      break;
    case 'float_data':
    case 'int32_data':
    case 'double_data':
      data = { [s.kind]: sha(bytesOf(s.values)) };
      break;
    case 'int64_data':
    case 'uint64_data':
      data = { [s.kind]: s.values.map(int64).join(',') };
      break;
    case 'string_data':
      data = { string_data: s.values.map(hex) };
      break;
    case 'none':
      data = 'none';
  }
  return { name: name ?? '', dataType: t.dataType, dims: t.dims.map(int64), data };
}

function irSparse(s: SparseTensor): unknown {
  return { values: s.values ? irTensor(s.values) : null, indices: s.indices ? irTensor(s.indices) : null, dims: s.dims.map(int64) };
}

function irAttribute(a: Attribute): unknown {
  const v = a.value;
  const values: Partial<Record<AttrType, () => unknown>> = {
    [AttrType.FLOAT]: () => v,
    [AttrType.INT]: () => int64(v),
    [AttrType.STRING]: () => hex(v as Uint8Array),
    [AttrType.TENSOR]: () => irTensor(v as Tensor),
    [AttrType.GRAPH]: () => irGraph(v as Graph),
    [AttrType.SPARSE_TENSOR]: () => irSparse(v as SparseTensor),
    [AttrType.TYPE_PROTO]: () => irType(v as TypeInfo),
    [AttrType.FLOATS]: () => Array.from(v as Float32Array),
    [AttrType.INTS]: () => (v as (number | bigint)[]).map(int64),
    [AttrType.STRINGS]: () => (v as Uint8Array[]).map(hex),
    [AttrType.TENSORS]: () => (v as Tensor[]).map((t) => irTensor(t)),
    [AttrType.GRAPHS]: () => (v as Graph[]).map(irGraph),
    [AttrType.SPARSE_TENSORS]: () => (v as SparseTensor[]).map(irSparse),
    [AttrType.TYPE_PROTOS]: () => (v as TypeInfo[]).map(irType),
  };
  return { name: a.name, type: a.type, refAttrName: a.extra.refAttrName ?? '', docString: a.extra.docString ?? '', value: values[a.type]?.() };
}

function irGraph(g: Graph): unknown {
  return {
    name: g.name ?? '',
    docString: g.docString ?? '',
    inputs: g.inputs.map((v) => ({ name: v.name, type: irType(v.type) })),
    outputs: g.outputs.map((v) => ({ name: v.name, type: irType(v.type) })),
    valueInfo: g.valueInfo.map((v) => ({ name: v.name, type: irType(v.type) })),
    initializers: [...g.initializers.values()].map((v) => irTensor(v.initializer!, v.name)),
    nodes: [...g.nodes].map((n) => ({
      opType: n.opType,
      domain: n.domain ?? '',
      name: n.name ?? '',
      inputs: n.inputs.map((v) => v?.name ?? ''),
      outputs: n.outputs.map((v) => v?.name ?? ''),
      attributes: [...n.attributes.values()].map(irAttribute),
    })),
  };
}

function irModel(m: Model): unknown {
  return {
    irVersion: int64(m.irVersion),
    opsets: m.opsetImports.map((o) => [o.domain ?? '', int64(o.version)]),
    producer: [m.producerName ?? '', m.producerVersion ?? '', m.domain ?? '', int64(m.modelVersion), m.docString ?? ''],
    metadata: m.metadataProps ?? [],
    functions: m.functions.map((f) => ({
      name: f.name ?? '',
      domain: f.domain ?? '',
      nodes: [...f.body.nodes].map((n) => [n.domain ?? '', n.opType]),
    })),
    graph: irGraph(m.graph),
  };
}

// ---------------------------------------------------------------------------------------------

const out = tempDir('onnxpress-onnx-proto-');
let written = 0;

/** Saves the model with saveModel and decodes the file with onnx-proto; the IR and the decoder must agree. */
function writeAndDecode(model: Model): ModelMsg & { graph: GraphMsg } {
  const file = path.join(out, `${written++}.onnx`);
  saveModel(model, file);
  const decoded = decodeModel(readFileSync(file));
  expect(protoModel(decoded)).toEqual(irModel(model));
  expect(decoded.graph).not.toBeNull();
  return decoded as ModelMsg & { graph: GraphMsg };
}

const FIXTURES = readdirSync(path.join(REPO_ROOT, 'fixtures'))
  .map((name) => path.join(REPO_ROOT, 'fixtures', name, 'model.onnx'))
  .filter((file) => existsSync(file));

interface Meta {
  ops: Record<string, number>;
  ir_version: number;
  opset: Record<string, number>;
  inputs: Record<string, [string, (string | number)[]]>;
  outputs: Record<string, [string, (string | number)[]]>;
}

describe('onnx-proto reads what onnxpress writes', () => {
  it('finds the fixtures', () => {
    expect(FIXTURES.map((f) => path.basename(path.dirname(f)))).toEqual(['char_gpt', 'digits_cnn']);
  });

  const unchanged = [...FIXTURES, ...(HAVE_CORPUS ? onnxFilesUnder(CORPUS_MODELS_DIR) : [])];
  const label = (file: string): string => (file.startsWith(CORPUS) ? `corpus/${path.relative(CORPUS, file)}` : path.relative(REPO_ROOT, file));
  it.each(unchanged.map((file) => [label(file), file]))('%s, loaded and saved', (_name, file) => {
    const decoded = writeAndDecode(loadModel(file));
    // The original file, read by the same decoder, says the same.
    expect(protoModel(decoded)).toEqual(protoModel(decodeModel(readFileSync(file))));
  });

  describe.skipIf(!HAVE_CORPUS)("agrees with the corpus's meta.json", () => {
    const models = HAVE_CORPUS ? readdirSync(CORPUS_MODELS_DIR).filter((m) => existsSync(path.join(CORPUS_MODELS_DIR, m, 'meta.json'))) : [];
    it.each(models)('%s: operator counts, input and output types, IR version and opset', (name) => {
      const meta = JSON.parse(readFileSync(path.join(CORPUS_MODELS_DIR, name, 'meta.json'), 'utf8')) as Meta;
      const { graph, irVersion, opsetImport } = writeAndDecode(loadModel(path.join(CORPUS_MODELS_DIR, name, 'model.onnx')));
      const ops: Record<string, number> = {};
      for (const n of graph.node) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
      expect(ops).toEqual(meta.ops);
      expect(Number(int64(irVersion))).toBe(meta.ir_version);
      expect(Object.fromEntries(opsetImport.map((o) => [o.domain || 'ai.onnx', Number(int64(o.version))]))).toEqual(meta.opset);
      const TYPE_NAMES: Record<number, string> = { 1: 'tensor(float)', 6: 'tensor(int32)', 7: 'tensor(int64)', 9: 'tensor(bool)' };
      const io = (list: ValueInfoMsg[]) =>
        Object.fromEntries(
          list.map((v) => {
            const tensor = v.type?.tensorType;
            const dims = tensor?.shape?.dim.map((d) => (has(d, 'dimParam') ? d.dimParam : Number(int64(d.dimValue))));
            return [v.name, [TYPE_NAMES[tensor?.elemType ?? 0], dims]];
          }),
        );
      const initializers = new Set(graph.initializer.map((t) => t.name));
      expect(io(graph.input.filter((v) => !initializers.has(v.name)))).toEqual(meta.inputs);
      expect(io(graph.output)).toEqual(meta.outputs);
    });
  });

  describe.each(FIXTURES.map((file) => [path.basename(path.dirname(file)), file]))('%s, converted', (_name, file) => {
    const count = (decoded: { graph: GraphMsg }, dataType: number): number => decoded.graph.initializer.filter((t) => t.dataType === dataType).length;

    it('to fp16 (keep-io-types)', () => {
      const model = loadModel(file);
      toFloat16(model, { keepIoTypes: true });
      const decoded = writeAndDecode(model);
      expect(count(decoded, DataTypes.FLOAT16)).toBeGreaterThan(0);
      expect(count(decoded, DataTypes.FLOAT)).toBe(0);
      expect(decoded.graph.node.some((n) => n.opType === 'Cast')).toBe(true);
    });

    it('to int8 (QOperator) and to int8 per channel (QDQ)', () => {
      const qoperator = loadModel(file);
      quantizeDynamic(qoperator);
      expect(count(writeAndDecode(qoperator), DataTypes.INT8)).toBeGreaterThan(0);
      const qdq = loadModel(file);
      quantizeDynamic(qdq, { format: 'qdq', perChannel: true });
      expect(writeAndDecode(qdq).graph.node.some((n) => n.opType === 'DequantizeLinear')).toBe(true);
    });
  });
});
