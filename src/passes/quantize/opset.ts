/**
 * Opset imports for the quantized model. The integer ops need opset 11
 * (DynamicQuantizeLinear) and per-axis DequantizeLinear needs 13; an older
 * model is upgraded by the version converter (../version/), which rewrites
 * the ops whose signature changed. `opsetRaiseBlockers` judges a bare raise
 * of the opset number (no node rewritten) as the ONNX version converter
 * judges it (onnx/version_converter/convert.h): a version step is fine when
 * the converter's adapter for it is "compatible", or when the node does not
 * use what the adapter would rewrite.
 */
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/graph.js';
import { isOnnxpressError, modelError } from '../../errors.js';
import { upgradeOpset } from '../version/upgrade.js';

/** Versions of each default-domain op up to opset 13 (onnx.defs schema history). */
const OP_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Abs: [1, 6, 13],
  Acos: [7],
  Acosh: [9],
  Add: [1, 6, 7, 13],
  And: [1, 7],
  ArgMax: [1, 11, 12, 13],
  ArgMin: [1, 11, 12, 13],
  Asin: [7],
  Asinh: [9],
  Atan: [7],
  Atanh: [9],
  AveragePool: [1, 7, 10, 11],
  BatchNormalization: [1, 6, 7, 9],
  BitShift: [11],
  Cast: [1, 6, 9, 13],
  Ceil: [1, 6, 13],
  Celu: [12],
  Clip: [1, 6, 11, 12, 13],
  Compress: [9, 11],
  Concat: [1, 4, 11, 13],
  ConcatFromSequence: [11],
  Constant: [1, 9, 11, 12, 13],
  ConstantOfShape: [9],
  Conv: [1, 11],
  ConvInteger: [10],
  ConvTranspose: [1, 11],
  Cos: [7],
  Cosh: [9],
  CumSum: [11],
  DepthToSpace: [1, 11, 13],
  DequantizeLinear: [10, 13],
  Det: [11],
  Div: [1, 6, 7, 13],
  Dropout: [1, 6, 7, 10, 12, 13],
  DynamicQuantizeLinear: [11],
  Einsum: [12],
  Elu: [1, 6],
  Equal: [1, 7, 11, 13],
  Erf: [9, 13],
  Exp: [1, 6, 13],
  Expand: [8, 13],
  EyeLike: [9],
  Flatten: [1, 9, 11, 13],
  Floor: [1, 6, 13],
  GRU: [1, 3, 7],
  Gather: [1, 11, 13],
  GatherElements: [11, 13],
  GatherND: [11, 12, 13],
  Gemm: [1, 6, 7, 9, 11, 13],
  GlobalAveragePool: [1],
  GlobalLpPool: [1, 2],
  GlobalMaxPool: [1],
  Greater: [1, 7, 9, 13],
  GreaterOrEqual: [12],
  HardSigmoid: [1, 6],
  Hardmax: [1, 11, 13],
  Identity: [1, 13],
  If: [1, 11, 13],
  InstanceNormalization: [1, 6],
  IsInf: [10],
  IsNaN: [9, 13],
  LRN: [1, 13],
  LSTM: [1, 7],
  LeakyRelu: [1, 6],
  Less: [1, 7, 9, 13],
  LessOrEqual: [12],
  Log: [1, 6, 13],
  LogSoftmax: [1, 11, 13],
  Loop: [1, 11, 13],
  LpNormalization: [1],
  LpPool: [1, 2, 11],
  MatMul: [1, 9, 13],
  MatMulInteger: [10],
  Max: [1, 6, 8, 12, 13],
  MaxPool: [1, 8, 10, 11, 12],
  MaxRoiPool: [1],
  MaxUnpool: [9, 11],
  Mean: [1, 6, 8, 13],
  MeanVarianceNormalization: [9, 13],
  Min: [1, 6, 8, 12, 13],
  Mod: [10, 13],
  Mul: [1, 6, 7, 13],
  Multinomial: [7],
  Neg: [1, 6, 13],
  NegativeLogLikelihoodLoss: [12, 13],
  NonMaxSuppression: [10, 11],
  NonZero: [9, 13],
  Not: [1],
  OneHot: [9, 11],
  Or: [1, 7],
  PRelu: [1, 6, 7, 9],
  Pad: [1, 2, 11, 13],
  Pow: [1, 7, 12, 13],
  QLinearConv: [10],
  QLinearMatMul: [10],
  QuantizeLinear: [10, 13],
  RNN: [1, 7],
  RandomNormal: [1],
  RandomNormalLike: [1],
  RandomUniform: [1],
  RandomUniformLike: [1],
  Range: [11],
  Reciprocal: [1, 6, 13],
  ReduceL1: [1, 11, 13],
  ReduceL2: [1, 11, 13],
  ReduceLogSum: [1, 11, 13],
  ReduceLogSumExp: [1, 11, 13],
  ReduceMax: [1, 11, 12, 13],
  ReduceMean: [1, 11, 13],
  ReduceMin: [1, 11, 12, 13],
  ReduceProd: [1, 11, 13],
  ReduceSum: [1, 11, 13],
  ReduceSumSquare: [1, 11, 13],
  Relu: [1, 6, 13],
  Reshape: [1, 5, 13],
  Resize: [10, 11, 13],
  ReverseSequence: [10],
  RoiAlign: [10],
  Round: [11],
  Scan: [8, 9, 11],
  Scatter: [9, 11],
  ScatterElements: [11, 13],
  ScatterND: [11, 13],
  Selu: [1, 6],
  SequenceAt: [11],
  SequenceConstruct: [11],
  SequenceEmpty: [11],
  SequenceErase: [11],
  SequenceInsert: [11],
  SequenceLength: [11],
  Shape: [1, 13],
  Shrink: [9],
  Sigmoid: [1, 6, 13],
  Sign: [9, 13],
  Sin: [7],
  Sinh: [9],
  Size: [1, 13],
  Slice: [1, 10, 11, 13],
  Softmax: [1, 11, 13],
  SoftmaxCrossEntropyLoss: [12, 13],
  Softplus: [1],
  Softsign: [1],
  SpaceToDepth: [1, 13],
  Split: [1, 2, 11, 13],
  SplitToSequence: [11],
  Sqrt: [1, 6, 13],
  Squeeze: [1, 11, 13],
  StringNormalizer: [10],
  Sub: [1, 6, 7, 13],
  Sum: [1, 6, 8, 13],
  Tan: [7],
  Tanh: [1, 6, 13],
  TfIdfVectorizer: [9],
  ThresholdedRelu: [10],
  Tile: [1, 6, 13],
  TopK: [1, 10, 11],
  Transpose: [1, 13],
  Unique: [11],
  Unsqueeze: [1, 11, 13],
  Upsample: [1, 7, 9, 10],
  Where: [9],
  Xor: [1, 7],
};

