/**
 * Block-wise weight-only quantization (`--to q4`): 4-bit or 8-bit weights in blocks along the reduced axis,
 * one scale (and zero point) per block, with onnxruntime's MatMulNBitsQuantizer arithmetic (blockwise.ts).
 * MatMul and Gemm become com.microsoft MatMulNBits; Gather tables, on request, GatherBlockQuantized; or, in the
 * QDQ format, blocked DequantizeLinear nodes feed the unchanged float ops. Activations stay float.
 */
import type { Graph, Node } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { sortTopologically } from '../../ir/toposort.js';
import { checkDefaultOpset, ensureDefaultOpset, ensureMicrosoftOpset } from '../quantize/opset.js';
import {
  constantBytes,
  finishedFields,
  includesNoNode,
  opsetNote,
  QuantizationPass,
  skipNotes,
  unchangedFields,
  type QuantizationSummaryBase,
} from '../quantize/summary.js';
import { initializerOwners } from '../quantize/weights.js';
import { NBitsContext, type RewriteResult, type SkippedNode } from './context.js';
import { normalizeNBitsOptions, type NBitsFormat, type NBitsOpType, type NormalizedNBitsOptions, type QuantizeNBitsOptions } from './options.js';
import { quantizeGather, quantizeGemm, quantizeMatMul } from './rewrite.js';

export interface QuantizeNBitsSummary extends QuantizationSummaryBase<NBitsOpType> {
  kind: 'q4';
  bits: 4 | 8;
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
  format: NBitsFormat;
  /** Weights quantized once for both a Gather and a MatMul/Gemm (tied embeddings). */
  tiedWeights: number;
  [key: string]: unknown;
}

export interface QuantizeNBitsResult {
  model: Model;
  summary: QuantizeNBitsSummary;
}

/** The opset DequantizeLinear's `block_size` (and INT4/UINT4 tensors) need: the QDQ format raises the model to it. */
export const QDQ_OPSET = 21;
const QDQ_NEEDS = `q4 --format qdq (DequantizeLinear with block_size)`;

/** Why a head Gemm stays float. */
export const HEAD_REASON = "the model's head (after its last MatMul/Conv), kept float: name it in --include-nodes to quantize it";

/** Ops that already hold block-quantized weights. */
const BLOCK_QUANTIZED_OPS = new Set(['MatMulNBits', 'GatherBlockQuantized', 'MatMulBnb4', 'MatMulFpQ4']);

type Rewriter = (ctx: NBitsContext, node: Node, graph: Graph) => RewriteResult;
const REWRITERS: Record<NBitsOpType, Rewriter> = { MatMul: quantizeMatMul, Gemm: quantizeGemm, Gather: quantizeGather };

interface Candidate {
  node: Node;
  graph: Graph;
  kind: NBitsOpType;
}

function candidateKind(node: Node): NBitsOpType | undefined {
  if (!node.isOnnxOp()) return undefined;
  return node.opType === 'MatMul' || node.opType === 'Gemm' || node.opType === 'Gather' ? node.opType : undefined;
}

/** Every MatMul, Gemm and Gather of the main graph and its subgraphs, in graph order. */
function findCandidates(model: Model): Candidate[] {
  const out: Candidate[] = [];
  for (const graph of [...model.graph.allGraphs()]) {
    for (const node of graph.nodes) {
      const kind = candidateKind(node);
      if (kind) out.push({ node, graph, kind });
    }
  }
  return out;
}

function emptySummary(opts: NormalizedNBitsOptions, bytes: number, notes: string[]): QuantizeNBitsSummary {
  return {
    kind: 'q4',
    bits: opts.bits,
    blockSize: opts.blockSize,
    symmetric: opts.symmetric,
    accuracyLevel: opts.accuracyLevel,
    format: opts.format,
    ...unchangedFields(opts.opTypes, bytes, notes),
    tiedWeights: 0,
  };
}

function isBlockedDequantize(node: Node): boolean {
  return node.isOnnxOp('DequantizeLinear') && Number(node.attr('block_size')?.value ?? 0) > 0;
}

/** Why nothing was quantized, for the summary. */
function nothingNote(model: Model, opts: NormalizedNBitsOptions, excluded: number): string {
  if (excluded > 0) return 'nothing was quantized: every candidate node is excluded or part of the head';
  const existing = new Map<string, number>();
  for (const node of model.graph.allNodes()) {
    const op = BLOCK_QUANTIZED_OPS.has(node.opType) ? node.opType : isBlockedDequantize(node) ? 'blocked DequantizeLinear' : undefined;
    if (op) existing.set(op, (existing.get(op) ?? 0) + 1);
  }
  if (existing.size > 0) {
    return `the model is already block-quantized (${[...existing].map(([op, n]) => `${n} ${op}`).join(', ')}); nothing left to quantize`;
  }
  const among = opts.includeNodes ? ' among --include-nodes' : '';
  return `nothing to quantize: no ${[...opts.opTypes].join('/')} node with a float32 constant weight${among}`;
}

