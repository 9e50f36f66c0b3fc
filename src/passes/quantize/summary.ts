/**
 * What INT8's summary (quantize.ts) and q4's (../quantize-nbits/quantize.ts) are made of alike: the nodes
 * quantized (counted by op) and skipped (one note per reason), constant bytes before and after, the opset raise;
 * and the pass both run as, with the options fixed when it is made.
 */
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import { graphSorted } from '../conditions.js';
import { PassBase } from '../pass.js';
import type { OpsetChange } from './opset.js';

/** A node a run rewrote, and what it became (e.g. `MatMulInteger`). */
export interface QuantizedNodeOf<Op extends string> {
  node: string;
  op: Op;
  as: string;
}

/** A candidate node a run left in float, and why. */
export interface SkippedNodeOf<Op extends string> {
  node: string;
  op: Op;
  reason: string;
}

/** The fields every quantization summary has. */
export interface QuantizationSummaryBase<Op extends string> {
  /** False when the model was left exactly as it was. */
  modified: boolean;
  opTypes: Op[];
  /** Nodes rewritten, in graph order. */
  quantized: QuantizedNodeOf<Op>[];
  /** Quantized nodes per op type. */
  counts: Partial<Record<Op, number>>;
  /** Candidate nodes left in float, and why. */
  skipped: SkippedNodeOf<Op>[];
  /** Distinct quantized weight tensors (a weight shared by several nodes counts once). */
  weightsQuantized: number;
  /** Bytes of initializers and Constant tensors before and after. */
  constantBytesBefore: number;
  constantBytesAfter: number;
  bytesSaved: number;
  opsetRaised?: { from: number; to: number };
  notes: string[];
}

/** What a run did, as its context records it. */
export interface QuantizationRun<Op extends string> {
  readonly quantizedNodes: QuantizedNodeOf<Op>[];
  readonly skippedNodes: SkippedNodeOf<Op>[];
  readonly weightCount: number;
}

/** Bytes of every initializer and Constant-node tensor in the model's graphs. */
export function constantBytes(model: Model): number {
  let bytes = 0;
  for (const graph of model.graph.allGraphs()) {
    for (const v of graph.initializers.values()) bytes += v.initializer?.byteSize ?? 0;
    for (const node of graph.nodes) {
      const value = node.opType === 'Constant' ? node.attr('value')?.value : undefined;
      if (value instanceof Tensor) bytes += value.byteSize;
    }
  }
  return bytes;
}

/** The shared fields of a summary of a model left as it was (`bytes` of constants). */
export function unchangedFields<Op extends string>(opTypes: Iterable<Op>, bytes: number, notes: string[]): QuantizationSummaryBase<Op> {
  return {
    modified: false,
    opTypes: [...opTypes],
    quantized: [],
    counts: {},
    skipped: [],
    weightsQuantized: 0,
    constantBytesBefore: bytes,
    constantBytesAfter: bytes,
    bytesSaved: 0,
    notes,
  };
}

/** The shared fields a finished run sets: what it quantized and skipped, the bytes after, the opset raise. */
export function finishedFields<Op extends string>(
  model: Model,
  run: QuantizationRun<Op>,
  bytesBefore: number,
  opsetRaised: { from: number; to: number } | undefined,
): Omit<QuantizationSummaryBase<Op>, 'opTypes' | 'constantBytesBefore' | 'notes'> {
  const bytesAfter = constantBytes(model);
  const counts: Partial<Record<Op, number>> = {};
  for (const q of run.quantizedNodes) counts[q.op] = (counts[q.op] ?? 0) + 1;
  return {
    modified: run.quantizedNodes.length > 0,
    quantized: run.quantizedNodes,
    counts,
    skipped: run.skippedNodes,
    weightsQuantized: run.weightCount,
    constantBytesAfter: bytesAfter,
    bytesSaved: bytesBefore - bytesAfter,
    ...(opsetRaised ? { opsetRaised } : {}),
  };
}

/**
 * Notes the names of --include-nodes that no node has; true when none of them is a node (nothing to quantize:
 * the caller returns an unchanged summary).
 */
export function includesNoNode(model: Model, includeNodes: ReadonlySet<string> | undefined, notes: string[]): boolean {
  if (!includeNodes) return false;
  const names = new Set<string>();
  for (const g of model.allGraphs()) for (const n of g.nodes) if (n.name) names.add(n.name);
  const unknown = [...includeNodes].filter((n) => !names.has(n));
  if (unknown.length === includeNodes.size) {
    notes.push(`--include-nodes names no node of the model (${unknown.join(', ')}); nothing was quantized`);
    return true;
  }
  if (unknown.length > 0) notes.push(`--include-nodes: no node named ${unknown.join(', ')}`);
  return false;
}

/** One note per distinct reason candidates were left float. */
export function skipNotes(skipped: readonly SkippedNodeOf<string>[]): string[] {
  const reasons = new Map<string, number>();
  for (const s of skipped) reasons.set(`${s.op}: ${s.reason}`, (reasons.get(`${s.op}: ${s.reason}`) ?? 0) + 1);
  return [...reasons].map(([reason, n]) => `skipped ${n} node(s), ${reason}`);
}

/** The note for an opset the version converter raised: `needs` says what needs it ('the quantized ops need'). */
export function opsetNote(needs: string, change: OpsetChange): string {
  return `${needs} opset ${change.to}: ${change.notes.join('; ')}`;
}

/** A quantization function as a pass: the options are fixed when it is made. */
export abstract class QuantizationPass<Options, Summary extends { modified: boolean }> extends PassBase<Summary> {
  override readonly ensures = [graphSorted];

  protected constructor(
    private readonly quantize: (model: Model, options: Options) => { summary: Summary },
    private readonly options: Options,
  ) {
    super();
  }

  protected call(model: Model) {
    const { summary } = this.quantize(model, this.options);
    return { modified: summary.modified, summary };
  }
}
