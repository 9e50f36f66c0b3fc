/**
 * State shared by the per-op rewrites of one quantization run: fresh names,
 * quantized weights (each made once, however many nodes share it), dynamic
 * quantization of activations (once per value and graph), and what was done.
 */
import { recordSource } from '../provenance.js';
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { Graph, Node, Value, type NodeInit } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import { NameAllocator } from '../names.js';
import { MS_DOMAIN } from './opset.js';
import type { NormalizedOptions, QuantizableOpType } from './options.js';
import { quantizeTensor, type QuantizeTensorOptions } from './params.js';
import { Float32Reader } from '../float32-reader.js';
import type { QuantizedNodeOf, SkippedNodeOf } from './summary.js';
import { findConstant, initializerOwners, type ConstantWeight } from './weights.js';

/** How to quantize a weight for one kind of consumer. */
export interface WeightLayout {
  /** Distinguishes layouts of the same tensor in the cache (e.g. transposed for Gemm). */
  key: string;
  quant: QuantizeTensorOptions;
  /** The float data and shape to quantize (default: as stored). */
  source?: (data: Float32Array, dims: number[]) => { data: Float32Array; dims: number[] };
  /** Rearranges the quantized data for storage (default: as quantized). */
  store?: (data: Int8Array | Uint8Array, dims: number[]) => { data: Int8Array | Uint8Array; dims: number[] };
  /** Shape of per-channel scale and zero point (default: [channels]). */
  paramDims?: number[];
}

export interface QuantizedWeight {
  quantized: Value;
  scale: Value;
  zeroPoint: Value;
  /** Storage shape of the quantized tensor. */
  dims: number[];
  /** Channel axis in the stored layout, for per-channel parameters. */
  axis: number | undefined;
  /** The float constant (initializer or Constant output) it was made from. */
  origin: Value;
  /**
   * The stored tensor has the float weight's shape and element order, and its scale and zero point broadcast
   * against it: the float weight can be rebuilt from it (expandWeight), for float ops that read the same weight.
   */
  sameLayout: boolean;
}

export interface DynamicQuantized {
  quantized: Value;
  scale: Value;
  zeroPoint: Value;
}

/** What a rewrite did: quantized the node, skipped a candidate (with the reason), or found it is no candidate at all. */
export type RewriteResult = { as: string } | { skipped: string } | { notApplicable: true };

export type SkippedNode = SkippedNodeOf<QuantizableOpType>;
export type QuantizedNode = QuantizedNodeOf<QuantizableOpType>;

/** The per-graph part of a cache keyed by graph (a quantized activation or weight is reused within one graph). */
function cacheOf<K, V>(caches: Map<Graph, Map<K, V>>, graph: Graph): Map<K, V> {
  let perGraph = caches.get(graph);
  if (!perGraph) caches.set(graph, (perGraph = new Map<K, V>()));
  return perGraph;
}

let originIds = 0;
const originKeys = new WeakMap<Value, number>();
function originKey(v: Value): number {
  let id = originKeys.get(v);
  if (id === undefined) originKeys.set(v, (id = ++originIds));
  return id;
}

export class QuantizeContext {
  readonly names: NameAllocator;
  readonly quantizedNodes: QuantizedNode[] = [];
  readonly skippedNodes: SkippedNode[] = [];
  /** Float constants (and Identity outputs) a rewrite stopped reading: removed at the end if unused. */
  readonly released = new Set<Value>();
  /** Highest default-domain opset the emitted ops need. */
  requiredOpset = 0;
  usesMicrosoftDomain = false;
  private readonly weights = new Map<string, QuantizedWeight>();
  /** The quantized forms of each float weight, in the order they were made. */
  readonly quantizedForms = new Map<Value, QuantizedWeight[]>();
  private readonly activations = new Map<Graph, Map<Value, DynamicQuantized>>();
  private readonly dequantized = new Map<Graph, Map<QuantizedWeight, Value>>();
  private readonly expanded = new Map<Graph, Map<QuantizedWeight, Value>>();
  private readonly reader = new Float32Reader();
  private lastRead: { tensor: Tensor; data: Float32Array } | undefined;
  /** Initializers this run added, with their graph. */
  private readonly added = new Map<Value, Graph>();

