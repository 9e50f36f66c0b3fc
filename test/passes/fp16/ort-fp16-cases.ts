/**
 * Hand-built one-node models for the ops whose float16 behaviour in onnxruntime-node decides
 * the default FP16 block list: ops without a usable backend test (random ops, RoiAlign at an
 * opset ORT implements, com.microsoft fusions), and opset variants of the listed ops.
 *
 * A case names its float tensors; `materialize` gives every one of them float32 or float16,
 * except those the caller keeps float32, so the same case yields the float32 reference model
 * and any float16 variant.
 */
import { attr, BOOL, FLOAT, INT8, INT32, INT64, UINT8, type TinyModel, type TinyValue } from './ort-fp16-harness.js';
import type { AttributeProto } from '../../../src/proto/messages.js';

/** A tensor of the case; `float: true` marks those a float16 conversion would rewrite. */
export interface CaseTensor {
  name: string;
  dims: readonly number[];
  float?: boolean;
  /** Element type when not float. */
  elemType?: number;
  data?: readonly number[];
}

export interface ProbeCase {
  /** Unique, e.g. 'Resize-13'. */
  id: string;
  op: string;
  domain: string;
  opset: number;
  /** Node inputs in order; '' for an omitted optional input. */
  nodeInputs: readonly string[];
  inputs: readonly CaseTensor[];
  initializers?: readonly CaseTensor[];
  outputs: readonly CaseTensor[];
  /** Attributes; gets the element type chosen for the node's float values (for `dtype`-like attributes). */
  attributes?: (floatType: number) => AttributeProto[];
  /** Outputs whose values are random or otherwise not comparable with the float32 run. */
  nondeterministic?: boolean;
}

/** Deterministic values in [lo, hi], different per seed. */
export function wave(n: number, seed = 1, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((((Math.sin((i + 1) * 12.9898 * seed) * 43758.5453) % 1) + 1) % 1) * (hi - lo));
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function floatTensor(name: string, dims: readonly number[], data?: readonly number[], seed = 1): CaseTensor {
  return { name, dims, float: true, data: data ?? wave(size(dims), seed) };
}
const out = (name: string, float = true, elemType?: number): CaseTensor => ({ name, dims: [], float, ...(elemType ? { elemType } : {}) });
const int64 = (name: string, dims: readonly number[], data: readonly number[]): CaseTensor => ({ name, dims, elemType: INT64, data });
const int32 = (name: string, dims: readonly number[], data: readonly number[]): CaseTensor => ({ name, dims, elemType: INT32, data });

export function materialize(c: ProbeCase, floatType: number, keepFloat32: ReadonlySet<string> = new Set()): TinyModel {
  const typed = (t: CaseTensor): TinyValue => ({
    name: t.name,
    elemType: t.float ? (keepFloat32.has(t.name) ? FLOAT : floatType) : t.elemType!,
    dims: t.dims,
    ...(t.data ? { data: t.data } : {}),
  });
  const opsets: Record<string, number> = { '': c.domain === '' ? c.opset : 17 };
  if (c.domain !== '') opsets[c.domain] = c.opset;
  return {
    nodes: [{ op: c.op, domain: c.domain, inputs: c.nodeInputs, outputs: c.outputs.map((o) => o.name), attributes: c.attributes?.(floatType) ?? [] }],
    inputs: c.inputs.map(typed),
    initializers: (c.initializers ?? []).map(typed),
    outputs: c.outputs.map(typed),
    opsets,
    irVersion: c.opset >= 21 && c.domain === '' ? 10 : 8,
  };
}

// ---------------------------------------------------------------- ai.onnx

const X4 = (name = 'X'): CaseTensor => floatTensor(name, [1, 1, 2, 2], [1, 2, 3, 4]);

const resize = (opset: number): ProbeCase => {
  const scales = floatTensor('scales', [4], [1, 1, 2, 2]);
  const roi = floatTensor('roi', [8], [0, 0, 0, 0, 1, 1, 1, 1]);
  const withRoi = opset >= 11;
  return {
    id: `Resize-${opset}`,
    op: 'Resize',
    domain: '',
    opset,
    nodeInputs: withRoi ? ['X', 'roi', 'scales'] : ['X', 'scales'],
    inputs: withRoi ? [X4(), roi, scales] : [X4(), scales],
    outputs: [out('Y')],
    attributes: () => [attr.string('mode', 'linear')],
  };
};

