/**
 * Numeric core of INT8 weight quantization, bit-exact with onnxruntime's
 * Python quantizer (onnxruntime/python/tools/quantization, 1.30):
 *  - quant_utils.py `get_qmin_qmax_for_qType`  -> {@link quantRange}
 *  - quant_utils.py `compute_scale_zp`         -> {@link computeQuantParams}
 *  - quant_utils.py `quantize_nparray`         -> {@link quantizeValues}
 *  - base_quantizer.py `quantize_initializer_impl` / `quantize_weight_per_channel_impl`
 *    (through quant_utils.py `quantize_data`)  -> {@link quantizeTensor}
 *
 * numpy works in the array's dtype: data, rmin, rmax and the final scale are
 * float32, only `scale = (rmax - rmin) / (qmax - qmin)` and the zero point are
 * computed in float64. JavaScript numbers are float64, so every float32 step
 * goes through Math.fround; for a single +, -, * or / of float32 operands,
 * rounding the exact double result to float32 gives the correctly rounded
 * float32 result, so this matches numpy bit for bit.
 */

export type WeightType = 'int8' | 'uint8';

export interface QuantOptions {
  weightType: WeightType;
  /** Make the range [-absmax, absmax]; the zero point is then the middle of the integer range. */
  symmetric: boolean;
  /** 7-bit range: int8 [-64, 64], uint8 [0, 127] (takes precedence over `symmetric` for the range). */
  reduceRange: boolean;
  /** onnxruntime's extra option `MinimumRealRange`: rmax is raised to at least rmin + minRealRange. */
  minRealRange?: number;
}

export interface QuantizeTensorOptions extends QuantOptions {
  /** One scale and zero point per slice along `axis` instead of one for the whole tensor. */
  perChannel?: boolean;
  /** Channel axis when `perChannel`; negative counts from the end. Defaults to -1 (onnxruntime's default). */
  axis?: number;
}

export interface QuantParams {
  /** float32 scale: one element per tensor, or one per channel. */
  scale: Float32Array;
  zeroPoint: Int8Array | Uint8Array;
  /** Normalized channel axis for per-channel parameters; absent for per-tensor. */
  axis?: number;
}

export interface QuantizedTensor {
  quantized: Int8Array | Uint8Array;
  params: QuantParams;
}

export interface QuantRange {
  qmin: number;
  qmax: number;
}

/** The smallest normal float32 (numpy.finfo(numpy.float32).tiny). */
const FLOAT32_TINY = 1.1754943508222875e-38;

/** Adding and subtracting 1.5 * 2^52 rounds a double to an integer, ties to even, for |v| < 2^51. */
const ROUND_MAGIC = 6755399441055744;

/** numpy.round / numpy.rint: round half to even (except that -0.5 gives +0, not -0). */
export function roundHalfEven(v: number): number {
  if (Math.abs(v) >= 2 ** 51) return v; // already an integer (or not finite)
  return v + ROUND_MAGIC - ROUND_MAGIC;
}

/** Full range of the stored type; quantize_nparray clips to this whatever range the parameters used. */
export function storageRange(type: WeightType): QuantRange {
  return type === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: 0, qmax: 255 };
}

/** quant_utils.get_qmin_qmax_for_qType: reduce_range wins over symmetric. */
export function quantRange(type: WeightType, opts: { symmetric: boolean; reduceRange: boolean }): QuantRange {
  if (opts.reduceRange) return type === 'int8' ? { qmin: -64, qmax: 64 } : { qmin: 0, qmax: 127 };
  if (opts.symmetric) return type === 'int8' ? { qmin: -127, qmax: 127 } : { qmin: 0, qmax: 254 };
  return storageRange(type);
}

/**
 * quant_utils.compute_scale_zp for float32 data whose min and max are `rmin`, `rmax`
 * (each must be a float32 value). Returns the float32 scale and the integer zero point.
 */
export function computeQuantParams(rmin: number, rmax: number, opts: QuantOptions): { scale: number; zeroPoint: number } {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) {
    throw new RangeError(`cannot quantize a tensor whose range is not finite: [${rmin}, ${rmax}]`);
  }
  const { qmin, qmax } = quantRange(opts.weightType, opts);
  let lo = Math.fround(Math.min(rmin, 0));
  let hi = Math.fround(Math.max(rmax, 0));
  if (opts.minRealRange !== undefined) {
    hi = Math.max(hi, Math.fround(lo + Math.fround(opts.minRealRange)));
  }
  if (opts.symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  // numpy: float64(rmax - rmin) where the subtraction happens in float32.
  const scale64 = Math.fround(hi - lo) / (qmax - qmin);
  if (scale64 < FLOAT32_TINY) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = opts.symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - lo / scale64);
  return { scale: Math.fround(scale64), zeroPoint };
}