/** Version steps (op -> its new version) that need no change to the node. */
const COMPATIBLE: Readonly<Record<number, readonly string[]>> = {
  6: ['Gemm'],
  7: ['AveragePool', 'PRelu'],
  8: ['Max', 'Min', 'Mean', 'Sum', 'MaxPool'],
  9: ['Flatten', 'Constant', 'MatMul', 'Gemm', 'PRelu', 'Greater', 'Less', 'Cast'],
  10: ['AveragePool', 'MaxPool', 'Dropout'],
  11: [
    'ArgMax',
    'ArgMin',
    'AveragePool',
    'Concat',
    'Constant',
    'Compress',
    'Conv',
    'ConvTranspose',
    'DepthToSpace',
    'Equal',
    'Flatten',
    'Gather',
    'Gemm',
    'Hardmax',
    'If',
    'LogSoftmax',
    'Loop',
    'LpPool',
    'MaxPool',
    'MaxUnpool',
    'NonMaxSuppression',
    'OneHot',
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceMax',
    'ReduceMean',
    'ReduceMin',
    'ReduceProd',
    'ReduceSum',
    'ReduceSumSquare',
    'Scan',
    'Softmax',
    'Slice',
    'Split',
    'Squeeze',
    'TopK',
    'Unsqueeze',
  ],
  12: ['ArgMax', 'ArgMin', 'BatchNormalization', 'Constant', 'Clip', 'GatherND', 'Min', 'Max', 'MaxPool', 'Pow', 'ReduceMax', 'ReduceMin'],
  13: [
    'Abs',
    'Add',
    'ArgMin',
    'ArgMax',
    'Cast',
    'Ceil',
    'Clip',
    'Concat',
    'Constant',
    'DepthToSpace',
    'DequantizeLinear',
    'Div',
    'Dropout',
    'Equal',
    'Erf',
    'Exp',
    'Expand',
    'Flatten',
    'Floor',
    'Gather',
    'GatherElements',
    'GatherND',
    'Gemm',
    'Greater',
    'Hardmax',
    'Identity',
    'If',
    'IsNaN',
    'Less',
    'Log',
    'Loop',
    'LRN',
    'NegativeLogLikelihoodLoss',
    'MatMul',
    'Max',
    'Mean',
    'MeanVarianceNormalization',
    'Min',
    'Mod',
    'Mul',
    'Neg',
    'NonZero',
    'Pow',
    'Pad',
    'QuantizeLinear',
    'Reciprocal',
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceMean',
    'ReduceMax',
    'ReduceMin',
    'ReduceProd',
    'ReduceSumSquare',
    'Relu',
    'Reshape',
    'Resize',
    'ScatterElements',
    'ScatterND',
    'Shape',
    'Sigmoid',
    'Sign',
    'Size',
    'Slice',
    'SoftmaxCrossEntropyLoss',
    'SpaceToDepth',
    'Sqrt',
    'Sub',
    'Sum',
    'Tanh',
    'Tile',
    'Transpose',
  ],
};

