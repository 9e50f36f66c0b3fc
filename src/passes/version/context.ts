/**
 * What the version adapters share while one model is upgraded: fresh names, element types and ranks of values
 * (declared or inferred before the upgrade), constants made as initializers (or Constant nodes where a graph
 * cannot hold initializers), nodes made next to the node being adapted, and the opset each node is written for.
 */
import { Attribute, AttrType } from '../../ir/attribute.js';
import { DataType, type TypedArray } from '../../ir/dtypes.js';
import { toFloat16Bits } from '../../ir/float16.js';
import { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { type Int64, Tensor } from '../../ir/tensor.js';
import { dimsOf, tensorType } from '../../ir/types.js';
import { tensorElem, type TypeInference } from '../elem-types.js';
import type { NameAllocator } from '../names.js';

export interface NodeSpec {
  opType: string;
  inputs: readonly (Value | null)[];
  attributes?: readonly Attribute[];
  /** Output values to use (they must have no producer), or how many fresh ones to make (default 1). */
  outputs?: readonly Value[] | number;
  /** Base of the fresh names. */
  base?: string;
}

export class UpgradeContext {
  /** The opset each node is written for; nodes not listed are written for their scope's source opset. */
  readonly writtenAt = new Map<Node, number>();
  /** The opset step being applied: nodes made now are written for it. */
  step = 0;
  readonly notes = new Set<string>();
  /** Graphs that cannot hold initializers (function bodies and their subgraphs): constants become Constant nodes. */
  private readonly noInitializers = new Set<Graph>();

  constructor(
    readonly model: Model,
    readonly names: NameAllocator,
    private readonly types: TypeInference,
    /** IR version of the upgraded model: below 4, initializers would have to be graph inputs too. */
    readonly irVersion: number,
  ) {
    for (const f of model.functions) for (const g of f.body.allGraphs()) this.noInitializers.add(g);
  }

  graphOf(node: Node): Graph {
    if (!node.graph) throw new Error(`${node.describe()} is in no graph`);
    return node.graph;
  }

  /** The element type of a tensor value, when declared or inferred. */
  elemType(value: Value | null): DataType | undefined {
    if (!value) return undefined;
    if (value.initializer) return value.initializer.dataType;
    return tensorElem(value.type) ?? tensorElem(this.types.typeOf(value));
  }

  /** The rank of a value, when a declared shape or a constant gives it. */
  rank(value: Value | null): number | undefined {
    if (!value) return undefined;
    if (value.initializer) return value.initializer.dims.length;
    return dimsOf(value.type)?.length;
  }

  /** A fresh value named after `base`. */
  value(base: string, elemType?: DataType): Value {
    const v = new Value(this.names.fresh(base));
    if (elemType !== undefined) v.type = tensorType(elemType);
    return v;
  }

  /** A node made for the current step, inserted just before `ref` (in ref's graph). Returns it. */
  insertBefore(ref: Node, spec: NodeSpec): Node {
    const node = this.make(spec, ref);
    this.graphOf(ref).insertBefore(ref, node);
    return node;
  }

  /** A node made for the current step, inserted just after `ref`. */
  insertAfter(ref: Node, spec: NodeSpec): Node {
    const node = this.make(spec, ref);
    this.graphOf(ref).insertAfter(ref, node);
    return node;
  }

  /** A node made for the current step, not in any graph yet. */
  make(spec: NodeSpec, near?: Node): Node {
    const base = spec.base ?? `${near?.name || near?.outputs[0]?.name || 'upgrade'}_${spec.opType.toLowerCase()}`;
    const outputs =
      typeof spec.outputs === 'object' ? spec.outputs : Array.from({ length: spec.outputs ?? 1 }, (_, i) => this.value(`${base}${i ? `_${i}` : ''}`));
    const node = new Node({
      opType: spec.opType,
      domain: near?.domain,
      name: this.names.fresh(base),
      inputs: spec.inputs,
      outputs,
      attributes: spec.attributes ?? [],
    });
    for (const g of node.subgraphs()) g.parentNode = node;
    this.writtenAt.set(node, this.step);
    return node;
  }

  /**
   * Replaces `old` by a node of another op (or the same op rebuilt): the new node takes old's name, domain and
   * output values (`keepOutputs` of them, default all), and old is removed. Returns the new node.
   */
  replace(old: Node, spec: Omit<NodeSpec, 'outputs'>, keepOutputs = old.outputs.length): Node {
    const outputs: (Value | null)[] = [];
    for (let i = 0; i < keepOutputs; i++) {
      const out = old.outputs[i] ?? null;
      if (out) old.setOutput(i, null);
      outputs.push(out);
    }
    while (outputs.length > 0 && outputs[outputs.length - 1] === null) outputs.pop();
    const node = new Node({
      opType: spec.opType,
      domain: old.domain,
      name: old.name,
      inputs: spec.inputs,
      outputs,
      attributes: spec.attributes ?? [],
      docString: old.docString,
    });
    node.metadataProps = old.metadataProps;
    for (const g of node.subgraphs()) g.parentNode = node;
    this.writtenAt.set(node, this.step);
    this.swap(old, node);
    return node;
  }

  /** Puts `node` (which already took over the outputs it keeps) in place of `old`, and removes old. */
  swap(old: Node, node: Node): void {
    const graph = this.graphOf(old);
    graph.insertBefore(old, node);
    // Subgraphs the new node took over must keep their uses of outer values: old no longer holds them.
    old.attributes.clear();
    graph.remove(old);
  }

  /** A constant tensor for `node` to read: an initializer of its graph, or a Constant node before it. */
  constant(node: Node, base: string, dataType: DataType, dims: readonly Int64[], data: TypedArray): Value {
    const graph = this.graphOf(node);
    const name = this.names.fresh(`${node.name || node.outputs[0]?.name || 'upgrade'}_${base}`);
    const tensor = Tensor.fromArray(name, dataType, dims, data);
    if (this.irVersion >= 4 && !this.noInitializers.has(graph)) {
      const value = new Value(name);
      value.initializer = tensor;
      graph.addInitializer(value);
      return value;
    }
    const value = new Value(name, tensorType(dataType, dims.map(Number)));
    const constant = new Node({ opType: 'Constant', domain: node.domain, name, outputs: [value], attributes: [Attribute.tensor('value', tensor)] });
    this.writtenAt.set(constant, this.step);
    graph.insertBefore(node, constant);
    return value;
  }

  /** An int64 constant (a 1-D list, or a scalar with `scalar`). */
  int64s(node: Node, base: string, values: readonly Int64[], scalar = false): Value {
    return this.constant(
      node,
      base,
      DataType.INT64,
      scalar ? [] : [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /** A float constant of the given element type (float32, float16, double, bfloat16 not needed by the adapters). */
  floats(node: Node, base: string, dataType: DataType, values: readonly number[], dims: readonly Int64[] = [values.length]): Value {
    let data: TypedArray;
    if (dataType === DataType.FLOAT) data = Float32Array.from(values);
    else if (dataType === DataType.DOUBLE) data = Float64Array.from(values);
    else if (dataType === DataType.FLOAT16) data = Uint16Array.from(values, (v) => toFloat16Bits(v));
    else throw new Error(`no float constant of data type ${dataType}`);
    return this.constant(node, base, dataType, dims, data);
  }

  /** The values of a constant input (initializer that is no graph input, or Constant output), as numbers. */
  constantValues(value: Value | null): number[] | undefined {
    const tensor = this.constantTensor(value);
    if (!tensor) return undefined;
    try {
      return Array.from(tensor.toTypedArray() as ArrayLike<number | bigint>, (x) => Number(x));
    } catch {
      return undefined;
    }
  }

  private constantTensor(value: Value | null): Tensor | undefined {
    if (!value) return undefined;
    if (value.initializer) {
      const graphInput = [...this.model.allGraphs()].some((g) => g.initializers.get(value.name) === value && g.inputs.includes(value));
      return graphInput && Number(this.model.irVersion ?? 0) >= 4 ? undefined : value.initializer;
    }
    const producer = value.producer();
    if (producer?.isOnnxOp('Constant')) {
      const attr = producer.attr('value');
      if (attr?.type === AttrType.TENSOR && attr.value instanceof Tensor) return attr.value;
    }
    return undefined;
  }

  /** Whether anything reads the value or a graph lists it as an output. */
  isUsed(value: Value | null): boolean {
    return !!value && (value.useCount > 0 || value.isGraphOutput());
  }
}

/** INT or INTS attribute values as bigints (exact for INT64 limits such as Slice's ends). */
export function intsOf(attr: Attribute | undefined): bigint[] | undefined {
  if (!attr) return undefined;
  if (Array.isArray(attr.value)) return (attr.value as Int64[]).map((v) => BigInt(v));
  if (typeof attr.value === 'number' || typeof attr.value === 'bigint') return [BigInt(attr.value)];
  return undefined;
}

/** FLOATS attribute values as numbers. */
export function floatsOf(attr: Attribute | undefined): number[] | undefined {
  if (!attr) return undefined;
  const v = attr.value;
  if (v instanceof Float32Array) return Array.from(v);
  if (Array.isArray(v)) return (v as unknown[]).map(Number);
  if (typeof v === 'number') return [v];
  return undefined;
}

export function stringOf(attr: Attribute | undefined): string | undefined {
  return attr && attr.value instanceof Uint8Array ? new TextDecoder().decode(attr.value) : undefined;
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const a = node.attr(name);
  return a ? a.asNumber() : fallback;
}

export function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attr(name);
  return a ? a.asNumber() : fallback;
}
