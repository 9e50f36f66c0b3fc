/** Options of the INT8 dynamic quantization pass: the public shape, defaults, and checking. */
import { usageError } from '../../errors.js';
import type { WeightType } from './params.js';

export const QUANTIZABLE_OP_TYPES = ['MatMul', 'Gemm', 'Gather', 'Attention', 'LSTM', 'Conv'] as const;
export type QuantizableOpType = (typeof QUANTIZABLE_OP_TYPES)[number];

/**
 * Conv is in, but by default only its weights are stored as int8 and the math
 * stays float (see conv.ts): ConvInteger measured 2.8-8x slower than float
 * Conv in ONNX Runtime, so it is used only with `convInteger`.
 */
export const DEFAULT_OP_TYPES: readonly QuantizableOpType[] = QUANTIZABLE_OP_TYPES;

/**
 * qoperator: integer kernels (DynamicQuantizeLinear + MatMulInteger, QAttention, ...).
 * qdq: weight-only, an int8 initializer and a DequantizeLinear feeding the unchanged float op.
 */
export type QuantFormat = 'qoperator' | 'qdq';

export interface QuantizeDynamicOptions {
  /** Element type of the quantized weights (default int8). Gather tables are always uint8, as onnxruntime does. */
  weightType?: WeightType;
  /**
   * One scale per output channel instead of one per tensor for the integer kernels (MatMul, Gemm, Attention, LSTM)
   * and for every weight of the qdq format. Conv's default form is per channel already (convPerChannel);
   * ConvInteger (convInteger) is per tensor, as onnxruntime makes it.
   */
  perChannel?: boolean;
  /** 7-bit weight range, for CPUs without VNNI where 8-bit products can saturate. */
  reduceRange?: boolean;
  /** Symmetric weight range; default: symmetric for int8, asymmetric for uint8 (onnxruntime's defaults). */
  symmetric?: boolean;
  /** Op types to quantize (default all: MatMul, Gemm, Gather, Attention, LSTM, Conv). */
  opTypes?: readonly string[];
  /** Only these nodes (by name; a Gemm keeps its own name). */
  includeNodes?: readonly string[];
  /** Never these nodes (by name). */
  excludeNodes?: readonly string[];
  format?: QuantFormat;
  /**
   * Conv as ConvInteger (integer kernel). Default: the weight is stored as int8
   * and expanded back to float by a Cast and a Mul that ONNX Runtime folds once
   * at load, so the file shrinks and Conv runs at float speed.
   */
  convInteger?: boolean;
  /**
   * Conv's int8 weights in the default form (float math) with one scale per output channel; default true. ONNX
   * Runtime expands them to float once at load either way, so per channel costs nothing at run time and keeps
   * depthwise convolutions (whose channels differ most) accurate. False: one scale per weight, as ConvInteger has.
   */
  convPerChannel?: boolean;
  /** Weights with fewer elements stay float (default 0: quantize every weight, as onnxruntime does). */
  minElements?: number;
}

export interface NormalizedOptions {
  weightType: WeightType;
  perChannel: boolean;
  reduceRange: boolean;
  symmetric: boolean | undefined;
  opTypes: ReadonlySet<QuantizableOpType>;
  includeNodes: ReadonlySet<string> | undefined;
  excludeNodes: ReadonlySet<string>;
  format: QuantFormat;
  convInteger: boolean;
  convPerChannel: boolean;
  minElements: number;
}

/** Lists may come as arrays or comma-separated strings (the CLI gives `--op-types MatMul,Gemm`). */
function splitList(value: readonly string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (typeof value === 'string' ? [value] : value).flatMap((v) => String(v).split(','));
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function normalizeOptions(options: QuantizeDynamicOptions = {}): NormalizedOptions {
  const weightType = options.weightType ?? 'int8';
  if (weightType !== 'int8' && weightType !== 'uint8') throw usageError(`--weight-type must be int8 or uint8, not '${String(weightType)}'`);
  const format = options.format ?? 'qoperator';
  if (format !== 'qoperator' && format !== 'qdq') throw usageError(`--format must be qoperator or qdq, not '${String(format)}'`);
  const convInteger = options.convInteger ?? false;
  if (convInteger && format === 'qdq') throw usageError('--conv-integer needs --format qoperator (qdq keeps every op float)');
  const minElements = options.minElements ?? 0;
  if (!Number.isFinite(minElements) || minElements < 0) throw usageError(`--min-elements must be a number >= 0, not '${String(minElements)}'`);

  const requested = splitList(options.opTypes);
  let opTypes: Set<QuantizableOpType>;
  if (requested === undefined) {
    opTypes = new Set(DEFAULT_OP_TYPES);
  } else {
    opTypes = new Set();
    for (const name of requested) {
      const match = QUANTIZABLE_OP_TYPES.find((t) => t.toLowerCase() === name.toLowerCase());
      if (!match) throw usageError(`--op-types: '${name}' cannot be quantized (known: ${QUANTIZABLE_OP_TYPES.join(', ')})`);
      opTypes.add(match);
    }
    if (opTypes.size === 0) throw usageError('--op-types names no op type');
  }

  const include = splitList(options.includeNodes);
  return {
    weightType,
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    symmetric: options.symmetric,
    opTypes,
    includeNodes: include === undefined || include.length === 0 ? undefined : new Set(include),
    excludeNodes: new Set(splitList(options.excludeNodes) ?? []),
    format,
    convInteger,
    convPerChannel: options.convPerChannel ?? true,
    minElements,
  };
}