type NodeCheck = (node: Node) => boolean;
const without =
  (...attrs: string[]): NodeCheck =>
  (node) =>
    attrs.every((a) => !node.attributes.has(a));
const withAttr =
  (attr: string): NodeCheck =>
  (node) =>
    node.attributes.has(attr);

const noConsumedInputs = without('consumed_inputs');
const noLegacyBroadcast = without('broadcast', 'axis');

/** Version steps that keep the node's meaning when the check passes (the adapter would only drop a default). */
const CONDITIONAL: Readonly<Record<number, Readonly<Record<string, NodeCheck>>>> = {
  2: { Split: (node) => node.inputs.length <= 1 },
  3: { GRU: without('output_sequence') },
  4: { Concat: withAttr('axis') },
  6: Object.fromEntries(
    [
      'Add',
      'Mul',
      'Relu',
      'BatchNormalization',
      'Sum',
      'Dropout',
      'Abs',
      'Ceil',
      'Clip',
      'Div',
      'Elu',
      'Exp',
      'Floor',
      'HardSigmoid',
      'InstanceNormalization',
      'LeakyRelu',
      'Log',
      'Max',
      'Mean',
      'Min',
      'Neg',
      'PRelu',
      'Reciprocal',
      'Selu',
      'Sigmoid',
      'Sqrt',
      'Sub',
      'Tanh',
    ].map((op) => [op, noConsumedInputs]),
  ),
  7: {
    Add: noLegacyBroadcast,
    Sub: noLegacyBroadcast,
    Mul: noLegacyBroadcast,
    Div: noLegacyBroadcast,
    Pow: noLegacyBroadcast,
    And: noLegacyBroadcast,
    Or: noLegacyBroadcast,
    Xor: noLegacyBroadcast,
    Equal: noLegacyBroadcast,
    Greater: noLegacyBroadcast,
    Less: noLegacyBroadcast,
    Gemm: without('broadcast'),
    BatchNormalization: without('is_test'),
    Dropout: without('is_test'),
    GRU: without('output_sequence'),
    LSTM: without('output_sequence'),
    RNN: without('output_sequence'),
  },
  9: { BatchNormalization: without('spatial') },
  11: { Clip: without('min', 'max') },
  12: { Dropout: without('ratio') },
  13: { ReduceSum: without('axes'), Squeeze: without('axes'), Split: without('split') },
};

function stepIsSafe(node: Node, version: number): boolean {
  if (COMPATIBLE[version]?.includes(node.opType)) return true;
  return CONDITIONAL[version]?.[node.opType]?.(node) ?? false;
}

/** Why each default-domain node would change meaning between opset `from` and `to` (empty: raising is safe). */
export function opsetRaiseBlockers(model: Model, from: number, to: number): string[] {
  const problems = new Map<string, string>();
  for (const graph of model.graph.allGraphs()) {
    for (const node of graph.nodes) {
      if (!node.isOnnxOp()) continue;
      const versions = OP_VERSIONS[node.opType];
      const key = node.opType;
      if (!versions) {
        if (!problems.has(key)) problems.set(key, `${node.opType} (not an operator of opset ${to})`);
        continue;
      }
      if (versions[0]! > from) continue; // did not exist yet: the node is invalid already, nothing to keep
      for (const v of versions) {
        if (v <= from || v > to) continue;
        if (!stepIsSafe(node, v) && !problems.has(key)) {
          problems.set(key, `${node.opType} (changed in opset ${v}${node.name ? `, node '${node.name}'` : ''})`);
        }
      }
    }
  }
  return [...problems.values()];
}

export interface OpsetChange {
  from: number;
  to: number;
  /** What the version converter did (ops rewritten, IR version, assumptions). */
  notes: string[];
}

/**
 * Makes the default-domain opset at least `minimum` with the version converter (../version/upgrade.ts), which
 * rewrites the ops whose signature changed on the way. Throws naming the ops it cannot upgrade (the model is
 * then unchanged). Returns what changed.
 */
export function ensureDefaultOpset(model: Model, minimum: number): OpsetChange | undefined {
  const current = model.opsetVersion('') ?? 1;
  if (current >= minimum) return undefined;
  try {
    return { from: current, to: minimum, notes: upgradeOpset(model, minimum).notes };
  } catch (e) {
    if (!isOnnxpressError(e)) throw e;
    throw modelError(`int8 quantization needs opset ${minimum} and the model imports opset ${current}: ${e.message}`, {
      file: model.sourcePath,
      hint: e.hint,
      cause: e,
    });
  }
}

export const MS_DOMAIN = 'com.microsoft';

/** Adds the com.microsoft opset import if the model lacks it. */
export function ensureMicrosoftOpset(model: Model): void {
  if (model.opsetVersion(MS_DOMAIN) === undefined) model.setOpsetVersion(MS_DOMAIN, 1);
}
