/**
 * A hash of a model's graph structure, without weights: `report compare` uses the baselines' hashes to refuse
 * comparing reports of two different models.
 *
 * What goes in (format 'onnxpress-graph/1', one line per item, SHA-256 over the UTF-8 text): the opset imports
 * (sorted by domain); per graph its inputs (name and type), its nodes in file order (domain, op type, attributes
 * sorted by name, inputs, number of outputs) and its outputs (name, type, where the value comes from). Values inside
 * the graph are named by where they come from (graph input i, node j's output k, constant m with its element type and
 * dims), so renaming internal values does not change the hash; weights (initializer data, Constant and TENSOR
 * attribute values) are represented by their element type and dims only. Node names, doc strings, metadata and the
 * producer are left out. Subgraphs (If/Loop/Scan bodies) and model-local functions are hashed the same way.
 */
import { createHash } from 'node:crypto';
import { AttrType, type Attribute } from '../ir/attribute.js';
import { normalizeDomain } from '../ir/domain.js';
import type { Graph, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import type { TypeInfo } from '../ir/types.js';

export const GRAPH_HASH_FORMAT = 'onnxpress-graph/1';

/** SHA-256 (hex) of the model's graph structure; see the module comment for what it covers. */
export function graphHash(model: Model): string {
  const hash = createHash('sha256');
  const write = (line: string) => hash.update(`${line}\n`, 'utf8');
  write(GRAPH_HASH_FORMAT);
  const opsets = model.opsetImports.map((o) => `${normalizeDomain(o.domain)}=${String(o.version)}`).sort();
  write(`opsets ${opsets.join(' ')}`);
  hashGraph(model.graph, new Map(), write);
  for (const f of model.functions) {
    write(`function ${normalizeDomain(f.domain)}::${f.name ?? ''} attrs=${f.attributeNames.join(',')}`);
    hashGraph(f.body, new Map(), write);
  }
  return hash.digest('hex');
}

/** Writes one graph; `outer` names the values of enclosing graphs that a subgraph reads. */
function hashGraph(graph: Graph, outer: ReadonlyMap<Value, string>, write: (line: string) => void, level = 0): void {
  const ids = new Map(outer);
  let constants = 0;
  const depth = level === 0 ? '' : `${level}:`;
  write(`graph inputs=${graph.inputs.length}`);
  graph.inputs.forEach((v, i) => {
    ids.set(v, `${depth}in${i}`);
    write(`input ${i} ${JSON.stringify(v.name)} ${typeText(v.type)}${v.initializer ? ` init=${tensorShape(v.initializer)}` : ''}`);
  });
  const idOf = (v: Value | null): string => {
    if (v === null) return '-';
    const known = ids.get(v);
    if (known !== undefined) return known;
    // Initializers and values from outside any hashed graph: named by first use, constants with their shape.
    const id = v.initializer ? `${depth}w${constants++}:${tensorShape(v.initializer)}` : `${depth}free:${JSON.stringify(v.name)}`;
    ids.set(v, id);
    return id;
  };
  let index = 0;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(idOf).join(',');
    node.outputs.forEach((v, k) => {
      if (v) ids.set(v, `${depth}n${index}.${k}`);
    });
    const attrs = [...node.attributes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    write(`node ${index} ${normalizeDomain(node.domain)}::${node.opType} in=${inputs} out=${node.outputs.length} attrs=${attrs.length}`);
    for (const attr of attrs) {
      write(`attr ${attr.name} ${attributeText(attr)}`);
      for (const sub of attr.graphs()) hashGraph(sub, ids, write, level + 1);
    }
    index++;
  }
  graph.outputs.forEach((v, i) => write(`output ${i} ${JSON.stringify(v.name)} ${typeText(v.type)} from=${idOf(v)}`));
}

function attributeText(attr: Attribute): string {
  const v = attr.value;
  switch (attr.type) {
    // FLOAT attributes are float32 in the file: a model built in memory may still hold the float64 it was given.
    case AttrType.FLOAT:
      return `${attr.type}:${String(Math.fround(Number(v)))}`;
    case AttrType.INT:
      return `${attr.type}:${typeof v === 'bigint' ? v.toString() : String(Number(v))}`;
    case AttrType.STRING:
      return `${attr.type}:${bytesText(v as Uint8Array)}`;
    case AttrType.FLOATS:
      return `${attr.type}:${Array.from(v as Float32Array | number[], (f) => String(Math.fround(f))).join(',')}`;
    case AttrType.INTS:
      return `${attr.type}:${(v as (number | bigint)[]).map(String).join(',')}`;
    case AttrType.STRINGS:
      return `${attr.type}:${(v as Uint8Array[]).map(bytesText).join(',')}`;
    case AttrType.TENSOR:
      return `${attr.type}:${v ? tensorShape(v as Tensor) : '-'}`;
    case AttrType.TENSORS:
      return `${attr.type}:${(v as Tensor[]).map(tensorShape).join(',')}`;
    case AttrType.GRAPH:
    case AttrType.GRAPHS:
      return `${attr.type}:${attr.graphs().length}`;
    case AttrType.SPARSE_TENSOR:
    case AttrType.SPARSE_TENSORS: {
      const list = (Array.isArray(v) ? v : [v]) as { values?: Tensor; dims: (number | bigint)[] }[];
      return `${attr.type}:${list.map((s) => `${s.values?.dataType ?? '?'}[${s.dims.map(String).join(',')}]`).join(',')}`;
    }
    case AttrType.TYPE_PROTO:
      return `${attr.type}:${typeText(v as TypeInfo)}`;
    case AttrType.TYPE_PROTOS:
      return `${attr.type}:${(v as TypeInfo[]).map(typeText).join(',')}`;
    default:
      return `${attr.type}:${attr.extra.refAttrName !== undefined ? `ref=${attr.extra.refAttrName}` : '?'}`;
  }
}

function bytesText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function tensorShape(t: Tensor): string {
  return `${t.dataType}[${t.dims.map(String).join(',')}]`;
}

function typeText(type: TypeInfo | undefined): string {
  if (!type) return '?';
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const dims = type.shape
        ? `[${type.shape.dims.map((d) => (d.value !== undefined ? String(d.value) : d.param !== undefined ? JSON.stringify(d.param) : '?')).join(',')}]`
        : '';
      return `${type.kind}(${type.elemType ?? '?'})${dims}`;
    }
    case 'sequence':
    case 'optional':
      return `${type.kind}(${typeText(type.elem)})`;
    case 'map':
      return `map(${type.keyType ?? '?'},${typeText(type.value)})`;
    case 'opaque':
      return `opaque(${type.domain ?? ''},${type.name ?? ''})`;
    default:
      return type.kind;
  }
}
