/**
 * Weights that quantized ops and float ops share, and float weights a run
 * leaves behind.
 *
 * A tied input embedding and LM head is the common case: the token table W
 * feeds Gather(W) (quantized: it reads a uint8 copy) and
 * MatMul(x, Transpose(W)) (whose B is computed, so it stays float). Keeping
 * the float W for the Transpose would store the table twice. As onnxruntime's
 * quantize_dynamic does, W is stored once, quantized, and the float readers
 * get it back from the quantized copy: by the Cast/Sub/Mul chain of
 * expandWeight, which ONNX Runtime folds once at load (qoperator), or by a
 * DequantizeLinear (qdq, as that format promises). Both compute
 * (q - zero point) * scale, so the float readers see the values onnxruntime's
 * file gives them. A weight is kept float when a quantizable op that stayed
 * float reads it as its weight (excluded, skipped, or left out by the
 * options): those asked for float, and the float copy costs nothing more.
 */
import type { Graph, Node, Use, Value } from '../../ir/graph.js';
import { DataType } from '../../ir/dtypes.js';
import { Tensor } from '../../ir/tensor.js';
import { sortTopologically } from '../../ir/toposort.js';
import type { QuantizeContext, QuantizedWeight } from './context.js';
import type { QuantizableOpType } from './options.js';

/** A weight stored once (quantized) for quantized and float readers. */
export interface SharedWeight {
  weight: string;
  /** Element type of the stored copy. */
  storedAs: 'int8' | 'uint8';
  /** The float ops that read it rebuilt from the quantized copy. */
  floatReaders: string[];
  via: 'Cast/Mul folded at load' | 'DequantizeLinear';
}

/** A float32 weight of at least the reporting size that the run left in the model, and why. */
export interface FloatWeightLeft {
  weight: string;
  bytes: number;
  reason: string;
}

/** Float weights from this size up are reported when a run leaves them (64 KiB: 16,384 float32 values). */
export const FLOAT_WEIGHT_REPORT_BYTES = 64 * 1024;

/** The input a quantizable node reads its weight from, or undefined for other nodes. */
export type WeightInputOf = (node: Node) => number | undefined;

export const label = (node: Node): string => `${node.opType} '${node.name || (node.outputs[0]?.name ?? '?')}'`;

/** The node of `graph` that is `node` or holds it in a subgraph. */
function anchorIn(graph: Graph, node: Node): Node | undefined {
  let n: Node | undefined = node;
  while (n && n.graph !== graph) n = n.graph?.parentNode;
  return n;
}

/** The graph that holds a constant value: the initializer's owner or the Constant node's graph. */
function holder(ctx: QuantizeContext, v: Value): Graph | undefined {
  return v.initializer ? ctx.ownerOf(v) : v.producer()?.graph;
}

/**
 * Rewires the float readers of quantized weights to the quantized copy, so the float weight goes (the caller
 * removes what is no longer read). Returns what it shared.
 */
export function shareQuantizedWeights(ctx: QuantizeContext, weightInputOf: WeightInputOf): SharedWeight[] {
  const shared: SharedWeight[] = [];
  const resort = new Set<Graph>();
  for (const [origin, forms] of ctx.quantizedForms) {
    const uses = origin.uses();
    if (uses.length === 0 || origin.outputGraphs().length > 0) continue;
    // A quantizable op that stayed float asked for the float weight (directly or through Identity nodes).
    if (readersThroughIdentity(origin).some((u) => weightInputOf(u.node) === u.index)) continue;
    const form = forms.find((f) => f.sameLayout);
    const owner = holder(ctx, origin);
    if (!form || !owner) continue;

    const anchors = new Set(uses.map((u) => anchorIn(owner, u.node)));
    const before = [...owner.nodes].find((n) => anchors.has(n));
    if (!before) continue;
    const dequantize = ctx.options.format === 'qdq' && scaleRank(form) <= 1;
    const rebuilt = dequantize ? ctx.dequantizeWeight(owner, form, before) : ctx.expandWeight(owner, form, before);
    for (const use of uses) use.node.setInput(use.index, rebuilt);
    ctx.released.add(origin);
    resort.add(owner);
    shared.push({
      weight: origin.name,
      storedAs: form.quantized.initializer!.dataType === DataType.INT8 ? 'int8' : 'uint8',
      floatReaders: [...new Set(uses.map((u) => label(u.node)))],
      via: dequantize ? 'DequantizeLinear' : 'Cast/Mul folded at load',
    });
  }
  // A rebuilt weight made earlier for a Conv (expandWeight makes one per weight and graph) may sit after a float
  // reader: sorting puts it first, and leaves everything else where it is.
  for (const graph of resort) sortTopologically(graph);
  return shared;
}

