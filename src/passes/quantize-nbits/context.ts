/**
 * State of one block-wise quantization run: fresh names, the weights it read and the tensors it made (each
 * weight quantized once per orientation, however many nodes read it), and what it did.
 *
 * A weight is a 2-D matrix to the op that reads it, K (reduced) by N (output columns), and blocks run along K.
 * How the stored tensor holds that matrix is its orientation: 'kn' when the tensor is [K, N] (MatMul's B, Gemm's
 * B without transB), 'nk' when it is [N, K] (B read through a Transpose, Gemm's B with transB, an embedding
 * table whose rows are gathered). One tensor read both ways (a tied embedding: Gather rows and a MatMul through
 * Transpose) is the same 'nk' matrix to both, so it is quantized once.
 */
import { recordSource } from '../provenance.js';
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { Node, Value, type Graph, type NodeInit } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import { Float32Reader } from '../float32-reader.js';
import { NameAllocator } from '../names.js';
import { MS_DOMAIN } from '../quantize/opset.js';
import type { QuantizedNodeOf, SkippedNodeOf } from '../quantize/summary.js';
import { findConstant, type ConstantWeight } from '../quantize/weights.js';
import { blockParams, packZeroPoints, quantizeNBits, quantizeQdq, quantizeRows, type BlockwiseOptions, type MatrixView } from './blockwise.js';
import type { NBitsOpType, NormalizedNBitsOptions } from './options.js';

export type Orientation = 'kn' | 'nk';

/** A float32 constant as a node reads it: directly (or through Identity), or through a 2-D Transpose. */
export interface BlockWeight extends ConstantWeight {
  /** The Transpose between the constant and the node, when there is one. */
  transpose: Node | undefined;
}

export type RewriteResult = { as: string } | { skipped: string } | { notApplicable: true };

export type QuantizedNode = QuantizedNodeOf<NBitsOpType>;
export type SkippedNode = SkippedNodeOf<NBitsOpType>;

/** The tensors of one quantized matrix (QOperator format). */
export interface QOperatorMatrix {
  K: number;
  N: number;
  kBlocks: number;
  /** [N, kBlocks] for a 2-D tensor; [...leading dims, kBlocks] for a larger table. */
  scales: Value;
  zeroPoints: Value | undefined;
  /** MatMulNBits' B, [N, kBlocks, blob]. */
  nbits?: Value;
  /** GatherBlockQuantized's data: [...leading dims, ceil(K * bits / 8)] bytes. */
  rows?: Value;
}

/** The tensors of one quantized weight for DequantizeLinear (QDQ format), blocked along `axis`. */
export interface QdqMatrix {
  quantized: Value;
  scales: Value;
  zeroPoints: Value | undefined;
  axis: number;
}

/** The tensor a weight is quantized as (see NBitsContext.resolve). */
export interface Resolved {
  weight: ConstantWeight;
  orientation: Orientation;
  transposed: boolean;
}

/** Whether `weight` read in `orientation` and `table` (rows of K) hold the same matrix, bit for bit. */
function sameMatrix(weight: ConstantWeight, orientation: Orientation, table: ConstantWeight, reader: Float32Reader): boolean {
  const tableBits = new Uint32Array((table.tensor.toTypedArray() as Float32Array).slice().buffer);
  const data = reader.read(weight.tensor);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  if (bits.length !== tableBits.length) return false;
  if (orientation === 'nk') {
    for (let i = 0; i < bits.length; i++) if (bits[i] !== tableBits[i]) return false;
    return true;
  }
  const [K, N] = weight.tensor.dims.map(Number) as [number, number];
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) if (bits[k * N + n] !== tableBits[n * K + k]) return false;
  }
  return true;
}

let originIds = 0;
const originKeys = new WeakMap<Value, number>();
function originKey(v: Value): number {
  let id = originKeys.get(v);
  if (id === undefined) originKeys.set(v, (id = ++originIds));
  return id;
}

function perGraph<V>(caches: Map<Graph, Map<string, V>>, graph: Graph): Map<string, V> {
  let cache = caches.get(graph);
  if (!cache) caches.set(graph, (cache = new Map<string, V>()));
  return cache;
}