/** Ops that do a model's main work: a Gemm behind all of them is part of its head. */
const BODY_OPS = new Set([
  'MatMul',
  'Conv',
  'ConvTranspose',
  'Einsum',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'MatMulNBits',
  'Attention',
  'MultiHeadAttention',
  'LSTM',
  'GRU',
  'RNN',
]);

function isBodyOp(node: Node): boolean {
  return BODY_OPS.has(node.opType);
}

/** Whether a body op is reachable from `start` following `next` (producers or consumers). */
function reaches(start: Node, next: (node: Node) => Iterable<Node>): boolean {
  const seen = new Set<Node>([start]);
  const stack = [...next(start)];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (isBodyOp(node)) return true;
    stack.push(...next(node));
  }
  return false;
}

function consumers(node: Node): Node[] {
  return node.outputs.flatMap((v) => (v ? v.uses().map((u) => u.node) : []));
}

function producers(node: Node): Node[] {
  return node.inputs.flatMap((v) => {
    const p = v?.producer();
    return p ? [p] : [];
  });
}

/**
 * The Gemm nodes of the model's head: after its last MatMul/Conv (nothing of the body downstream, some of it
 * upstream), such as BERT's pooler and classifier or a CNN's fully connected layers. Exporters write nn.Linear
 * on 2-D inputs as Gemm, so in transformer and CNN exports Gemm is mostly the head, working on one vector per
 * example, where 4-bit error is not averaged away: on the corpus, quantizing bert_tiny's pooler and classifier
 * took its output cosine from 0.99999 to 0.98884 for 0.6% of the file. A model whose body is Gemm (an MLP, a
 * GPT-2 export with Conv1D as Gemm) has MatMul or nothing upstream and is quantized.
 */
function headGemms(candidates: readonly Candidate[]): Set<Node> {
  const heads = new Set<Node>();
  for (const c of candidates) {
    if (c.kind === 'Gemm' && !reaches(c.node, consumers) && reaches(c.node, producers)) heads.add(c.node);
  }
  return heads;
}

/** Removes released values that nothing reads any more, and the Constant, Identity and Transpose nodes behind them. */
function removeReleased(ctx: NBitsContext): void {
  const irVersion = Number(ctx.model.irVersion ?? 0);
  const pending = [...ctx.released];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (value.useCount > 0 || value.outputGraphs().length > 0) continue;
    if (value.initializer) {
      ctx.owners.get(value)?.removeInitializerIfUnused(value.name, { evenIfGraphInput: irVersion < 4 });
      continue;
    }
    const producer = value.producer();
    if (!producer || !producer.graph || !producer.isOnnxOp() || !['Constant', 'Identity', 'Transpose'].includes(producer.opType)) continue;
    if (producer.outputs.some((o) => o && (o.useCount > 0 || o.outputGraphs().length > 0))) continue;
    const input = producer.opType === 'Constant' ? null : producer.input(0);
    producer.graph.remove(producer);
    if (input) pending.push(input);
  }
}

/**
 * Quantizes `model` in place and returns it with a summary. Leaves the model untouched (summary.modified false,
 * with a note saying why) when there is nothing to quantize; throws OnnxpressError for options it cannot honour
 * and, in the QDQ format, for a model that cannot be raised to opset 21 (the model is then untouched too).
 */