/** The uses of a value, looking through Identity nodes to what reads their outputs. */
function readersThroughIdentity(v: Value, depth = 0): Use[] {
  return v.uses().flatMap((u) => (u.node.isOnnxOp('Identity') && depth < 64 ? readersThroughIdentity(u.node.output(0), depth + 1) : [u]));
}

function scaleRank(form: QuantizedWeight): number {
  return form.scale.initializer!.dims.length;
}

/** The float32 constants of at least `minBytes` left in the model's graphs (initializers and Constant nodes), and why each stayed. */
export function floatWeightsLeft(ctx: QuantizeContext, weightInputOf: WeightInputOf, minBytes = FLOAT_WEIGHT_REPORT_BYTES): FloatWeightLeft[] {
  const left: FloatWeightLeft[] = [];
  for (const graph of ctx.model.graph.allGraphs()) {
    const constants: [Value, Tensor][] = [...graph.initializers.values()].map((v) => [v, v.initializer!]);
    for (const node of graph.nodes) {
      const t = node.isOnnxOp('Constant') ? node.attr('value')?.value : undefined;
      if (t instanceof Tensor) constants.push([node.output(0), t]);
    }
    for (const [v, tensor] of constants) {
      if (tensor.dataType !== DataType.FLOAT || tensor.byteSize < minBytes) continue;
      left.push({ weight: v.name, bytes: tensor.byteSize, reason: whyFloat(ctx, v, weightInputOf) });
    }
  }
  return left;
}

function whyFloat(ctx: QuantizeContext, v: Value, weightInputOf: WeightInputOf): string {
  if (ctx.model.graph.inputs.includes(v)) return 'also a graph input (it can be fed at run time)';
  const readers = [...new Set(v.uses().map((u) => readerReason(ctx, u, weightInputOf)))];
  const parts: string[] = [];
  if (readers.length > 0) parts.push(`read by ${readers.join(', ')}`);
  if (v.isGraphOutput()) parts.push('a graph output');
  if (parts.length === 0) return 'nothing reads it';
  return (ctx.quantizedForms.has(v) ? 'quantized too, and kept float: ' : '') + parts.join('; ');
}

function readerReason(ctx: QuantizeContext, use: Use, weightInputOf: WeightInputOf): string {
  const node = use.node;
  const input = weightInputOf(node);
  const why = ((): string => {
    if (input === undefined) return 'keeps float math';
    if (input !== use.index) return `as input ${use.index}, not as its weight`;
    const skipped = node.name ? ctx.skippedNodes.find((s) => s.node === node.name) : undefined;
    if (skipped) return `skipped: ${skipped.reason}`;
    const opts = ctx.options;
    if (!opts.opTypes.has(node.opType as QuantizableOpType)) return `--op-types leaves ${node.opType} out`;
    if (opts.includeNodes && !opts.includeNodes.has(node.name ?? '')) return '--include-nodes leaves it out';
    return 'stayed float';
  })();
  return `${label(node)} (${why})`;
}

/** "1.2 MiB", "96.0 KiB". */
export function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