const minMax = (op: 'Min' | 'Max', opset: number): ProbeCase => ({
  id: `${op}-${opset}`,
  op,
  domain: '',
  opset,
  nodeInputs: ['A', 'B', 'C'],
  inputs: [floatTensor('A', [2, 3], undefined, 1), floatTensor('B', [2, 3], undefined, 2), floatTensor('C', [3], undefined, 3)],
  outputs: [out('Y')],
});

const randomOp = (op: string, opset: number, like: boolean): ProbeCase => ({
  id: `${op}-${opset}`,
  op,
  domain: '',
  opset,
  nodeInputs: like ? ['X'] : [],
  inputs: like ? [floatTensor('X', [4, 5])] : [],
  outputs: [out('Y')],
  // The *Like ops take their type from the input; the others need `dtype` to make float16.
  attributes: (t) => [attr.float('seed', 3), ...(like ? [] : [attr.int('dtype', t), attr.ints('shape', [4, 5])])],
  nondeterministic: true,
});

export const ONNX_CASES: readonly ProbeCase[] = [
  resize(10),
  resize(11),
  resize(13),
  resize(19),
  {
    id: 'Upsample-9',
    op: 'Upsample',
    domain: '',
    opset: 9,
    nodeInputs: ['X', 'scales'],
    inputs: [X4(), floatTensor('scales', [4], [1, 1, 2, 2])],
    outputs: [out('Y')],
    attributes: () => [attr.string('mode', 'nearest')],
  },
  {
    id: 'TopK-9',
    op: 'TopK',
    domain: '',
    opset: 9,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [2, 6])],
    outputs: [out('Values'), out('Indices', false, INT64)],
    attributes: () => [attr.int('k', 3)],
  },
  {
    id: 'TopK-11',
    op: 'TopK',
    domain: '',
    opset: 11,
    nodeInputs: ['X', 'K'],
    inputs: [floatTensor('X', [2, 6]), int64('K', [1], [3])],
    outputs: [out('Values'), out('Indices', false, INT64)],
  },
  ...[11, 14].map((opset): ProbeCase => ({
    id: `CumSum-${opset}`,
    op: 'CumSum',
    domain: '',
    opset,
    nodeInputs: ['x', 'axis'],
    inputs: [floatTensor('x', [2, 5]), int32('axis', [], [1])],
    outputs: [out('y')],
  })),
  ...[11, 26].map((opset): ProbeCase => ({
    id: `Range-${opset}`,
    op: 'Range',
    domain: '',
    opset,
    nodeInputs: ['start', 'limit', 'delta'],
    inputs: [floatTensor('start', [], [0.5]), floatTensor('limit', [], [3]), floatTensor('delta', [], [0.25])],
    outputs: [out('output')],
  })),
  {
    id: 'NonMaxSuppression-11',
    op: 'NonMaxSuppression',
    domain: '',
    opset: 11,
    nodeInputs: ['boxes', 'scores', 'max_output_boxes_per_class', 'iou_threshold', 'score_threshold'],
    inputs: [
      floatTensor('boxes', [1, 3, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 10, 1, 11]),
      floatTensor('scores', [1, 1, 3], [0.9, 0.75, 0.6]),
      int64('max_output_boxes_per_class', [1], [3]),
      floatTensor('iou_threshold', [1], [0.5]),
      floatTensor('score_threshold', [1], [0]),
    ],
    outputs: [out('selected_indices', false, INT64)],
  },
  ...[10, 16].map((opset): ProbeCase => ({
    id: `RoiAlign-${opset}`,
    op: 'RoiAlign',
    domain: '',
    opset,
    nodeInputs: ['X', 'rois', 'batch_indices'],
    inputs: [floatTensor('X', [1, 1, 10, 10]), floatTensor('rois', [2, 4], [0, 0, 9, 9, 0.5, 1.5, 6.25, 8.75]), int64('batch_indices', [2], [0, 0])],
    outputs: [out('Y')],
    attributes: () => [attr.int('output_height', 3), attr.int('output_width', 3), attr.int('sampling_ratio', 2)],
  })),
  minMax('Min', 8),
  minMax('Min', 13),
  minMax('Max', 8),
  minMax('Max', 13),
  ...[9, 22].map((opset): ProbeCase => ({
    id: `EyeLike-${opset}`,
    op: 'EyeLike',
    domain: '',
    opset,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [3, 4])],
    outputs: [out('Y')],
  })),
  {
    id: 'EyeLike-9-dtype',
    op: 'EyeLike',
    domain: '',
    opset: 9,
    nodeInputs: ['X'],
    inputs: [int32('X', [3, 4], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    outputs: [out('Y')],
    attributes: (t) => [attr.int('dtype', t)],
  },
  ...[9, 13].map((opset): ProbeCase => ({
    id: `MeanVarianceNormalization-${opset}`,
    op: 'MeanVarianceNormalization',
    domain: '',
    opset,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [1, 2, 3, 3])],
    outputs: [out('Y')],
  })),
  ...(['none', 'add', 'mul', 'max', 'min'] as const).map((reduction): ProbeCase => ({
    id: `ScatterND-18-${reduction}`,
    op: 'ScatterND',
    domain: '',
    opset: 18,
    nodeInputs: ['data', 'indices', 'updates'],
    inputs: [floatTensor('data', [4, 2]), int64('indices', [2, 1], [1, 3]), floatTensor('updates', [2, 2], undefined, 2)],
    outputs: [out('output')],
    attributes: () => [attr.string('reduction', reduction)],
  })),
  ...(['none', 'add', 'mul', 'max', 'min'] as const).map((reduction): ProbeCase => ({
    id: `ScatterElements-18-${reduction}`,
    op: 'ScatterElements',
    domain: '',
    opset: 18,
    nodeInputs: ['data', 'indices', 'updates'],
    inputs: [floatTensor('data', [3, 3]), int64('indices', [1, 2], [1, 2]), floatTensor('updates', [1, 2], undefined, 2)],
    outputs: [out('output')],
    attributes: () => [attr.int('axis', 1), attr.string('reduction', reduction)],
  })),
  randomOp('RandomNormal', 17, false),
  randomOp('RandomUniform', 17, false),
  randomOp('RandomNormalLike', 17, true),
  randomOp('RandomUniformLike', 17, true),
  randomOp('RandomNormal', 22, false),
  randomOp('RandomNormalLike', 22, true),
  {
    id: 'Multinomial-7',
    op: 'Multinomial',
    domain: '',
    opset: 7,
    nodeInputs: ['input'],
    inputs: [floatTensor('input', [2, 4], [0, 0, 0, 5, 5, 0, 0, 0])],
    outputs: [out('output', false, INT32)],
    attributes: () => [attr.int('sample_size', 3), attr.float('seed', 1)],
    nondeterministic: true,
  },
  {
    id: 'Bernoulli-15',
    op: 'Bernoulli',
    domain: '',
    opset: 15,
    nodeInputs: ['input'],
    inputs: [floatTensor('input', [2, 4], [0, 1, 0, 1, 1, 1, 0, 0])],
    outputs: [out('output')],
    attributes: () => [attr.float('seed', 1)],
    nondeterministic: true,
  },
  {
    id: 'Celu-12',
    op: 'Celu',
    domain: '',
    opset: 12,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [2, 3])],
    outputs: [out('Y')],
  },
  {
    id: 'LayerNormalization-17',
    op: 'LayerNormalization',
    domain: '',
    opset: 17,
    nodeInputs: ['X', 'Scale', 'B'],
    inputs: [floatTensor('X', [2, 3, 4])],
    initializers: [floatTensor('Scale', [4], undefined, 2), floatTensor('B', [4], undefined, 3)],
    outputs: [out('Y'), out('Mean'), out('InvStdDev')],
  },
  {
    id: 'DynamicQuantizeLinear-11',
    op: 'DynamicQuantizeLinear',
    domain: '',
    opset: 11,
    nodeInputs: ['x'],
    inputs: [floatTensor('x', [2, 3])],
    outputs: [out('y', false, 2), out('y_scale'), out('y_zero_point', false, 2)],
  },
  ...[13, 18, 19, 21].map((opset): ProbeCase => ({
    id: `QuantizeLinear-${opset}`,
    op: 'QuantizeLinear',
    domain: '',
    opset,
    nodeInputs: ['x', 'y_scale', 'y_zero_point'],
    inputs: [floatTensor('x', [2, 3])],
    initializers: [floatTensor('y_scale', [], [0.01]), { name: 'y_zero_point', dims: [], elemType: 2, data: [128] }],
    outputs: [out('y', false, 2)],
  })),
  ...[13, 18, 19, 21].map((opset): ProbeCase => ({
    id: `DequantizeLinear-${opset}`,
    op: 'DequantizeLinear',
    domain: '',
    opset,
    nodeInputs: ['x', 'x_scale', 'x_zero_point'],
    inputs: [{ name: 'x', dims: [2, 3], elemType: 2, data: [0, 10, 100, 128, 200, 255] }],
    initializers: [floatTensor('x_scale', [], [0.01]), { name: 'x_zero_point', dims: [], elemType: 2, data: [128] }],
    outputs: [out('y')],
  })),
  {
    id: 'HannWindow-17',
    op: 'HannWindow',
    domain: '',
    opset: 17,
    nodeInputs: ['size'],
    inputs: [int64('size', [], [8])],
    outputs: [out('output')],
    attributes: (t) => [attr.int('output_datatype', t)],
  },
  {
    id: 'MelWeightMatrix-17',
    op: 'MelWeightMatrix',
    domain: '',
    opset: 17,
    nodeInputs: ['num_mel_bins', 'dft_length', 'sample_rate', 'lower_edge_hertz', 'upper_edge_hertz'],
    inputs: [
      int64('num_mel_bins', [], [8]),
      int64('dft_length', [], [16]),
      int64('sample_rate', [], [8192]),
      floatTensor('lower_edge_hertz', [], [0]),
      floatTensor('upper_edge_hertz', [], [4096]),
    ],
    outputs: [out('output')],
    attributes: (t) => [attr.int('output_datatype', t)],
  },
  {
    id: 'GroupNormalization-21',
    op: 'GroupNormalization',
    domain: '',
    opset: 21,
    nodeInputs: ['X', 'scale', 'bias'],
    inputs: [floatTensor('X', [1, 4, 2, 2])],
    initializers: [floatTensor('scale', [4], undefined, 2), floatTensor('bias', [4], undefined, 3)],
    outputs: [out('Y')],
    attributes: () => [attr.int('num_groups', 2)],
  },
  {
    id: 'Trilu-14',
    op: 'Trilu',
    domain: '',
    opset: 14,
    nodeInputs: ['input'],
    inputs: [floatTensor('input', [3, 3])],
    outputs: [out('output')],
  },
  {
    id: 'Equal-13',
    op: 'Equal',
    domain: '',
    opset: 13,
    nodeInputs: ['A', 'B'],
    inputs: [floatTensor('A', [4], [1, 2, 3, 4]), floatTensor('B', [4], [1, 0, 3, 0])],
    outputs: [out('C', false, BOOL)],
  },
  {
    id: 'NonZero-13',
    op: 'NonZero',
    domain: '',
    opset: 13,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [4], [1, 0, 3, 0])],
    outputs: [out('Y', false, INT64)],
  },
];