  constructor(
    readonly model: Model,
    readonly options: NormalizedOptions,
    /** The graph holding each initializer of the model as it was before the pass. */
    readonly owners: ReadonlyMap<Value, Graph> = initializerOwners(model),
  ) {
    this.names = new NameAllocator(model);
  }

  get weightCount(): number {
    return this.weights.size;
  }

  requireOpset(version: number): void {
    this.requiredOpset = Math.max(this.requiredOpset, version);
  }

  /** A fresh value named after `base`. */
  value(base: string): Value {
    return new Value(this.names.fresh(base));
  }

  /** The node being rewritten: every node made meanwhile records it as its source (provenance.ts). */
  source: string | undefined;

  /** A node with a fresh name (and fresh output values when given names); a com.microsoft one marks the domain as used. */
  node(init: NodeInit & { name: string }): Node {
    if (init.domain === MS_DOMAIN) this.usesMicrosoftDomain = true;
    const node = new Node({ ...init, name: this.names.fresh(init.name) });
    recordSource(node, this.source);
    return node;
  }

  /** A float32 or integer initializer in `graph`. */
  initializer(graph: Graph, base: string, dataType: DataType, dims: number[], data: Float32Array | Int8Array | Uint8Array | BigInt64Array): Value {
    const name = this.names.fresh(base);
    const v = new Value(name);
    v.initializer = Tensor.fromArray(name, dataType, dims, data);
    this.added.set(v, graph);
    return graph.addInitializer(v);
  }

  /** The graph holding an initializer, whether the model had it or this run added it. */
  ownerOf(initializer: Value): Graph | undefined {
    return this.owners.get(initializer) ?? this.added.get(initializer);
  }

  /**
   * The weight's values. Unaligned raw data is copied into one buffer reused for the run (fresh memory is what
   * makes copying slow), so the array is valid only until the next call for another tensor: use it, or copy it,
   * before asking again.
   */
  floatData(weight: ConstantWeight): Float32Array {
    if (this.lastRead?.tensor !== weight.tensor) this.lastRead = { tensor: weight.tensor, data: this.reader.read(weight.tensor) };
    return this.lastRead.data;
  }

  /** The float32 constant `value` holds (see findConstant). */
  constant(value: Value | null): ConstantWeight | undefined {
    return findConstant(this.model, this.owners, value);
  }

  /** The weight quantized with `layout`, made once per tensor and layout. */
  quantizeWeight(weight: ConstantWeight, layout: WeightLayout): QuantizedWeight {
    const key = `${originKey(weight.origin)}|${layout.key}|${JSON.stringify(layout.quant)}`;
    const cached = this.weights.get(key);
    if (cached) return cached;

    const dims0 = weight.tensor.dims.map(Number);
    const raw = this.floatData(weight);
    const { data, dims } = layout.source ? layout.source(raw, dims0) : { data: raw, dims: dims0 };
    const q = quantizeTensor(data, dims, layout.quant);
    const stored = layout.store ? layout.store(q.quantized, dims) : { data: q.quantized, dims };
    const qType = layout.quant.weightType === 'int8' ? DataType.INT8 : DataType.UINT8;
    const perChannel = q.params.axis !== undefined;
    const paramDims = perChannel ? (layout.paramDims ?? [q.params.scale.length]) : [];
    // Parameters broadcast against the weight when per tensor, shaped like it ([C, 1, 1, 1]), or along its last axis.
    const broadcasts = !perChannel || paramDims.length === stored.dims.length || q.params.axis === stored.dims.length - 1;

    const base = weight.origin.name;
    const owner = weight.owner;
    const result: QuantizedWeight = {
      quantized: this.initializer(owner, `${base}_quantized`, qType, stored.dims, stored.data),
      scale: this.initializer(owner, `${base}_scale`, DataType.FLOAT, paramDims, q.params.scale),
      zeroPoint: this.initializer(owner, `${base}_zero_point`, qType, paramDims, q.params.zeroPoint),
      dims: stored.dims,
      axis: perChannel && !layout.store ? q.params.axis : undefined,
      origin: weight.origin,
      sameLayout: !layout.source && !layout.store && broadcasts,
    };
    this.weights.set(key, result);
    this.quantizedForms.set(weight.origin, [...(this.quantizedForms.get(weight.origin) ?? []), result]);
    return result;
  }

