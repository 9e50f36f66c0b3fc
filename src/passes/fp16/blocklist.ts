/**
 * The default FP16 block list: nodes, or some of their inputs/outputs, that a float32 -> float16
 * conversion must leave in float32. Each rule says why; docs/fp16-blocklist.md has the evidence
 * (ONNX type constraints as ONNX Runtime 1.30 enforces them, and what its CPU provider does with
 * float16), and test/passes/fp16/blocklist.test.ts re-checks it against onnxruntime-node.
 *
 * Ops that are not listed are safe to convert: either ORT has a float16 CPU kernel, or it lacks
 * one and inserts Casts to float32 around the node by itself (which works, see the doc).
 */

import { normalizeDomain } from '../../ir/domain.js';

/** Why a rule exists. */
export type BlockSource =
  /** The op's schema (ONNX's, or ORT's for its own ops) does not allow float16 there. */
  | 'spec'
  /** The schema allows float16 but ONNX Runtime 1.30's CPU provider fails to load or run it. */
  | 'ort'
  /** Float16 is accepted but silently breaks results that matter. */
  | 'numerics'
  /** Taken from onnxruntime.transformers.float16 for a kernel that cannot be checked on CPU. */
  | 'reference';

export interface BlockRule {
  /** Operator type; '*' stands for every operator of the domain. */
  op: string;
  /** Operator domain; '' is the default ONNX domain (also written 'ai.onnx'). */
  domain: string;
  /**
   * Inputs that must stay float32 (indices). When neither this nor `float32Outputs` is given,
   * the whole node stays float32: its float inputs are cast up and its float outputs cast down.
   */
  float32Inputs?: readonly number[];
  /** Outputs that must stay float32 (indices); the other float inputs/outputs become float16. */
  float32Outputs?: readonly number[];
  /** The rule holds only when the model imports the op's domain at a version below this. */
  belowOpset?: number;
  /** The rule holds only when this string attribute (or its default when absent) is one of `oneOf`. */
  whenAttribute?: { readonly name: string; readonly oneOf: readonly string[]; readonly default: string };
  source: BlockSource;
  reason: string;
}

/** What `blockRuleFor` needs to decide conditional rules for one node. */
export interface NodeContext {
  /** Version of the node's domain imported by the model (or function). */
  opset?: number;
  /** Value of a string attribute of the node, undefined when absent. */
  stringAttribute?: (name: string) => string | undefined;
}

const ONNX = '';
const MS = 'com.microsoft';
const ML = 'ai.onnx.ml';

const SCALES_FLOAT_ONLY = 'The scale inputs are tensor(float) only; the node has no other float tensor, so it stays float32 whole.';

function rule(r: BlockRule): BlockRule {
  return Object.freeze({
    ...r,
    ...(r.float32Inputs ? { float32Inputs: Object.freeze([...r.float32Inputs]) } : {}),
    ...(r.float32Outputs ? { float32Outputs: Object.freeze([...r.float32Outputs]) } : {}),
    ...(r.whenAttribute ? { whenAttribute: Object.freeze({ ...r.whenAttribute, oneOf: Object.freeze([...r.whenAttribute.oneOf]) }) } : {}),
  });
}