// ---------------------------------------------------------------- com.microsoft (fusions of onnxruntime.transformers)

const MS = 'com.microsoft';
const B = 1;
const S = 3;
const H = 8;
const HEADS = 2;

export const CONTRIB_CASES: readonly ProbeCase[] = [
  {
    id: 'Gelu',
    op: 'Gelu',
    domain: MS,
    opset: 1,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [B, S, H])],
    outputs: [out('Y')],
  },
  {
    id: 'FastGelu',
    op: 'FastGelu',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'bias'],
    inputs: [floatTensor('X', [B, S, H])],
    initializers: [floatTensor('bias', [H], undefined, 2)],
    outputs: [out('Y')],
  },
  {
    id: 'BiasGelu',
    op: 'BiasGelu',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'B'],
    inputs: [floatTensor('A', [B, S, H])],
    initializers: [floatTensor('B', [H], undefined, 2)],
    outputs: [out('C')],
  },
  {
    id: 'QuickGelu',
    op: 'QuickGelu',
    domain: MS,
    opset: 1,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [B, S, H])],
    outputs: [out('Y')],
    attributes: () => [attr.float('alpha', 1.702)],
  },
  {
    id: 'SkipLayerNormalization',
    op: 'SkipLayerNormalization',
    domain: MS,
    opset: 1,
    nodeInputs: ['input', 'skip', 'gamma', 'beta', 'bias'],
    inputs: [floatTensor('input', [B, S, H]), floatTensor('skip', [B, S, H], undefined, 2)],
    initializers: [floatTensor('gamma', [H], undefined, 3), floatTensor('beta', [H], undefined, 4), floatTensor('bias', [H], undefined, 5)],
    outputs: [out('output'), out('mean'), out('inv_std_var')],
    attributes: () => [attr.float('epsilon', 1e-5)],
  },
  {
    id: 'SkipSimplifiedLayerNormalization',
    op: 'SkipSimplifiedLayerNormalization',
    domain: MS,
    opset: 1,
    nodeInputs: ['input', 'skip', 'gamma'],
    inputs: [floatTensor('input', [B, S, H]), floatTensor('skip', [B, S, H], undefined, 2)],
    initializers: [floatTensor('gamma', [H], undefined, 3)],
    outputs: [out('output'), out('mean'), out('inv_std_var')],
    attributes: () => [attr.float('epsilon', 1e-5)],
  },
  {
    // Registered by ORT in the ONNX domain although it is not an ONNX op.
    id: 'SimplifiedLayerNormalization',
    op: 'SimplifiedLayerNormalization',
    domain: '',
    opset: 17,
    nodeInputs: ['X', 'scale'],
    inputs: [floatTensor('X', [B, S, H])],
    initializers: [floatTensor('scale', [H], undefined, 2)],
    outputs: [out('Y'), out('inv_std_var')],
    attributes: () => [attr.int('axis', -1), attr.float('epsilon', 1e-5)],
  },
  {
    id: 'EmbedLayerNormalization',
    op: 'EmbedLayerNormalization',
    domain: MS,
    opset: 1,
    nodeInputs: ['input_ids', 'segment_ids', 'word_embedding', 'position_embedding', 'segment_embedding', 'gamma', 'beta'],
    inputs: [int32('input_ids', [B, S], [1, 4, 2]), int32('segment_ids', [B, S], [0, 0, 1])],
    initializers: [
      floatTensor('word_embedding', [5, H], undefined, 2),
      floatTensor('position_embedding', [4, H], undefined, 3),
      floatTensor('segment_embedding', [2, H], undefined, 4),
      floatTensor('gamma', [H], undefined, 5),
      floatTensor('beta', [H], undefined, 6),
    ],
    outputs: [out('output'), out('mask_index', false, INT32)],
    attributes: () => [attr.float('epsilon', 1e-5)],
  },
  {
    id: 'Attention',
    op: 'Attention',
    domain: MS,
    opset: 1,
    nodeInputs: ['input', 'weights', 'bias'],
    inputs: [floatTensor('input', [B, S, H])],
    initializers: [floatTensor('weights', [H, 3 * H], undefined, 2), floatTensor('bias', [3 * H], undefined, 3)],
    outputs: [out('output')],
    attributes: () => [attr.int('num_heads', HEADS)],
  },
  {
    id: 'MultiHeadAttention',
    op: 'MultiHeadAttention',
    domain: MS,
    opset: 1,
    nodeInputs: ['query', 'key', 'value'],
    inputs: [floatTensor('query', [B, S, H]), floatTensor('key', [B, S, H], undefined, 2), floatTensor('value', [B, S, H], undefined, 3)],
    outputs: [out('output')],
    attributes: () => [attr.int('num_heads', HEADS)],
  },
  {
    id: 'GroupQueryAttention',
    op: 'GroupQueryAttention',
    domain: MS,
    opset: 1,
    nodeInputs: ['query', 'key', 'value', '', '', 'seqlens_k', 'total_sequence_length'],
    // The CPU kernel wants a head size that is a multiple of 8.
    inputs: [
      floatTensor('query', [B, S, 2 * H]),
      floatTensor('key', [B, S, H], undefined, 2),
      floatTensor('value', [B, S, H], undefined, 3),
      int32('seqlens_k', [B], [S - 1]),
      int32('total_sequence_length', [], [S]),
    ],
    outputs: [out('output'), out('present_key'), out('present_value')],
    attributes: () => [attr.int('num_heads', HEADS), attr.int('kv_num_heads', 1)],
  },
  {
    id: 'RotaryEmbedding',
    op: 'RotaryEmbedding',
    domain: MS,
    opset: 1,
    nodeInputs: ['input', 'position_ids', 'cos_cache', 'sin_cache'],
    inputs: [floatTensor('input', [B, S, H]), int64('position_ids', [B, S], [0, 1, 2])],
    initializers: [floatTensor('cos_cache', [S, H / HEADS / 2], undefined, 2), floatTensor('sin_cache', [S, H / HEADS / 2], undefined, 3)],
    outputs: [out('output')],
    attributes: () => [attr.int('num_heads', HEADS)],
  },
  {
    id: 'BiasAdd',
    op: 'BiasAdd',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'bias', 'skip'],
    inputs: [floatTensor('X', [B, S, 4]), floatTensor('skip', [B, S, 4], undefined, 3)],
    initializers: [floatTensor('bias', [4], undefined, 2)],
    outputs: [out('Y')],
  },
  {
    id: 'BiasSplitGelu',
    op: 'BiasSplitGelu',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'bias'],
    inputs: [floatTensor('X', [B, S, 2 * H])],
    initializers: [floatTensor('bias', [2 * H], undefined, 2)],
    outputs: [out('Y')],
  },
  {
    id: 'GroupNorm',
    op: 'GroupNorm',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'gamma', 'beta'],
    inputs: [floatTensor('X', [1, 2, 2, 4])],
    initializers: [floatTensor('gamma', [4], undefined, 2), floatTensor('beta', [4], undefined, 3)],
    outputs: [out('Y')],
    attributes: () => [attr.float('epsilon', 1e-5), attr.int('groups', 2), attr.int('activation', 0), attr.int('channels_last', 1)],
  },
  {
    id: 'SkipGroupNorm',
    op: 'SkipGroupNorm',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'gamma', 'beta', 'skip'],
    inputs: [floatTensor('X', [1, 2, 2, 4]), floatTensor('skip', [1, 2, 2, 4], undefined, 4)],
    initializers: [floatTensor('gamma', [4], undefined, 2), floatTensor('beta', [4], undefined, 3)],
    outputs: [out('Y')],
    attributes: () => [attr.float('epsilon', 1e-5), attr.int('groups', 2), attr.int('activation', 0), attr.int('channels_last', 1)],
  },
  {
    id: 'FusedMatMul',
    op: 'FusedMatMul',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'B'],
    inputs: [floatTensor('A', [S, H])],
    initializers: [floatTensor('B', [H, 4], undefined, 2)],
    outputs: [out('Y')],
    attributes: () => [attr.float('alpha', 0.5)],
  },
  {
    id: 'FusedConv',
    op: 'FusedConv',
    domain: MS,
    opset: 1,
    nodeInputs: ['X', 'W', 'B'],
    inputs: [floatTensor('X', [1, 2, 4, 4])],
    initializers: [floatTensor('W', [3, 2, 3, 3], undefined, 2), floatTensor('B', [3], undefined, 3)],
    outputs: [out('Y')],
    attributes: () => [attr.string('activation', 'Relu')],
  },
  {
    id: 'FusedGemm',
    op: 'FusedGemm',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'B', 'C'],
    inputs: [floatTensor('A', [S, H])],
    initializers: [floatTensor('B', [H, 4], undefined, 2), floatTensor('C', [4], undefined, 3)],
    outputs: [out('Y')],
    attributes: () => [attr.string('activation', 'Relu')],
  },
  {
    id: 'MatMulNBits',
    op: 'MatMulNBits',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'B', 'scales'],
    inputs: [floatTensor('A', [S, 16])],
    initializers: [
      { name: 'B', dims: [4, 1, 8], elemType: 2, data: wave(32, 7, 0, 255).map(Math.floor) },
      floatTensor('scales', [4], [0.1, 0.2, 0.05, 0.3], 2),
    ],
    outputs: [out('Y')],
    attributes: () => [attr.int('K', 16), attr.int('N', 4), attr.int('bits', 4), attr.int('block_size', 16)],
  },
  {
    id: 'Inverse',
    op: 'Inverse',
    domain: MS,
    opset: 1,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [2, 2], [2, 1, 1, 3])],
    outputs: [out('Y')],
  },
  {
    id: 'DynamicQuantizeMatMul',
    op: 'DynamicQuantizeMatMul',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'B', 'b_scale', 'b_zero_point'],
    inputs: [floatTensor('A', [S, 4])],
    initializers: [
      { name: 'B', dims: [4, 2], elemType: 3, data: [1, -2, 3, -4, 5, -6, 7, -8] },
      floatTensor('b_scale', [], [0.05]),
      { name: 'b_zero_point', dims: [], elemType: 3, data: [0] },
    ],
    outputs: [out('Y')],
  },
];

