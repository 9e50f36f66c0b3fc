/**
 * INT8 dynamic quantization: weights quantized ahead of time with
 * onnxruntime's exact arithmetic (params.ts), activations at run time.
 * Element types come from the constants themselves (a float32 weight means a
 * float op), never from shape inference, so graphs onnxruntime's quantizer
 * cannot type (e.g. already fused by its transformer optimizer) work too.
 */
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { quantizeAttention } from './attention.js';
import { QuantizeContext, type RewriteResult, type SkippedNode } from './context.js';
import { EXPANDED_CONV, quantizeConv } from './conv.js';
import { quantizeGather } from './gather.js';
import { quantizeGemm } from './gemm.js';
import { quantizeLstm } from './lstm.js';
import { quantizeMatMul } from './matmul.js';
import { upgradeBlockers } from '../version/upgrade.js';
import { ensureDefaultOpset, ensureMicrosoftOpset, MS_DOMAIN, type OpsetChange } from './opset.js';
import { normalizeOptions, type NormalizedOptions, type QuantFormat, type QuantizableOpType, type QuantizeDynamicOptions } from './options.js';
import { removeReleased } from './rewrite.js';
import { FLOAT_WEIGHT_REPORT_BYTES, floatWeightsLeft, kib, shareQuantizedWeights, type FloatWeightLeft, type SharedWeight } from './shared.js';
import {
  constantBytes,
  finishedFields,
  includesNoNode,
  opsetNote,
  QuantizationPass,
  skipNotes,
  unchangedFields,
  type QuantizationSummaryBase,
} from './summary.js';
import { findConstant, initializerOwners } from './weights.js';

export interface QuantizeSummary extends QuantizationSummaryBase<QuantizableOpType> {
  kind: 'int8';
  format: QuantFormat;
  weightType: 'int8' | 'uint8';
  perChannel: boolean;
  /** Conv's default form (int8 weights, float math) stores one scale per output channel. */
  convPerChannel: boolean;
  reduceRange: boolean;
  /** Undefined: onnxruntime's default (symmetric for int8, asymmetric for uint8). */
  symmetric: boolean | undefined;
  /** Weights that quantized and float ops share, stored once (quantized); the float ops read them rebuilt. */
  sharedWeights: SharedWeight[];
  /** Float32 weights of FLOAT_WEIGHT_REPORT_BYTES or more left in the model, and why. */
  floatWeightsLeft: FloatWeightLeft[];
  [key: string]: unknown;
}

export interface QuantizeResult {
  model: Model;
  summary: QuantizeSummary;
}

const QUANTIZED_OPS = new Set([
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'QuantizeLinear',
  'DequantizeLinear',
  'QAttention',
  'DynamicQuantizeLSTM',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QGemm',
  'MatMulNBits',
]);

/** The quantizable op a node is, if any. */
export function quantizableKind(node: Node): QuantizableOpType | undefined {
  if (node.opType === 'Attention') return node.domain === MS_DOMAIN ? 'Attention' : undefined;
  if (!node.isOnnxOp()) return undefined;
  switch (node.opType) {
    case 'MatMul':
    case 'Gemm':
    case 'Gather':
    case 'LSTM':
    case 'Conv':
      return node.opType;
    default:
      return undefined;
  }
}

/** The input holding each op's weight. */
const WEIGHT_INPUT: Record<QuantizableOpType, number> = { MatMul: 1, Gemm: 1, Gather: 0, Attention: 1, LSTM: 1, Conv: 1 };

/** The input a quantizable node reads its weight from; undefined for other nodes. */
function weightInputOf(node: Node): number | undefined {
  const kind = quantizableKind(node);
  return kind ? WEIGHT_INPUT[kind] : undefined;
}

type Rewriter = (ctx: QuantizeContext, node: Node, graph: Graph) => RewriteResult;

const REWRITERS: Record<QuantizableOpType, Rewriter> = {
  MatMul: quantizeMatMul,
  Gemm: quantizeGemm,
  Gather: quantizeGather,
  Attention: quantizeAttention,
  LSTM: quantizeLstm,
  Conv: quantizeConv,
};

