/**
 * What each output of a model is, read from the graph's structure (no weights needed): class scores, whose
 * top-k agreement is worth a default threshold; a recurrent state, which gets a looser default cosine; or
 * anything else (hidden states, maps, boxes), whose top-k agreement is reported but not checked by default.
 * docs/validation.md ("Which outputs the defaults check") states the rules.
 */
import { AttrType } from '../ir/attribute.js';
import { isDefaultDomain } from '../ir/domain.js';
import type { Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { dimsOf } from '../ir/types.js';
import type { OutputRole } from './types.js';

export interface RoleDecision {
  role: OutputRole;
  /** Why, in a few words: "labels are given for it", "Softmax over its last axis", ... */
  reason: string;
}

/** An output as the classifier needs it: its name and the dims it had at run time. */
export interface OutputShape {
  name: string;
  dims: readonly number[];
}

/**
 * The role of each output. Labels make an output class scores; otherwise each model's graph is read (the
 * baseline first): a recurrent state in either graph makes a state, class scores in either make class scores.
 */
export function classifyOutputs(
  models: readonly Model[],
  outputs: readonly OutputShape[],
  options: { labelsOutput?: string } = {},
): Map<string, RoleDecision> {
  const roles = new Map<string, RoleDecision>();
  for (const output of outputs) roles.set(output.name, classifyOutput(models, output, options));
  return roles;
}

export function classifyOutput(models: readonly Model[], output: OutputShape, options: { labelsOutput?: string } = {}): RoleDecision {
  if (options.labelsOutput === output.name) return { role: 'class-scores', reason: 'labels are given for it' };
  const values = models.flatMap((model) => {
    const value = model.graph.outputs.find((v) => v.name === output.name);
    return value ? [{ value, opset: model.opsetVersion('') ?? LATEST_SOFTMAX_OPSET }] : [];
  });
  for (const { value } of values) {
    const state = recurrentStateSource(value, new Set());
    if (state) return { role: 'recurrent-state', reason: state };
  }
  const byName = stateName(output.name);
  if (byName) return { role: 'recurrent-state', reason: byName };
  if (NOT_SCORES_NAME.test(output.name)) return { role: 'other', reason: 'its name says hidden state, embedding or features' };
  const last = output.dims[output.dims.length - 1];
  if (last === undefined || last < 2) return { role: 'other', reason: 'its last axis has fewer than 2 entries' };
  for (const { value, opset } of values) {
    const scores = classScoresSource(value, opset, output.dims.length, last);
    if (scores) return { role: 'class-scores', reason: scores };
  }
  return { role: 'other', reason: 'not made by a Softmax/LogSoftmax over its last axis or by a linear layer as wide as that axis' };
}

// ---------------------------------------------------------------------------------------------------------------
// Names

/** Names of hidden states, embeddings and features: never class scores, whatever makes them. */
const NOT_SCORES_NAME = /hidden|embed|feature|latent/i;

/** A recurrent state or a key/value cache by its name (present.0.key, past_key_values, hn, cn, stateN, ...). */
export function stateName(name: string): string | undefined {
  if (/(^|[^a-z])(present|past)([^a-z]|$)/i.test(name) || /key_?values|kv_?cache/i.test(name)) {
    return 'its name says key/value cache (present/past)';
  }
  if (/^[hc]_?n$|^[hc]_?(out|next)$|^(new_|next_)?states?(_?n|_?out)?$/i.test(name)) return 'its name says recurrent state';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Structure

const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

/** Ops a state passes through unchanged in meaning on its way to a graph output. */
const STATE_PASS_THROUGH = new Set(['Identity', 'Cast', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten', 'Transpose', 'DequantizeLinear']);

/** "Y_h of LSTM 'name'" when the value is an LSTM/GRU/RNN's final hidden or cell state (also from inside If branches). */
function recurrentStateSource(value: Value, seen: Set<Value>): string | undefined {
  for (let v: Value | null = value; v && !seen.has(v);) {
    seen.add(v);
    const node = v.producer();
    if (!node) return undefined;
    const index = v.outputIndex();
    if (isDefaultDomain(node.domain) && RECURRENT_OPS.has(node.opType)) {
      if (index === 0) return undefined;
      return `${index === 1 ? 'Y_h' : 'Y_c'} (final ${index === 1 ? 'hidden' : 'cell'} state) of ${describe(node)}`;
    }
    if (isDefaultDomain(node.domain) && node.opType === 'If') {
      for (const branch of node.subgraphs()) {
        const inner = branch.outputs[index];
        const found = inner && recurrentStateSource(inner, seen);
        if (found) return found;
      }
      return undefined;
    }
    if (!isDefaultDomain(node.domain) || !STATE_PASS_THROUGH.has(node.opType)) return undefined;
    v = node.inputs[0] ?? null;
  }
  return undefined;
}

/** Ops between a classifier's scores and the graph output that keep the last axis the class axis. */
const SCORE_PASS_THROUGH = new Set([
  'Identity',
  'Cast',
  'Dropout',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'DequantizeLinear',
  'QuantizeLinear',
]);
/** Rank changes: after one, only a linear layer's width can show the last axis is its class axis. */
const RANK_CHANGING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
/** Elementwise ops by a constant (a bias, a dequantization scale, a temperature) keep the scores' axis. */
const CONSTANT_ARITHMETIC = new Set(['Add', 'Sub', 'Mul', 'Div']);

/**
 * Why the value holds class scores over its last axis of `last` entries, or undefined: a Softmax/LogSoftmax over
 * that axis, or a linear layer (MatMul, Gemm and their quantized forms) whose output width is `last`, followed only
 * by casts, reshapes, dropout, (de)quantization and arithmetic with constants or dequantization scales.
 */
function classScoresSource(value: Value, opset: number, rank: number, last: number, reshaped = false, depth = 0): string | undefined {
  const node = value.producer();
  if (!node || depth > 32) return undefined;
  const op = node.opType;
  const onnx = isDefaultDomain(node.domain);
  const next = (v: Value | null | undefined, again = reshaped) => (v ? classScoresSource(v, opset, rank, last, again, depth + 1) : undefined);
  if (onnx && (op === 'Softmax' || op === 'LogSoftmax')) {
    return softmaxOverLast(node, value, opset, reshaped ? undefined : rank) ? `${op} over its last axis (${describe(node)})` : undefined;
  }
  const width = linearWidth(node);
  if (width !== undefined) return width === last ? `the ${last} outputs of linear layer ${describe(node)} are its last axis` : undefined;
  if (onnx && SCORE_PASS_THROUGH.has(op)) return next(node.inputs[0], reshaped || RANK_CHANGING.has(op));
  if (onnx && CONSTANT_ARITHMETIC.has(op)) {
    const a = node.inputs[0];
    const b = node.inputs[1];
    if (!a || !b) return undefined;
    if (isConstant(b)) return next(a);
    if (isConstant(a)) return op === 'Add' || op === 'Mul' ? next(b) : undefined;
    // A dequantization: Mul(Cast(MatMulInteger(...)), input scale x weight scale), either way round.
    return op === 'Mul' ? (next(a) ?? next(b)) : undefined;
  }
  return undefined;
}

/** The Softmax signature of opset 13 and later: per-row over `axis`, default -1. */
const LATEST_SOFTMAX_OPSET = 13;

/** Whether a Softmax/LogSoftmax normalizes over the last axis alone. `rank`: of its output when known from the graph output. */
function softmaxOverLast(node: Node, output: Value, opset: number, rank: number | undefined): boolean {
  const attr = node.attr('axis');
  const axis = attr ? attr.asNumber() : opset >= LATEST_SOFTMAX_OPSET ? -1 : 1;
  if (axis === -1) return true;
  const known = dimsOf(output.type)?.length ?? dimsOf(node.inputs[0]?.type)?.length ?? rank;
  if (known === undefined) return false;
  // Before opset 13 Softmax flattened the axes from `axis` on, so only axis = rank - 1 is per-row over the last axis.
  return (axis < 0 ? axis + known : axis) === known - 1;
}

/** Linear layers: op (domain-qualified when not ONNX) -> the input holding the weight and whether it reads `transB`. */
const LINEAR_OPS: Record<string, { weight: number; transB?: true }> = {
  MatMul: { weight: 1 },
  Gemm: { weight: 1, transB: true },
  MatMulInteger: { weight: 1 },
  QLinearMatMul: { weight: 3 },
  'com.microsoft::MatMulIntegerToFloat': { weight: 1 },
  'com.microsoft::DynamicQuantizeMatMul': { weight: 1 },
  'com.microsoft::FusedMatMul': { weight: 1, transB: true },
  'com.microsoft::QGemm': { weight: 3, transB: true },
};

/** A linear layer's output width (columns of its constant weight), or undefined when the node is not one or it cannot be told. */
function linearWidth(node: Node): number | undefined {
  const key = isDefaultDomain(node.domain) ? node.opType : `${node.domain}::${node.opType}`;
  if (key === 'com.microsoft::MatMulNBits') {
    const n = node.attr('N');
    return n ? n.asNumber() : undefined;
  }
  const spec = LINEAR_OPS[key];
  if (!spec) return undefined;
  const weight = node.inputs[spec.weight];
  const dims = weight ? (constantDims(weight) ?? staticDims(weight)) : undefined;
  if (!dims || dims.length < 2) return undefined;
  const transB = spec.transB && (node.attr('transB')?.asNumber() ?? 0) === 1;
  return transB ? dims[dims.length - 2] : dims[dims.length - 1];
}

/** Dims of a constant (an initializer or a Constant node, through Identity, Cast, DequantizeLinear and Transpose). */
function constantDims(value: Value): number[] | undefined {
  if (value.initializer) return value.initializer.dims.map(Number);
  const node = value.producer();
  if (!node || !isDefaultDomain(node.domain)) return undefined;
  if (node.opType === 'Constant') {
    const attr = node.attr('value');
    return attr?.type === AttrType.TENSOR && attr.value ? (attr.value as { dims: (number | bigint)[] }).dims.map(Number) : undefined;
  }
  if (node.opType === 'Identity' || node.opType === 'Cast' || node.opType === 'DequantizeLinear') {
    return node.inputs[0] ? constantDims(node.inputs[0]) : undefined;
  }
  if (node.opType === 'Transpose') {
    const inner = node.inputs[0] ? constantDims(node.inputs[0]) : undefined;
    if (!inner) return undefined;
    const perm = node.attr('perm')?.asInts() ?? inner.map((_, i) => inner.length - 1 - i);
    return perm.map((p) => inner[p]!);
  }
  return undefined;
}

/** Dims of a value from its declared type, when every one is a number. */
function staticDims(value: Value): number[] | undefined {
  const dims = dimsOf(value.type);
  return dims && dims.every((d): d is number => typeof d === 'number') ? dims : undefined;
}

function isConstant(value: Value): boolean {
  return constantDims(value) !== undefined;
}

function describe(node: Node): string {
  return node.name ? `${node.opType} '${node.name}'` : node.opType;
}