// ---------------------------------------------------------------- quantized ops and ai.onnx.ml

const u8 = (name: string, dims: readonly number[], data: readonly number[]): CaseTensor => ({ name, dims, elemType: UINT8, data });
const i8 = (name: string, dims: readonly number[], data: readonly number[]): CaseTensor => ({ name, dims, elemType: INT8, data });
const scale = (name: string, value: number): CaseTensor => floatTensor(name, [], [value]);
const zero = (name: string): CaseTensor => u8(name, [], [0]);

/** x, x_scale, x_zero_point, y_scale, y_zero_point: the signature of the unary QLinear ops. */
const qlinearUnary = (op: string, attributes: AttributeProto[] = []): ProbeCase => ({
  id: op,
  op,
  domain: MS,
  opset: 1,
  nodeInputs: ['x', 'x_scale', 'x_zero_point', 'y_scale', 'y_zero_point'],
  inputs: [u8('x', [1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])],
  initializers: [scale('x_scale', 0.1), zero('x_zero_point'), scale('y_scale', 0.05), zero('y_zero_point')],
  outputs: [out('y', false, UINT8)],
  attributes: () => attributes,
});

const qlinearBinary = (op: string): ProbeCase => ({
  id: op,
  op,
  domain: MS,
  opset: 1,
  nodeInputs: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
  inputs: [u8('a', [4], [1, 2, 3, 4])],
  initializers: [
    scale('a_scale', 0.1),
    zero('a_zero_point'),
    u8('b', [4], [5, 6, 7, 8]),
    scale('b_scale', 0.1),
    zero('b_zero_point'),
    scale('y_scale', 0.5),
    zero('y_zero_point'),
  ],
  outputs: [out('y', false, UINT8)],
});