export const DEFAULT_BLOCK_RULES: readonly BlockRule[] = Object.freeze([
  // ---------------------------------------------------------------- ai.onnx, by the spec
  rule({
    op: 'Resize',
    domain: ONNX,
    float32Inputs: [1, 2],
    source: 'spec',
    reason:
      '`scales` is tensor(float) only: input 1 at opset 10, input 2 from opset 11. From opset 11 input 1 is `roi`, ' +
      'which may be float16, but keeping it float32 too lets one rule fit every opset. X and Y become float16.',
  }),
  rule({
    op: 'Upsample',
    domain: ONNX,
    float32Inputs: [1],
    source: 'spec',
    reason: '`scales` (input 1, opset 9) is tensor(float) only. X and Y become float16.',
  }),
  rule({
    op: 'Range',
    domain: ONNX,
    source: 'spec',
    reason: 'start, limit, delta and the output share T, which has no float16 up to opset 26 (the newest ORT 1.30 loads).',
  }),
  rule({
    op: 'CumSum',
    domain: ONNX,
    source: 'spec',
    reason:
      'T has no float16 at opsets 11-13. From opset 14 it does, but float16 sums are not exact past 2048, which breaks ' +
      'position ids and counts built with CumSum; ORT has no float16 kernel and would compute in float32 between Casts anyway.',
  }),
  rule({
    op: 'NonMaxSuppression',
    domain: ONNX,
    source: 'spec',
    reason: 'boxes, scores, iou_threshold and score_threshold are tensor(float) only.',
  }),
  rule({ op: 'Celu', domain: ONNX, source: 'spec', reason: 'T is tensor(float) only.' }),
  rule({
    op: 'LayerNormalization',
    domain: ONNX,
    float32Inputs: [],
    float32Outputs: [1, 2],
    source: 'spec',
    reason:
      'Mean and InvStdDev (outputs 1 and 2) have type U, which follows stash_type (float32). X, Scale, B and Y may be ' +
      'float16 and ORT has a float16 kernel.',
  }),
  rule({
    op: 'SimplifiedLayerNormalization',
    domain: ONNX,
    float32Inputs: [],
    float32Outputs: [1],
    source: 'spec',
    reason: 'An ORT op registered in the ONNX domain: inv_std_var (output 1) is float32 in its schema. The rest runs in float16.',
  }),
  rule({ op: 'TfIdfVectorizer', domain: ONNX, source: 'spec', reason: 'Y is tensor(float) only (the inputs are strings or integers).' }),
  rule({
    op: 'BitCast',
    domain: ONNX,
    source: 'spec',
    reason: 'Reinterprets bits: a float16 input changes the bit width, which ORT rejects, and the meaning of every value.',
  }),
  rule({ op: 'DynamicQuantizeLinear', domain: ONNX, source: 'spec', reason: 'x and y_scale are tensor(float) only.' }),
  rule({
    op: 'QuantizeLinear',
    domain: ONNX,
    belowOpset: 19,
    source: 'spec',
    reason: 'Before opset 19, x and y_scale are float32 (or int32) only. From opset 19 float16 is allowed and ORT has kernels.',
  }),
  rule({
    op: 'DequantizeLinear',
    domain: ONNX,
    belowOpset: 19,
    source: 'spec',
    reason: 'Before opset 19, x_scale and y are float32 only. From opset 19 float16 is allowed and ORT has kernels.',
  }),
  rule({
    op: 'QLinearMatMul',
    domain: ONNX,
    belowOpset: 21,
    source: 'spec',
    reason: 'Before opset 21 the scale inputs are tensor(float) only; the node has no other float tensor, so it stays float32 whole.',
  }),
  rule({ op: 'QLinearConv', domain: ONNX, source: 'spec', reason: SCALES_FLOAT_ONLY }),

  // ---------------------------------------------------------------- ai.onnx, by ONNX Runtime 1.30 (CPU)
  ...['RandomNormal', 'RandomUniform'].map((op) =>
    rule({
      op,
      domain: ONNX,
      source: 'ort',
      reason:
        'The spec allows dtype=float16, but ORT has no float16 kernel and, with no float input, cannot add Casts: the model ' +
        'fails to load. Keep dtype float32 and cast the output.',
    }),
  ),
  rule({
    op: 'EyeLike',
    domain: ONNX,
    source: 'ort',
    reason:
      'With dtype=float16 the model fails to load (no float16 kernel, and the output type comes from the attribute). ' +
      'Without dtype ORT adds Casts itself, so float32 costs nothing.',
  }),
  rule({
    op: 'MelWeightMatrix',
    domain: ONNX,
    source: 'ort',
    reason:
      'With output_datatype=float16 ORT, lacking a float16 kernel, inserts its Casts with an output type that contradicts ' +
      'the attribute, and the model fails to load. Keep output_datatype float32 and cast the output.',
  }),
  rule({
    op: 'MeanVarianceNormalization',
    domain: ONNX,
    source: 'ort',
    reason: 'No float16 kernel: ORT expands the function body, whose float32 constants clash with a float16 input, and the ' + 'model fails to load.',
  }),
  rule({
    op: 'ScatterND',
    domain: ONNX,
    whenAttribute: { name: 'reduction', oneOf: ['add', 'mul', 'max', 'min'], default: 'none' },
    source: 'ort',
    reason:
      'With a reduction the float16 kernel loads but fails at run time ("MLFloat16 data type is not supported ... when ' +
      'reduction is ..."). reduction=none runs in float16.',
  }),
  rule({
    op: 'ScatterElements',
    domain: ONNX,
    whenAttribute: { name: 'reduction', oneOf: ['add', 'mul'], default: 'none' },
    source: 'ort',
    reason: 'With reduction add or mul the float16 kernel loads but fails at run time. none, max and min run in float16.',
  }),

  // ---------------------------------------------------------------- com.microsoft (ORT contrib ops)
  ...['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization'].map((op) =>
    rule({
      op,
      domain: MS,
      float32Inputs: [],
      float32Outputs: [1, 2],
      source: 'spec',
      reason: 'mean and inv_std_var (outputs 1 and 2) are tensor(float) only. The rest runs in float16 (ORT has a kernel).',
    }),
  ),
  rule({ op: 'DynamicQuantizeMatMul', domain: MS, source: 'spec', reason: 'A and b_scale are tensor(float) only.' }),
  ...[
    'QGemm',
    'QLinearAdd',
    'QLinearMul',
    'QLinearSigmoid',
    'QLinearLeakyRelu',
    'QLinearGlobalAveragePool',
    'QLinearAveragePool',
    'QLinearConcat',
    'QLinearSoftmax',
  ].map((op) => rule({ op, domain: MS, source: 'spec', reason: SCALES_FLOAT_ONLY })),
  ...['GroupNorm', 'SkipGroupNorm'].map((op) =>
    rule({
      op,
      domain: MS,
      float32Inputs: [1, 2],
      source: 'reference',
      reason:
        "The schema lets gamma and beta be float16, but ORT's CUDA kernel wants them float32 (onnxruntime.transformers.float16 " +
        'keeps them so). ORT 1.30 has no CPU kernel for this op at all.',
    }),
  ),

  // ---------------------------------------------------------------- ai.onnx.ml
  rule({
    op: '*',
    domain: ML,
    source: 'spec',
    reason:
      "Classic-ML ops: their type constraints have no float16 (float, double, integers, strings, maps) and ORT's kernels " +
      'for them are float32/double.',
  }),
]);