/** min and max of float32 data in one pass; NaN propagates as in numpy. Empty data gives [0, 0]. */
export function minMax(data: Float32Array): { min: number; max: number } {
  const n = data.length;
  if (n === 0) return { min: 0, max: 0 };
  let min = data[0]!;
  let max = min;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    // One comparison in the common case; NaN fails every comparison, so it lands in the first branch.
    if (!(v >= min)) {
      if (v !== v) return { min: NaN, max: NaN };
      min = v;
    } else if (v > max) {
      max = v;
    }
  }
  if (min !== min) return { min: NaN, max: NaN };
  return { min, max };
}

/** Splits `dims` around `axis` into (outer, channels, inner) so that index = (o * channels + c) * inner + i. */
export function channelLayout(dims: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= dims[d]!;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d]!;
  return { outer, channels: dims[axis]!, inner };
}

/** Per-channel min and max along `axis` (normalized) in one pass over the data; NaN propagates per channel. */
export function channelMinMax(data: Float32Array, dims: readonly number[], axis: number): { mins: Float32Array; maxs: Float32Array } {
  const { outer, channels, inner } = channelLayout(dims, axis);
  const mins = new Float32Array(channels);
  const maxs = new Float32Array(channels);
  if (outer * inner === 0) return { mins, maxs };
  const hasNaN = new Uint8Array(channels);
  if (inner === 1) {
    // Channels are the last axis: start from the first row, then fold in the others row by row.
    for (let c = 0; c < channels; c++) {
      const v = data[c]!;
      mins[c] = v;
      maxs[c] = v;
      if (v !== v) hasNaN[c] = 1;
    }
    for (let p = channels; p < data.length; p += channels) {
      for (let c = 0; c < channels; c++) {
        const v = data[p + c]!;
        // NaN fails every comparison, so it only ever reaches the first (rare) branch.
        if (!(v >= mins[c]!)) {
          if (v !== v) hasNaN[c] = 1;
          else mins[c] = v;
        } else if (v > maxs[c]!) {
          maxs[c] = v;
        }
      }
    }
  } else {
    for (let c = 0; c < channels; c++) {
      let min = data[c * inner]!;
      let max = min;
      let nan = min !== min;
      for (let o = 0; o < outer; o++) {
        const start = (o * channels + c) * inner;
        for (let p = start; p < start + inner; p++) {
          const v = data[p]!;
          if (!(v >= min)) {
            if (v !== v) nan = true;
            else min = v;
          } else if (v > max) {
            max = v;
          }
        }
      }
      mins[c] = min;
      maxs[c] = max;
      if (nan) hasNaN[c] = 1;
    }
  }
  for (let c = 0; c < channels; c++) {
    if (hasNaN[c]) {
      mins[c] = NaN;
      maxs[c] = NaN;
    }
  }
  return { mins, maxs };
}

/**
 * quant_utils.quantize_nparray for one scale and zero point: clip(round(x / scale) + zp)
 * with the division and rounding in float32, clipped to the full range of `type`.
 * Writes `out[start..end)` from `data[start..end)`.
 */
export function quantizeValues(
  data: Float32Array,
  scale: number,
  zeroPoint: number,
  type: WeightType,
  out: Int8Array | Uint8Array,
  start = 0,
  end = data.length,
): void {
  const { qmin, qmax } = storageRange(type);
  const bytes = byteView(out);
  for (let i = start; i < end; i++) {
    // Inline roundHalfEven: quotients too large for the trick are clipped anyway, and adding
    // a small integer zero point to the rounded float32 quotient is exact.
    let q = Math.fround(data[i]! / scale) + ROUND_MAGIC - ROUND_MAGIC + zeroPoint;
    if (q < qmin) q = qmin;
    else if (q > qmax) q = qmax;
    bytes[i] = q;
  }
}

/**
 * The output as bytes: storing -1 into a Uint8Array wraps to 0xff, the int8 bit pattern,
 * and one array type keeps the hot loops monomorphic.
 */