const mlOp = (op: string, attributes: AttributeProto[]): ProbeCase => ({
  id: op,
  op,
  domain: 'ai.onnx.ml',
  opset: 3,
  nodeInputs: ['X'],
  inputs: [floatTensor('X', [2, 2], [0.5, -1, 2, 0])],
  outputs: [out('Y')],
  attributes: () => attributes,
});

export const QUANT_AND_ML_CASES: readonly ProbeCase[] = [
  ...[10, 20, 21].map((opset): ProbeCase => ({
    id: `QLinearMatMul-${opset}`,
    op: 'QLinearMatMul',
    domain: '',
    opset,
    nodeInputs: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
    inputs: [u8('a', [2, 2], [1, 2, 3, 4])],
    initializers: [
      scale('a_scale', 0.1),
      zero('a_zero_point'),
      u8('b', [2, 2], [5, 6, 7, 8]),
      scale('b_scale', 0.1),
      zero('b_zero_point'),
      scale('y_scale', 0.5),
      zero('y_zero_point'),
    ],
    outputs: [out('y', false, UINT8)],
  })),
  {
    id: 'QLinearConv-10',
    op: 'QLinearConv',
    domain: '',
    opset: 13,
    nodeInputs: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point'],
    inputs: [u8('x', [1, 1, 2, 2], [1, 2, 3, 4])],
    initializers: [
      scale('x_scale', 0.1),
      zero('x_zero_point'),
      u8('w', [1, 1, 1, 1], [5]),
      scale('w_scale', 0.1),
      zero('w_zero_point'),
      scale('y_scale', 0.5),
      zero('y_zero_point'),
    ],
    outputs: [out('y', false, UINT8)],
  },
  {
    id: 'TfIdfVectorizer-9',
    op: 'TfIdfVectorizer',
    domain: '',
    opset: 17,
    nodeInputs: ['X'],
    inputs: [int32('X', [4], [2, 3, 3, 1])],
    outputs: [out('Y')],
    attributes: () => [
      attr.string('mode', 'TF'),
      attr.int('min_gram_length', 1),
      attr.int('max_gram_length', 1),
      attr.int('max_skip_count', 0),
      attr.ints('ngram_counts', [0]),
      attr.ints('ngram_indexes', [0, 1]),
      attr.ints('pool_int64s', [2, 3]),
    ],
  },
  {
    id: 'BitCast-26',
    op: 'BitCast',
    domain: '',
    opset: 26,
    nodeInputs: ['X'],
    inputs: [floatTensor('X', [3], [1, -2, 0.5])],
    outputs: [out('Y', false, INT32)],
    attributes: () => [attr.int('to', INT32)],
  },
  qlinearBinary('QLinearAdd'),
  qlinearBinary('QLinearMul'),
  qlinearUnary('QLinearSigmoid'),
  qlinearUnary('QLinearLeakyRelu', [attr.float('alpha', 0.1)]),
  qlinearUnary('QLinearGlobalAveragePool', [attr.int('channels_last', 0)]),
  qlinearUnary('QLinearAveragePool', [attr.ints('kernel_shape', [2, 2])]),
  qlinearUnary('QLinearSoftmax', [attr.int('axis', -1), attr.int('opset', 13)]),
  {
    id: 'QLinearConcat',
    op: 'QLinearConcat',
    domain: MS,
    opset: 1,
    nodeInputs: ['y_scale', 'y_zero_point', 'a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point'],
    inputs: [u8('a', [2], [1, 2])],
    initializers: [
      scale('y_scale', 0.1),
      zero('y_zero_point'),
      scale('a_scale', 0.1),
      zero('a_zero_point'),
      u8('b', [2], [3, 4]),
      scale('b_scale', 0.2),
      zero('b_zero_point'),
    ],
    outputs: [out('y', false, UINT8)],
    attributes: () => [attr.int('axis', 0)],
  },
  {
    id: 'QGemm',
    op: 'QGemm',
    domain: MS,
    opset: 1,
    nodeInputs: ['A', 'a_scale', 'a_zero_point', 'B', 'b_scale', 'b_zero_point'],
    inputs: [u8('A', [2, 2], [1, 2, 3, 4])],
    initializers: [scale('a_scale', 0.1), zero('a_zero_point'), i8('B', [2, 2], [5, 6, 7, 8]), scale('b_scale', 0.1), i8('b_zero_point', [], [0])],
    outputs: [out('Y')],
  },
  mlOp('Binarizer', [attr.float('threshold', 0.1)]),
  mlOp('Scaler', [attr.floats('offset', [0.5]), attr.floats('scale', [2])]),
  mlOp('Normalizer', [attr.string('norm', 'MAX')]),
  mlOp('LinearRegressor', [attr.floats('coefficients', [0.5, -1]), attr.floats('intercepts', [0.25])]),
];

export const ALL_CASES: readonly ProbeCase[] = [...ONNX_CASES, ...CONTRIB_CASES, ...QUANT_AND_ML_CASES];

export function caseById(id: string): ProbeCase {
  const found = ALL_CASES.find((c) => c.id === id);
  if (!found) throw new Error(`no probe case ${id}`);
  return found;
}

/** The float32 run's inputs and outputs are named in the case; these are the float ones. */
export function floatNames(c: ProbeCase): { inputs: string[]; outputs: string[] } {
  return {
    inputs: [...c.inputs, ...(c.initializers ?? [])].filter((t) => t.float).map((t) => t.name),
    outputs: c.outputs.filter((t) => t.float).map((t) => t.name),
  };
}
