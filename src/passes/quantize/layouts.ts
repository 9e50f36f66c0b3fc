/** How each consumer's weights are quantized: onnxruntime's choices, with the user's overrides. */
import type { WeightLayout } from './context.js';
import type { NormalizedOptions } from './options.js';
import { ortDynamicWeightOptions, type QuantizableOp, type QuantizeTensorOptions } from './params.js';

function weightOptions(op: QuantizableOp, options: NormalizedOptions, overrides: Partial<QuantizeTensorOptions> = {}): QuantizeTensorOptions {
  const base = ortDynamicWeightOptions(op, {
    weightType: options.weightType,
    perChannel: options.perChannel,
    reduceRange: options.reduceRange,
  });
  // Gather tables are quantized as onnxruntime quantizes activations, whatever the weight options say.
  const symmetric = op === 'Gather' || options.symmetric === undefined ? base.symmetric : options.symmetric;
  return { ...base, symmetric, ...overrides };
}

/** B of MatMul (and of Gemm with transB = 0): per column, the last axis. */
export function matmulLayout(options: NormalizedOptions): WeightLayout {
  return { key: 'matmul', quant: weightOptions('MatMul', options) };
}

/** B of Gemm with transB = 1, stored transposed so that MatMulInteger can read it, as onnxruntime does. */
export function transposedGemmLayout(options: NormalizedOptions): WeightLayout {
  return { key: 'gemm-transB', quant: weightOptions('Gemm', options), source: transpose2d };
}

/** A weight kept in its own layout, channels along `axis` (weight-only format). */
export function storedLayout(op: QuantizableOp, options: NormalizedOptions, axis: number): WeightLayout {
  return { key: `stored-${op}-${axis}`, quant: weightOptions(op, options, { axis }) };
}

export function gatherLayout(options: NormalizedOptions): WeightLayout {
  return { key: 'gather', quant: weightOptions('Gather', options) };
}

export function convLayout(options: NormalizedOptions): WeightLayout {
  return { key: 'conv', quant: weightOptions('Conv', options) };
}

/**
 * W or R of LSTM ([directions, 4 * hidden, input]) for DynamicQuantizeLSTM, as
 * operators/lstm.py does: int8, one scale per direction (or per row of
 * 4 * hidden with per-channel), stored transposed to [directions, input, 4 * hidden].
 */
export function lstmLayout(options: NormalizedOptions, dims: readonly number[]): WeightLayout {
  const [directions, rows, cols] = dims as [number, number, number];
  const quant: QuantizeTensorOptions = {
    weightType: 'int8',
    symmetric: options.symmetric ?? true,
    reduceRange: options.reduceRange,
    perChannel: true,
    axis: 0,
  };
  return {
    key: 'lstm',
    quant,
    source: options.perChannel ? (data) => ({ data, dims: [directions * rows, cols] }) : undefined,
    store: (data) => ({ data: transposeBatched(data, directions, rows, cols), dims: [directions, cols, rows] }),
    paramDims: options.perChannel ? [directions, rows] : [directions],
  };
}

function transpose2d(data: Float32Array, dims: number[]): { data: Float32Array; dims: number[] } {
  const [rows, cols] = dims as [number, number];
  return { data: transposeBatched(data, 1, rows, cols), dims: [cols, rows] };
}

/** Transposes each of `batch` row-major [rows, cols] matrices. */
export function transposeBatched<T extends Float32Array | Int8Array | Uint8Array>(data: T, batch: number, rows: number, cols: number): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[base + c * rows + r] = data[base + r * cols + c]!;
    }
  }
  return out;
}