/** Product of dims. */
export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class NBitsContext {
  readonly names: NameAllocator;
  readonly quantizedNodes: QuantizedNode[] = [];
  readonly skippedNodes: SkippedNode[] = [];
  /** Values a rewrite stopped reading: removed at the end with what produced them, if nothing else reads them. */
  readonly released = new Set<Value>();
  /** Graphs where nodes were inserted (sorted at the end). */
  readonly touched = new Set<Graph>();
  usesMicrosoftDomain = false;
  private readonly qoperator = new Map<string, QOperatorMatrix>();
  private readonly qdq = new Map<string, QdqMatrix>();
  private readonly dequantizedValues = new Map<Graph, Map<string, Value>>();
  private readonly reshaped = new Map<Graph, Map<string, Value>>();
  /** Canonical weight keys read by Gathers and by MatMul/Gemm nodes: a key in both is a tied weight. */
  private readonly gathered = new Set<string>();
  private readonly multiplied = new Set<string>();
  /** Gather tables being quantized, by "rows,cols", for finding MatMul weights that are copies of them. */
  private readonly tables = new Map<string, ConstantWeight[]>();
  private readonly resolved = new Map<string, Resolved>();
  private readonly reader = new Float32Reader();

  constructor(
    readonly model: Model,
    readonly options: NormalizedNBitsOptions,
    readonly owners: ReadonlyMap<Value, Graph>,
  ) {
    this.names = new NameAllocator(model);
  }

  /** Weights whose one quantized copy serves both a Gather and a MatMul/Gemm. */
  get tiedWeights(): number {
    let n = 0;
    for (const key of this.gathered) if (this.multiplied.has(key)) n++;
    return n;
  }

  get weightCount(): number {
    return this.qoperator.size + this.qdq.size;
  }

  get blockwise(): BlockwiseOptions {
    return { bits: this.options.bits, blockSize: this.options.blockSize, symmetric: this.options.symmetric };
  }

  /** `Q4` or `Q8`, the suffix onnxruntime gives quantized weights and nodes. */
  get tag(): string {
    return `Q${this.options.bits}`;
  }

  value(base: string): Value {
    return new Value(this.names.fresh(base));
  }

  /** The node being rewritten: every node made meanwhile records it as its source (provenance.ts). */
  source: string | undefined;

  /** A node with a fresh name; a com.microsoft one marks the domain as used. */
  node(init: NodeInit & { name: string }): Node {
    if (init.domain === MS_DOMAIN) this.usesMicrosoftDomain = true;
    const node = new Node({ ...init, name: this.names.fresh(init.name) });
    recordSource(node, this.source);
    return node;
  }

  insertBefore(graph: Graph, before: Node, ...nodes: Node[]): void {
    graph.insertBefore(before, ...nodes);
    this.touched.add(graph);
  }

  initializer(graph: Graph, base: string, dataType: DataType, dims: readonly number[], data: Float32Array | Uint8Array | BigInt64Array): Value {
    const name = this.names.fresh(base);
    const v = new Value(name);
    v.initializer = Tensor.fromArray(name, dataType, dims, data);
    return graph.addInitializer(v);
  }

  /**
   * The float32 constant `value` holds, directly (through Identity nodes) or through a Transpose of a 2-D
   * constant (perm [1, 0] or none).
   */
  weight(value: Value | null): BlockWeight | undefined {
    const direct = findConstant(this.model, this.owners, value);
    if (direct) return { ...direct, transpose: undefined };
    const producer = value?.producer();
    if (!value || !producer || !producer.isOnnxOp('Transpose')) return undefined;
    const inner = findConstant(this.model, this.owners, producer.input(0));
    if (!inner || inner.tensor.dims.length !== 2) return undefined;
    const perm = producer.attr('perm')?.value as (number | bigint)[] | undefined;
    if (perm && (perm.length !== 2 || Number(perm[0]) !== 1 || Number(perm[1]) !== 0)) return undefined;
    return { ...inner, read: value, transpose: producer };
  }

  /** Why the weight cannot be quantized, or undefined when it can. */
  problem(weight: BlockWeight, what: string, ranks: readonly number[]): string | undefined {
    const dims = weight.tensor.dims.map(Number);
    if (!ranks.includes(dims.length)) return `${what} has rank ${dims.length}, expected ${ranks.join(' or ')}`;
    if (product(dims) === 0) return `${what} is empty`;
    const data = this.reader.read(weight.tensor);
    // x * 0 is 0 for every finite x and NaN for NaN and +-Infinity: one branch-free pass.
    let probe = 0;
    for (let i = 0; i < data.length; i++) probe += data[i]! * 0;
    if (probe === 0) return undefined;
    return `${what} holds ${data.some(Number.isNaN) ? 'NaN' : 'infinite'} values`;
  }

  /** The matrix view of a weight in an orientation (the reader's buffer: use it before the next read). */
  private view(weight: ConstantWeight, orientation: Orientation): MatrixView {
    const dims = weight.tensor.dims.map(Number);
    const data = this.reader.read(weight.tensor);
    if (orientation === 'kn') {
      const [K, N] = dims as [number, number];
      return { data, K, N, strideK: N, strideN: 1 };
    }
    const K = dims[dims.length - 1]!;
    const N = product(dims) / K;
    return { data, K, N, strideK: 1, strideN: K };
  }

  private key(weight: ConstantWeight, orientation: Orientation): string {
    return `${originKey(weight.origin)}|${orientation}`;
  }

  /** Notes that the node no longer reads `weight` (it was rewired). */
  release(weight: BlockWeight): void {
    this.released.add(weight.read);
  }

  /** MatMulNBits' B, scales and zero points of the weight (a 2-D tensor), made once. */
  nbitsMatrix(weight: ConstantWeight, orientation: Orientation): QOperatorMatrix & { nbits: Value } {
    const key = this.key(weight, orientation);
    const cached = this.qoperator.get(key);
    if (cached?.nbits) return cached as QOperatorMatrix & { nbits: Value };
    const view = this.view(weight, orientation);
    const q = quantizeNBits(view, this.blockwise);
    const base = weight.origin.name;
    const owner = weight.owner;
    const zpCols = Math.ceil((q.kBlocks * this.options.bits) / 8);
    const matrix: QOperatorMatrix & { nbits: Value } = {
      K: view.K,
      N: view.N,
      kBlocks: q.kBlocks,
      nbits: this.initializer(owner, `${base}_${this.tag}`, DataType.UINT8, [view.N, q.kBlocks, q.blobSize], q.packed),
      scales: cached?.scales ?? this.initializer(owner, `${base}_scales`, DataType.FLOAT, [view.N, q.kBlocks], q.scales),
      zeroPoints: cached
        ? cached.zeroPoints
        : q.zeroPoints && this.initializer(owner, `${base}_zero_points`, DataType.UINT8, [view.N, zpCols], q.zeroPoints),
      ...(cached?.rows ? { rows: cached.rows } : {}),
    };
    this.qoperator.set(key, matrix);
    return matrix;
  }

  /**
   * GatherBlockQuantized's data, scales and zero points for a table blocked along its last axis. A table that
   * a MatMul/Gemm already quantized (tied weights) shares that MatMulNBits B through a Reshape placed before
   * `before` in `graph`, when its rows have no padding, and always shares its scales and zero points.
   */
  gatherMatrix(weight: ConstantWeight, graph: Graph, before: Node): { data: Value; scales: Value; zeroPoints: Value | undefined } {
    const key = this.key(weight, 'nk');
    const dims = weight.tensor.dims.map(Number);
    const lead = dims.slice(0, -1);
    const { bits, blockSize } = this.options;
    const cached = this.qoperator.get(key);
    this.gathered.add(key);
    if (cached?.nbits && cached.K % blockSize === 0) {
      const reshapes = perGraph(this.reshaped, graph);
      let data = reshapes.get(key);
      if (!data) {
        const rowBytes = (cached.K * bits) / 8;
        const base = cached.nbits.name;
        const shape = this.initializer(graph, `${base}_rows_shape`, DataType.INT64, [2], BigInt64Array.of(BigInt(cached.N), BigInt(rowBytes)));
        data = this.value(`${base}_rows`);
        this.insertBefore(graph, before, this.node({ opType: 'Reshape', name: `${base}_Reshape`, inputs: [cached.nbits, shape], outputs: [data] }));
        reshapes.set(key, data);
      }
      return { data, scales: cached.scales, zeroPoints: cached.zeroPoints };
    }
    if (cached?.rows) return { data: cached.rows, scales: cached.scales, zeroPoints: cached.zeroPoints };

    const view = this.view(weight, 'nk');
    const params = blockParams(view, this.blockwise);
    const rowBytes = Math.ceil((view.K * bits) / 8);
    const packed = quantizeRows(view, params, this.blockwise, rowBytes, false);
    const base = weight.origin.name;
    const owner = weight.owner;
    const rows = this.initializer(owner, `${base}_${this.tag}`, DataType.UINT8, [...lead, rowBytes], packed);
    let scales = cached?.scales;
    let zeroPoints = cached?.zeroPoints;
    if (!cached) {
      scales = this.initializer(owner, `${base}_scales`, DataType.FLOAT, [...lead, params.kBlocks], params.scales);
      if (params.zeroPoints) {
        const zp = packZeroPoints(params, view.N, bits);
        zeroPoints = this.initializer(owner, `${base}_zero_points`, DataType.UINT8, [...lead, Math.ceil((params.kBlocks * bits) / 8)], zp);
      }
    }
    const matrix: QOperatorMatrix = { ...(cached ?? { K: view.K, N: view.N, kBlocks: params.kBlocks, scales: scales!, zeroPoints }), rows };
    this.qoperator.set(key, matrix);
    return { data: rows, scales: matrix.scales, zeroPoints: matrix.zeroPoints };
  }

  /** Records that a MatMul/Gemm reads the weight (for counting tied weights). */
  noteMatMulUse(weight: ConstantWeight, orientation: Orientation): void {
    this.multiplied.add(this.key(weight, orientation));
  }

  /** Records that a Gather reads the table (qdq; gatherMatrix records its own). */
  noteGatherUse(weight: ConstantWeight): void {
    this.gathered.add(this.key(weight, 'nk'));
  }

  /** A Gather table this run quantizes, which MatMul/Gemm weights holding the same matrix may share. */
  addTable(table: ConstantWeight): void {
    const dims = table.tensor.dims.map(Number);
    if (dims.length !== 2) return;
    const key = dims.join(',');
    const list = this.tables.get(key) ?? [];
    if (!list.some((t) => t.origin === table.origin)) list.push(table);
    this.tables.set(key, list);
  }

  /**
   * The tensor to quantize for a MatMul/Gemm weight read in `orientation`: the weight itself, or a Gather table
   * holding the same matrix bit for bit (an exporter's transposed copy of a tied embedding), so that one
   * quantized tensor serves both. `transposed`: the returned tensor is the transpose of the weight's own.
   */
  resolve(weight: ConstantWeight, orientation: Orientation): Resolved {
    const key = this.key(weight, orientation);
    const cached = this.resolved.get(key);
    if (cached) return cached;
    let result: Resolved = { weight, orientation, transposed: false };
    const dims = weight.tensor.dims.map(Number) as [number, number];
    // The matrix as a table of N rows of K: the weight itself in 'nk', its transpose in 'kn'.
    const tableDims = orientation === 'nk' ? dims : [dims[1], dims[0]];
    for (const table of this.tables.get(tableDims.join(',')) ?? []) {
      if (table.origin === weight.origin || sameMatrix(weight, orientation, table, this.reader)) {
        result = { weight: table, orientation: 'nk', transposed: orientation === 'kn' };
        break;
      }
    }
    this.resolved.set(key, result);
    return result;
  }

  /**
   * The float weight rebuilt by DequantizeLinear (blocked along K) from a quantized tensor, followed by a
   * Transpose when the node reads the transpose of the stored tensor. One per weight, form and graph.
   */
  dequantized(weight: ConstantWeight, orientation: Orientation, transposeOutput: boolean, graph: Graph, before: Node, label: string): Value {
    const key = this.key(weight, orientation);
    const cache = perGraph(this.dequantizedValues, graph);
    const wanted = cache.get(transposeOutput ? `${key}|t` : key);
    if (wanted) return wanted;
    let plain = cache.get(key);
    const matrix = this.qdqMatrix(weight, orientation);
    const base = matrix.quantized.name;
    if (!plain) {
      plain = this.value(`${base}_output`);
      const dq = this.node({
        opType: 'DequantizeLinear',
        name: `${label}_DQ_${this.tag}`,
        inputs: [matrix.quantized, matrix.scales, ...(matrix.zeroPoints ? [matrix.zeroPoints] : [])],
        outputs: [plain],
        attributes: [Attribute.int('axis', matrix.axis), Attribute.int('block_size', this.options.blockSize)],
      });
      this.insertBefore(graph, before, dq);
      cache.set(key, plain);
    }
    if (!transposeOutput) return plain;
    const transposed = this.value(`${base}_transposed`);
    this.insertBefore(
      graph,
      before,
      this.node({
        opType: 'Transpose',
        name: `${base}_Transpose`,
        inputs: [plain],
        outputs: [transposed],
        attributes: [Attribute.ints('perm', [1, 0])],
      }),
    );
    cache.set(`${key}|t`, transposed);
    return transposed;
  }

  /** The weight quantized for DequantizeLinear: stored in its own shape, blocked along K. */
  private qdqMatrix(weight: ConstantWeight, orientation: Orientation): QdqMatrix {
    const key = this.key(weight, orientation);
    const cached = this.qdq.get(key);
    if (cached) return cached;
    const view = this.view(weight, orientation);
    const q = quantizeQdq(view, this.blockwise);
    const dims = weight.tensor.dims.map(Number);
    const axis = orientation === 'kn' ? 0 : dims.length - 1;
    const paramDims = [...dims];
    paramDims[axis] = q.kBlocks;
    const { bits, symmetric } = this.options;
    const type = bits === 4 ? (symmetric ? DataType.INT4 : DataType.UINT4) : symmetric ? DataType.INT8 : DataType.UINT8;
    const base = weight.origin.name;
    const owner = weight.owner;
    const matrix: QdqMatrix = {
      quantized: this.initializer(owner, `${base}_DQ_${this.tag}`, type, dims, q.data),
      scales: this.initializer(owner, `${base}_DQ_scales`, DataType.FLOAT, paramDims, q.scales),
      zeroPoints: q.zeroPoints && this.initializer(owner, `${base}_DQ_zero_points`, type, paramDims, q.zeroPoints),
      axis,
    };
    this.qdq.set(key, matrix);
    return matrix;
  }
}