function ruleKey(op: string, domain: string): string {
  return `${normalizeDomain(domain)}::${op}`;
}

const RULES_BY_KEY: ReadonlyMap<string, BlockRule> = new Map(DEFAULT_BLOCK_RULES.map((r) => [ruleKey(r.op, r.domain), r]));

/** An op holding quantized weights that runs in float16 (it is on no block list). */
export interface QuantizedWeightOp {
  op: string;
  domain: string;
  /** Inputs that are multipliers of a block (or a tensor) of weights: converted, but never written as zero. */
  scaleInputs: readonly number[];
  /** The inputs that keep their (integer) type, for the reader. */
  integerInputs: string;
}

/**
 * The ops of block-quantized models (`--to q4`, onnxruntime's MatMulNBitsQuantizer, transformers.js q4 files),
 * which take float16 (ONNX Runtime 1.30 has float16 CPU kernels for the first two; DequantizeLinear from opset 19,
 * see its rule above): their float inputs and outputs become float16 like any node's (A, Y, the scales, a float
 * zero point, a bias); their integer inputs keep their types by themselves (element types other than float32 are
 * never converted). A scale is rounded to float16 but a non-zero one is never written as zero, also with
 * --flush-subnormals (it would erase its whole block): it becomes float16's smallest subnormal, as onnxruntime's
 * float16 converter writes every tiny value.
 */
export const FLOAT16_QUANTIZED_WEIGHT_OPS: readonly QuantizedWeightOp[] = Object.freeze([
  { op: 'MatMulNBits', domain: MS, scaleInputs: [2], integerInputs: 'B (packed uint8), uint8 zero_points, g_idx' },
  { op: 'GatherBlockQuantized', domain: MS, scaleInputs: [2], integerInputs: 'data (packed uint8 or int4), indices, zero_points' },
  { op: 'DequantizeLinear', domain: ONNX, scaleInputs: [1], integerInputs: 'x, x_zero_point' },
]);

const SCALE_INPUTS: ReadonlyMap<string, ReadonlySet<number>> = new Map(
  FLOAT16_QUANTIZED_WEIGHT_OPS.map((q) => [ruleKey(q.op, q.domain), new Set(q.scaleInputs)]),
);

/** Whether input `index` of an (op, domain) node is the scale of quantized weights (see FLOAT16_QUANTIZED_WEIGHT_OPS). */
export function isScaleInput(op: string, domain: string, index: number): boolean {
  return SCALE_INPUTS.get(ruleKey(op, domain))?.has(index) ?? false;
}

/** True when the rule keeps the whole node in float32 rather than some of its inputs/outputs. */
export function blocksWholeNode(rule: BlockRule): boolean {
  return rule.float32Inputs === undefined && rule.float32Outputs === undefined;
}

/** Whether a rule's conditions hold for a node; conditions that cannot be checked count as holding. */
export function ruleApplies(rule: BlockRule, context: NodeContext): boolean {
  if (rule.belowOpset !== undefined && context.opset !== undefined && context.opset >= rule.belowOpset) return false;
  if (rule.whenAttribute && context.stringAttribute) {
    const value = context.stringAttribute(rule.whenAttribute.name) ?? rule.whenAttribute.default;
    if (!rule.whenAttribute.oneOf.includes(value)) return false;
  }
  return true;
}

/**
 * The default rule for an operator, or undefined when it converts to float16 freely.
 * Without `context` a conditional rule is returned as is (the caller may check it with
 * `ruleApplies`); with it, a rule whose conditions do not hold for the node gives undefined.
 */
export function blockRuleFor(op: string, domain: string, context?: NodeContext): BlockRule | undefined {
  const found = RULES_BY_KEY.get(ruleKey(op, domain)) ?? RULES_BY_KEY.get(ruleKey('*', domain));
  if (!found || (context && !ruleApplies(found, context))) return undefined;
  return found;
}