  /** DynamicQuantizeLinear of `value`, placed before `before` in `graph`; one per value and graph. */
  dynamicQuantize(graph: Graph, value: Value, before: Node): DynamicQuantized {
    const perGraph = cacheOf(this.activations, graph);
    const cached = perGraph.get(value);
    if (cached) return cached;
    const base = value.name;
    const result: DynamicQuantized = {
      quantized: this.value(`${base}_quantized`),
      scale: this.value(`${base}_scale`),
      zeroPoint: this.value(`${base}_zero_point`),
    };
    const node = this.node({
      opType: 'DynamicQuantizeLinear',
      name: `${base}_QuantizeLinear`,
      inputs: [value],
      outputs: [result.quantized, result.scale, result.zeroPoint],
    });
    graph.insertBefore(before, node);
    this.requireOpset(11);
    perGraph.set(value, result);
    return result;
  }

  /** DequantizeLinear of a quantized weight, placed before `before` in `graph`; one per weight and graph. */
  dequantizeWeight(graph: Graph, weight: QuantizedWeight, before: Node): Value {
    const perGraph = cacheOf(this.dequantized, graph);
    const cached = perGraph.get(weight);
    if (cached) return cached;
    const base = weight.quantized.name.replace(/_quantized$/, '');
    const output = this.value(`${base}_dequantized`);
    const attributes = weight.axis === undefined ? [] : [Attribute.int('axis', weight.axis)];
    const node = this.node({
      opType: 'DequantizeLinear',
      name: `${base}_DequantizeLinear`,
      inputs: [weight.quantized, weight.scale, weight.zeroPoint],
      outputs: [output],
      attributes,
    });
    graph.insertBefore(before, node);
    this.requireOpset(weight.axis === undefined ? 10 : 13);
    perGraph.set(weight, output);
    return output;
  }

  /**
   * The float weight rebuilt from a quantized one by constant-only ops,
   * Mul(Sub(Cast(q), Cast(zero point)), scale) (no Sub when every zero point
   * is 0), the same arithmetic as DequantizeLinear. ONNX Runtime folds
   * constants at load (unlike DequantizeLinear, which it keeps for QDQ
   * fusions), so the op behind it sees a plain float initializer and keeps its
   * prepacked fast path. Placed before `before`; one per weight and graph.
   */
  expandWeight(graph: Graph, weight: QuantizedWeight, before: Node): Value {
    const perGraph = cacheOf(this.expanded, graph);
    const cached = perGraph.get(weight);
    if (cached) return cached;
    const base = weight.quantized.name.replace(/_quantized$/, '');
    const toFloat = (input: Value, name: string): Node =>
      this.node({ opType: 'Cast', name, inputs: [input], outputs: [this.value(`${name}:0`)], attributes: [Attribute.int('to', DataType.FLOAT)] });
    const nodes = [toFloat(weight.quantized, `${base}_cast`)];
    const zeroPoints = weight.zeroPoint.initializer!.toTypedArray() as Int8Array | Uint8Array;
    if (zeroPoints.some((z) => z !== 0)) {
      const zeroPoint = toFloat(weight.zeroPoint, `${base}_zero_point_cast`);
      nodes.push(
        zeroPoint,
        this.node({
          opType: 'Sub',
          name: `${base}_shift`,
          inputs: [nodes[0]!.output(0), zeroPoint.output(0)],
          outputs: [this.value(`${base}_shifted`)],
        }),
      );
    } else {
      this.released.add(weight.zeroPoint);
    }
    const output = this.value(`${base}_expanded`);
    nodes.push(this.node({ opType: 'Mul', name: `${base}_expand`, inputs: [nodes.at(-1)!.output(0), weight.scale], outputs: [output] }));
    graph.insertBefore(before, ...nodes);
    // Cast with an integer `to` (6) and broadcasting Sub and Mul (7).
    this.requireOpset(7);
    perGraph.set(weight, output);
    return output;
  }

  /** Notes that `weight.read` is no longer read by `node` (the caller rewired it). */
  release(weight: ConstantWeight): void {
    this.released.add(weight.read);
  }
}