function byteView(out: Int8Array | Uint8Array): Uint8Array {
  return out instanceof Uint8Array ? out : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Same as quantizeValues, element i of each row of `channels` using scale[i % channels]. */
function quantizeLastAxis(
  data: Float32Array,
  scale: Float32Array,
  zeroPoint: Int8Array | Uint8Array,
  type: WeightType,
  out: Int8Array | Uint8Array,
): void {
  const { qmin, qmax } = storageRange(type);
  const channels = scale.length;
  const zp = Float64Array.from(zeroPoint);
  const bytes = byteView(out);
  for (let row = 0; row < data.length; row += channels) {
    for (let c = 0; c < channels; c++) {
      let q = Math.fround(data[row + c]! / scale[c]!) + ROUND_MAGIC - ROUND_MAGIC + zp[c]!;
      if (q < qmin) q = qmin;
      else if (q > qmax) q = qmax;
      bytes[row + c] = q;
    }
  }
}

function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`per-channel axis ${axis} is out of bounds for rank ${rank}`);
  }
  return a;
}

function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Quantizes a float32 tensor as onnxruntime quantizes an initializer: per tensor
 * (quantize_initializer_impl) or per channel along `axis` (quantize_weight_per_channel_impl).
 */
export function quantizeTensor(data: Float32Array, dims: readonly number[], opts: QuantizeTensorOptions): QuantizedTensor {
  const count = elementCount(dims);
  if (count !== data.length) {
    throw new RangeError(`tensor of shape [${dims.join(', ')}] needs ${count} values, got ${data.length}`);
  }
  const type = opts.weightType;
  const quantized = type === 'int8' ? new Int8Array(count) : new Uint8Array(count);

  if (!opts.perChannel) {
    const { min, max } = minMax(data);
    const { scale, zeroPoint } = count === 0 ? { scale: 1, zeroPoint: 0 } : computeQuantParams(min, max, opts);
    quantizeValues(data, scale, zeroPoint, type, quantized);
    const zp = type === 'int8' ? Int8Array.of(zeroPoint) : Uint8Array.of(zeroPoint);
    return { quantized, params: { scale: Float32Array.of(scale), zeroPoint: zp } };
  }

  const axis = normalizeAxis(opts.axis ?? -1, dims.length);
  const { outer, channels, inner } = channelLayout(dims, axis);
  const { mins, maxs } = channelMinMax(data, dims, axis);
  const scale = new Float32Array(channels);
  const zeroPoint = type === 'int8' ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = outer * inner === 0 ? { scale: 1, zeroPoint: 0 } : computeQuantParams(mins[c]!, maxs[c]!, opts);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  if (inner === 1) {
    quantizeLastAxis(data, scale, zeroPoint, type, quantized);
  } else {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const start = (o * channels + c) * inner;
        quantizeValues(data, scale[c]!, zeroPoint[c]!, type, quantized, start, start + inner);
      }
    }
  }
  return { quantized, params: { scale, zeroPoint, axis } };
}

export type QuantizableOp = 'MatMul' | 'Gemm' | 'Conv' | 'Gather';

/**
 * The options onnxruntime's `quantize_dynamic` (QuantizationMode.IntegerOps, default extra_options)
 * uses for a weight feeding `op`, given its `weight_type`, `per_channel` and `reduce_range` arguments.
 * Gemm (alpha = beta = 1, transA = 0) is rewritten to MatMul first; with transB = 1 its B initializer
 * is transposed in place (same name) before quantization, so quantize the transposed data.
 */
export function ortDynamicWeightOptions(
  op: QuantizableOp,
  args: { weightType: WeightType; perChannel: boolean; reduceRange: boolean },
): QuantizeTensorOptions {
  switch (op) {
    case 'Gather':
      // operators/gather.py quantizes the table as an activation: QUInt8, asymmetric, full range.
      return { weightType: 'uint8', symmetric: false, reduceRange: false, perChannel: false };
    case 'Conv':
      // operators/conv.py (ConvInteger) never asks for per-channel weights.
      return { weightType: args.weightType, symmetric: args.weightType === 'int8', reduceRange: args.reduceRange, perChannel: false };
    case 'MatMul':
    case 'Gemm':
      return {
        weightType: args.weightType,
        symmetric: args.weightType === 'int8',
        reduceRange: args.reduceRange,
        perChannel: args.perChannel,
        axis: -1,
      };
  }
}
