/**
 * Which operators have kernels in onnxruntime-web's execution providers, as data. `convert --target` lints a
 * converted model against it before writing (lint.ts); test/runtime/op-support.test.ts checks a sample of it
 * against the onnxruntime-web in node_modules.
 *
 * WebGPU: onnxruntime-web 1.31's `webgpu` provider is onnxruntime's native WebGPU execution provider (its errors
 * name core/providers/webgpu files), so the list is the kernel registrations of
 * onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc and
 * onnxruntime/contrib_ops/webgpu/webgpu_contrib_kernels.cc (onnxruntime main, 2026), not the older JSEP list in
 * js/web/docs/webgpu-operators.md; the release has more than that source listed, so the ops measured on it (node
 * placements logged by onnxruntime-web in Chromium, test/runtime/webgpu-kernels.test.ts) are added: HardSwish,
 * Identity, LpNormalization, Max, Min, Mish, Softplus, Trilu. Measured without a WebGPU kernel: Celu, Hardmax,
 * IsInf, IsNaN, LogSoftmax, Mean, MeanVarianceNormalization, NonZero, Round, Selu, Shrink, Sign, Size, Softsign,
 * Sum, Unique. A node without a WebGPU kernel is assigned to the CPU provider (WebAssembly): it runs, with copies
 * between GPU and CPU memory around it.
 *
 * WebAssembly: onnxruntime-web's wasm build has onnxruntime's CPU kernels, contrib (com.microsoft) and ai.onnx.ml
 * included: measured with one-node models, it creates a session exactly where onnxruntime-node's CPU provider does
 * (ConvInteger and MatMulInteger with int8 weights included). What neither has is listed in CPU_MISSING.
 */

export const OP_SUPPORT_SOURCE = {
  runtime: 'onnxruntime-web',
  version: '1.31.0-dev.20260914-8d85527a0',
  webgpu:
    'onnxruntime core/providers/webgpu/webgpu_execution_provider.cc, contrib_ops/webgpu/webgpu_contrib_kernels.cc, and node placements measured in Chromium',
  wasm: "onnxruntime's CPU execution provider (measured: one-node models in onnxruntime-web's wasm build)",
} as const;

/** Operators with a WebGPU kernel, by domain ('' is ai.onnx). Opset ranges are not modelled: each op's kernels reach its latest version. */
export const WEBGPU_KERNELS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'Abs',
    'Acos',
    'Acosh',
    'Add',
    'ArgMax',
    'ArgMin',
    'Asin',
    'Asinh',
    'Atan',
    'Atanh',
    'AveragePool',
    'BatchNormalization',
    'Cast',
    'Ceil',
    'Clip',
    'Concat',
    'Conv',
    'ConvTranspose',
    'Cos',
    'Cosh',
    'CumSum',
    'DepthToSpace',
    'DequantizeLinear',
    'Div',
    'Einsum',
    'Elu',
    'Equal',
    'Erf',
    'Exp',
    'Expand',
    'Flatten',
    'Floor',
    'Gather',
    'GatherElements',
    'Gelu',
    'Gemm',
    'GlobalAveragePool',
    'GlobalMaxPool',
    'Greater',
    'GreaterOrEqual',
    'HardSigmoid',
    'HardSwish',
    'Identity',
    'If',
    'InstanceNormalization',
    'LayerNormalization',
    'LeakyRelu',
    'Less',
    'LessOrEqual',
    'Log',
    'LpNormalization',
    'MatMul',
    'Max',
    'MaxPool',
    'Min',
    'Mish',
    'Mul',
    'Neg',
    'Not',
    'Pad',
    'Pow',
    'Range',
    'Reciprocal',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceMax',
    'ReduceMean',
    'ReduceMin',
    'ReduceProd',
    'ReduceSum',
    'ReduceSumSquare',
    'Relu',
    'Reshape',
    'Resize',
    'Shape',
    'Sigmoid',
    'SimplifiedLayerNormalization',
    'Sin',
    'Sinh',
    'Slice',
    'Softmax',
    'Softplus',
    'Split',
    'Sqrt',
    'Squeeze',
    'Sub',
    'Tan',
    'Tanh',
    'ThresholdedRelu',
    'Tile',
    'Transpose',
    'Trilu',
    'Unsqueeze',
    'Where',
  ],
  'com.microsoft': [
    'Attention',
    'BiasAdd',
    'BiasGelu',
    'BiasSplitGelu',
    'FastGelu',
    'FusedConv',
    'GatherBlockQuantized',
    'Gelu',
    'GroupQueryAttention',
    'MatMulNBits',
    'MultiHeadAttention',
    'QMoE',
    'QuickGelu',
    'RotaryEmbedding',
    'SkipLayerNormalization',
    'SkipSimplifiedLayerNormalization',
  ],
};

/** Operators onnxruntime has no CPU (and so no WebAssembly) kernel for, by domain. */
export const CPU_MISSING: Readonly<Record<string, readonly string[]>> = {
  '': ['ImageDecoder'],
};

/** Domains whose operators onnxruntime knows; others are custom ops (onnxruntime-extensions' ai.onnx.contrib, ...) that need a library onnxruntime-web cannot load. */
export const KNOWN_DOMAINS: readonly string[] = ['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'com.microsoft.nchwc', 'com.ms.internal.nhwc'];