export function quantizeNBits(model: Model, options: QuantizeNBitsOptions = {}): QuantizeNBitsResult {
  const opts = normalizeNBitsOptions(options);
  const bytesBefore = constantBytes(model);
  const notes: string[] = [];

  if (includesNoNode(model, opts.includeNodes, notes)) return { model, summary: emptySummary(opts, bytesBefore, notes) };

  const owners = initializerOwners(model);
  const ctx = new NBitsContext(model, opts, owners);
  const candidates = findCandidates(model);
  const unknownExcluded = [...opts.excludeNodes].filter((name) => !candidates.some((c) => c.node.name === name));
  if (unknownExcluded.length > 0) notes.push(`--exclude-nodes: no candidate node named ${unknownExcluded.join(', ')}`);

  const selected: Candidate[] = [];
  const skipped: SkippedNode[] = [];
  const heads = opts.opTypes.has('Gemm') ? headGemms(candidates) : new Set<Node>();
  let withoutConstant = 0;
  for (const c of candidates) {
    const name = c.node.name ?? '';
    if (!opts.opTypes.has(c.kind) || (opts.includeNodes && !opts.includeNodes.has(name))) continue;
    const weight = ctx.weight(c.node.input(c.kind === 'Gather' ? 0 : 1));
    if (!weight || (c.kind === 'Gather' && weight.transpose)) {
      if (c.kind !== 'Gather') withoutConstant++;
      continue;
    }
    if (opts.excludeNodes.has(name)) skipped.push({ node: name, op: c.kind, reason: 'excluded by --exclude-nodes' });
    else if (heads.has(c.node) && !opts.includeNodes?.has(name)) skipped.push({ node: name, op: c.kind, reason: HEAD_REASON });
    else selected.push(c);
  }
  if (withoutConstant > 0) notes.push(`${withoutConstant} node(s) have no float32 constant weight (both inputs computed) and stay float`);
  const inFunctions = model.functions.reduce((n, f) => n + [...f.body.allNodes()].filter((x) => candidateKind(x)).length, 0);
  if (inFunctions > 0) notes.push(`${inFunctions} candidate node(s) inside model-local functions were left in float`);

  if (selected.length === 0) {
    notes.push(nothingNote(model, opts, skipped.length), ...skipNotes(skipped));
    return { model, summary: { ...emptySummary(opts, bytesBefore, notes), skipped } };
  }

  // The QDQ format needs opset 21: settled before anything changes, so a model that cannot be raised is untouched.
  // The raise itself comes after the rewrite, so that a model of which nothing is quantized keeps its opset.
  const raiseOpset = opts.format === 'qdq' && (model.opsetVersion('') ?? 1) < QDQ_OPSET;
  if (raiseOpset)
    checkDefaultOpset(model, QDQ_OPSET, QDQ_NEEDS, `use --format qoperator, or convert the model to opset ${QDQ_OPSET} first (--opset ${QDQ_OPSET})`);
  if (opts.format === 'qdq' && opts.accuracyLevel !== 0) notes.push('--accuracy-level applies to MatMulNBits only: ignored with --format qdq');

  ctx.skippedNodes.push(...skipped);
  for (const c of selected) if (c.kind === 'Gather') ctx.addTable(ctx.weight(c.node.input(0))!);
  // MatMul and Gemm first, so that a Gather of a tied table finds its MatMulNBits weight and shares it.
  const ordered = [...selected.filter((c) => c.kind !== 'Gather'), ...selected.filter((c) => c.kind === 'Gather')];
  const results = new Map<Candidate, RewriteResult>();
  for (const c of ordered) {
    if (!c.graph.has(c.node)) continue;
    ctx.source = c.node.name;
    results.set(c, REWRITERS[c.kind](ctx, c.node, c.graph));
    ctx.source = undefined;
  }
  for (const c of selected) {
    const result = results.get(c);
    const name = c.node.name ?? '';
    if (result && 'as' in result) ctx.quantizedNodes.push({ node: name, op: c.kind, as: result.as });
    else if (result && 'skipped' in result) ctx.skippedNodes.push({ node: name, op: c.kind, reason: result.skipped });
  }
  removeReleased(ctx);
  for (const graph of ctx.touched) sortTopologically(graph);

  let opsetRaised: { from: number; to: number } | undefined;
  if (raiseOpset && ctx.quantizedNodes.length > 0) {
    const raised = ensureDefaultOpset(model, QDQ_OPSET, QDQ_NEEDS)!;
    opsetRaised = { from: raised.from, to: raised.to };
    notes.push(opsetNote("DequantizeLinear's block_size needs", raised));
  }
  if (ctx.usesMicrosoftDomain) ensureMicrosoftOpset(model);
  if (ctx.tiedWeights > 0) notes.push(`${ctx.tiedWeights} weight(s) shared by a Gather and a MatMul/Gemm were quantized once`);
  if (ctx.quantizedNodes.length === 0) notes.push('nothing was quantized: every candidate was skipped');
  notes.push(...skipNotes(ctx.skippedNodes));

  const summary: QuantizeNBitsSummary = {
    ...emptySummary(opts, bytesBefore, notes),
    ...finishedFields(model, ctx, bytesBefore, opsetRaised),
    tiedWeights: ctx.tiedWeights,
  };
  return { model, summary };
}

/** `quantizeNBits` as a pass: the options are fixed when it is made. */
export class QuantizeNBitsPass extends QuantizationPass<QuantizeNBitsOptions, QuantizeNBitsSummary> {
  readonly name = 'q4';

  constructor(options: QuantizeNBitsOptions = {}) {
    super(quantizeNBits, options);
  }
}