/** The first `max` items, then how many more there are. */
function listed(items: readonly string[], max: number): string {
  const more = items.length > max ? `; and ${items.length - max} more (--json lists them all)` : '';
  return items.slice(0, max).join('; ') + more;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

interface Candidate {
  node: Node;
  graph: Graph;
  kind: QuantizableOpType;
}

/** Every candidate node in the main graph and its subgraphs, in graph order. */
function findCandidates(model: Model): Candidate[] {
  const out: Candidate[] = [];
  for (const graph of [...model.graph.allGraphs()]) {
    for (const node of graph.nodes) {
      const kind = quantizableKind(node);
      if (kind) out.push({ node, graph, kind });
    }
  }
  return out;
}

/** The opset the emitted ops may need at most, so that a blocked raise is found before anything changes. */
function worstCaseOpset(options: NormalizedOptions, selected: readonly Candidate[]): number {
  if (options.format === 'qoperator') {
    const needs = (kind: QuantizableOpType): number => (kind === 'Gather' ? 10 : kind === 'Conv' && !options.convInteger ? 7 : 11);
    return Math.max(...selected.map((c) => needs(c.kind)));
  }
  const bidirectionalLstm = selected.some((c) => c.kind === 'LSTM' && c.node.attr('direction')?.asString() === 'bidirectional');
  return options.perChannel || bidirectionalLstm ? 13 : 10;
}

function emptySummary(options: NormalizedOptions, bytes: number, notes: string[]): QuantizeSummary {
  return {
    kind: 'int8',
    format: options.format,
    weightType: options.weightType,
    perChannel: options.perChannel,
    convPerChannel: options.convPerChannel,
    reduceRange: options.reduceRange,
    symmetric: options.symmetric,
    ...unchangedFields(options.opTypes, bytes, notes),
    sharedWeights: [],
    floatWeightsLeft: [],
  };
}

interface Selection {
  selected: Candidate[];
  skipped: SkippedNode[];
}

/** The candidates the options ask for that have a float32 constant weight; notes what is left out and why. */
function selectNodes(model: Model, opts: NormalizedOptions, owners: ReadonlyMap<Value, Graph>, notes: string[]): Selection {
  const candidates = findCandidates(model);
  const unknownExcluded = [...opts.excludeNodes].filter((name) => !candidates.some((c) => c.node.name === name));
  if (unknownExcluded.length > 0) notes.push(`--exclude-nodes: no quantizable node named ${unknownExcluded.join(', ')}`);

  const selection: Selection = { selected: [], skipped: [] };
  let withoutConstant = 0;
  for (const c of candidates) {
    const name = c.node.name ?? '';
    if (!opts.opTypes.has(c.kind) || (opts.includeNodes && !opts.includeNodes.has(name))) continue;
    if (!findConstant(model, owners, c.node.input(WEIGHT_INPUT[c.kind]))) {
      // No weight to quantize (activation x activation, a Gather over shapes): not a candidate at all.
      if (c.kind !== 'Gather') withoutConstant++;
      continue;
    }
    if (opts.excludeNodes.has(name)) selection.skipped.push({ node: name, op: c.kind, reason: 'excluded by --exclude-nodes' });
    else selection.selected.push(c);
  }
  if (withoutConstant > 0) notes.push(`${withoutConstant} node(s) have no float32 constant weight (both inputs computed) and stay float`);

  const inFunctions = model.functions.reduce((n, f) => n + [...f.body.allNodes()].filter((x) => quantizableKind(x)).length, 0);
  if (inFunctions > 0) notes.push(`${inFunctions} candidate node(s) inside model-local functions were left in float`);
  return selection;
}

/**
 * Settles the opset before the graph is touched: a model older than the
 * emitted ops need is upgraded now (the version converter rewrites the ops
 * whose signature changed), so the quantized nodes are written into a model
 * of their own opset. Throws naming the ops that cannot be upgraded (the model
 * is then untouched); for weight-only per-channel, which needs opset 13, such
 * ops make it fall back to per-tensor.
 */
function checkOpset(
  model: Model,
  opts: NormalizedOptions,
  selected: readonly Candidate[],
  notes: string[],
): { opts: NormalizedOptions; raised: OpsetChange | undefined } {
  const current = model.opsetVersion('') ?? 1;
  let target = worstCaseOpset(opts, selected);
  if (current < target && opts.format === 'qdq' && target === 13 && upgradeBlockers(model, 13).length > 0) {
    notes.push(`per-axis DequantizeLinear needs opset 13 and the model (opset ${current}) cannot be upgraded to it: weights quantized per tensor`);
    opts = { ...opts, perChannel: false };
    target = worstCaseOpset(opts, selected);
  }
  const raised = ensureDefaultOpset(model, target); // throws, changing nothing, when it cannot upgrade
  if (raised) notes.push(opsetNote('the quantized ops need', raised));
  return { opts, raised };
}

function isQuantizedInitializer(value: Value | null): boolean {
  const type = value?.initializer?.dataType;
  return type === DataType.INT8 || type === DataType.UINT8;
}

/** Why nothing was selected, for the summary. */
function nothingSelectedNote(model: Model, opts: NormalizedOptions, skipped: readonly SkippedNode[]): string {
  if (skipped.length > 0) return 'every quantizable node is excluded by --exclude-nodes';
  const existing = countBy(
    [...model.graph.allNodes()].filter((n) => QUANTIZED_OPS.has(n.opType)),
    (n) => n.opType,
  );
  const int8Stored = [...model.graph.allNodes()].filter((n) => n.opType === 'Cast' && isQuantizedInitializer(n.input(0))).length;
  if (int8Stored > 0) existing.set('Cast of an int8 weight', int8Stored);
  if (existing.size > 0) {
    return `the model is already quantized (${[...existing].map(([op, n]) => `${n} ${op}`).join(', ')}); nothing left to quantize`;
  }
  const among = opts.includeNodes ? ' among --include-nodes' : '';
  return `nothing to quantize: no ${[...opts.opTypes].join('/')} node with a float32 constant weight${among}`;
}

/**
 * Quantizes `model` in place and returns it with a summary. Leaves the model
 * untouched (summary.modified false, with a note saying why) when there is
 * nothing to quantize; throws OnnxpressError for options it cannot honour
 * and for an opset it cannot raise (the model is then untouched too).
 */
export function quantizeDynamic(model: Model, options: QuantizeDynamicOptions = {}): QuantizeResult {
  let opts = normalizeOptions(options);
  const bytesBefore = constantBytes(model);
  const notes: string[] = [];

  if (includesNoNode(model, opts.includeNodes, notes)) return { model, summary: emptySummary(opts, bytesBefore, notes) };

  const owners = initializerOwners(model);
  const { selected, skipped } = selectNodes(model, opts, owners, notes);
  if (selected.length === 0) {
    notes.push(nothingSelectedNote(model, opts, skipped));
    return { model, summary: { ...emptySummary(opts, bytesBefore, notes), skipped } };
  }
  const checked = checkOpset(model, opts, selected, notes);
  opts = checked.opts;
  const current = model.opsetVersion('') ?? 1;

  const ctx = new QuantizeContext(model, opts, owners);
  ctx.skippedNodes.push(...skipped);
  for (const { node, graph, kind } of selected) {
    if (!graph.has(node)) continue;
    ctx.source = node.name;
    const result = REWRITERS[kind](ctx, node, graph);
    ctx.source = undefined;
    const name = node.name ?? '';
    if ('as' in result) ctx.quantizedNodes.push({ node: name, op: kind, as: result.as });
    else if ('skipped' in result) ctx.skippedNodes.push({ node: name, op: kind, reason: result.skipped });
  }
  removeReleased(ctx);
  const sharedWeights = shareQuantizedWeights(ctx, weightInputOf);
  if (sharedWeights.length > 0) removeReleased(ctx);

  let opsetRaised: { from: number; to: number } | undefined = checked.raised && { from: checked.raised.from, to: checked.raised.to };
  if (ctx.requiredOpset > current) {
    const more = ensureDefaultOpset(model, ctx.requiredOpset);
    if (more) {
      opsetRaised = { from: opsetRaised?.from ?? more.from, to: more.to };
      notes.push(opsetNote('the quantized ops need', more));
    }
  }
  if (ctx.usesMicrosoftDomain) ensureMicrosoftOpset(model);

  const expandedConvs = ctx.quantizedNodes.filter((q) => q.as === EXPANDED_CONV).length;
  if (expandedConvs > 0) {
    notes.push(
      `${expandedConvs} Conv node(s) got int8 weights that ONNX Runtime expands to float once at load, and keep float math: ConvInteger ran 2.8-8x slower than float Conv (--conv-integer to use it anyway)`,
    );
  }
  if (ctx.quantizedNodes.length === 0) notes.push('nothing was quantized: every candidate was skipped');
  notes.push(...skipNotes(ctx.skippedNodes));
  if (sharedWeights.length > 0) {
    const each = sharedWeights.map((w) => `'${w.weight}' as ${w.storedAs}, which ${w.floatReaders.join(', ')} read(s) through ${w.via}`);
    notes.push(`${sharedWeights.length} weight(s) read by quantized and float ops stored once, quantized: ${listed(each, 3)}`);
  }
  const left = floatWeightsLeft(ctx, weightInputOf);
  if (left.length > 0) {
    const total = left.reduce((n, w) => n + w.bytes, 0);
    const each = left.map((w) => `'${w.weight}' (${kib(w.bytes)}): ${w.reason}`);
    notes.push(`${left.length} float weight(s) of ${kib(FLOAT_WEIGHT_REPORT_BYTES)} or more left float, ${kib(total)} in all: ${listed(each, 3)}`);
  }

  const summary: QuantizeSummary = {
    ...emptySummary(opts, bytesBefore, notes),
    ...finishedFields(model, ctx, bytesBefore, opsetRaised),
    sharedWeights,
    floatWeightsLeft: left,
  };
  return { model, summary };
}

/** `quantizeDynamic` as a pass: the options are fixed when it is made. */
export class QuantizeDynamicPass extends QuantizationPass<QuantizeDynamicOptions, QuantizeSummary> {
  readonly name = 'int8';

  constructor(options: QuantizeDynamicOptions = {}) {
    super(quantizeDynamic, options);
  }
}
