/** Options of the block-wise weight-only quantization pass (`--to q4`): the public shape, defaults, and checking. */
import { OnnxpressError } from '../../errors.js';
import type { NBits } from './blockwise.js';

export const NBITS_OP_TYPES = ['MatMul', 'Gemm', 'Gather'] as const;
export type NBitsOpType = (typeof NBITS_OP_TYPES)[number];

/** MatMul and Gemm; Gather (embedding tables, as GatherBlockQuantized) only on request, as onnxruntime does. */
export const DEFAULT_NBITS_OP_TYPES: readonly NBitsOpType[] = ['MatMul', 'Gemm'];

/**
 * qoperator: com.microsoft MatMulNBits / GatherBlockQuantized (what transformers.js's q4 files hold).
 * qdq: standard ONNX, a DequantizeLinear with `block_size` (opset 21) on an INT4/UINT4 (INT8/UINT8) weight
 * feeding the unchanged float op.
 */
export type NBitsFormat = 'qoperator' | 'qdq';

export interface QuantizeNBitsOptions {
  /** Bits per weight: 4 (default) or 8. */
  bits?: number;
  /** Weights per block along K (the reduced axis): a power of two, at least 16 (default 32). */
  blockSize?: number;
  /** Symmetric blocks, no zero points (default true); false stores a zero point per block. */
  symmetric?: boolean;
  /** MatMulNBits' accuracy_level, 0-4 (default 0: the attribute is left out). */
  accuracyLevel?: number;
  /** Op types to quantize (default MatMul, Gemm; Gather on request). */
  opTypes?: readonly string[] | string;
  /** Only these nodes (by name). */
  includeNodes?: readonly string[] | string;
  /** Never these nodes (by name). */
  excludeNodes?: readonly string[] | string;
  format?: NBitsFormat;
}

export interface NormalizedNBitsOptions {
  bits: NBits;
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
  opTypes: ReadonlySet<NBitsOpType>;
  includeNodes: ReadonlySet<string> | undefined;
  excludeNodes: ReadonlySet<string>;
  format: NBitsFormat;
}

const usage = (message: string): OnnxpressError => new OnnxpressError('E_USAGE', message);

/** Lists may come as arrays or comma-separated strings (the CLI gives `--op-types MatMul,Gather`). */
function splitList(value: readonly string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (typeof value === 'string' ? [value] : value).flatMap((v) => String(v).split(','));
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

function integer(value: unknown, flag: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw usage(`${flag} must be an integer, not '${String(value)}'`);
  return n;
}

export function normalizeNBitsOptions(options: QuantizeNBitsOptions = {}): NormalizedNBitsOptions {
  const bits = integer(options.bits ?? 4, '--bits');
  if (bits !== 4 && bits !== 8) throw usage(`--bits must be 4 or 8, not ${bits}`);
  const blockSize = integer(options.blockSize ?? 32, '--block-size');
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw usage(`--block-size must be a power of two of at least 16, not ${blockSize}`);
  const accuracyLevel = integer(options.accuracyLevel ?? 0, '--accuracy-level');
  if (accuracyLevel < 0 || accuracyLevel > 4) throw usage(`--accuracy-level must be 0 to 4, not ${accuracyLevel}`);
  const format = options.format ?? 'qoperator';
  if (format !== 'qoperator' && format !== 'qdq') throw usage(`--format must be qoperator or qdq, not '${String(format)}'`);

  const requested = splitList(options.opTypes);
  let opTypes: Set<NBitsOpType>;
  if (requested === undefined) {
    opTypes = new Set(DEFAULT_NBITS_OP_TYPES);
  } else {
    opTypes = new Set();
    for (const name of requested) {
      const match = NBITS_OP_TYPES.find((t) => t.toLowerCase() === name.toLowerCase());
      if (!match) throw usage(`--op-types: '${name}' cannot be block-quantized (known: ${NBITS_OP_TYPES.join(', ')})`);
      opTypes.add(match);
    }
    if (opTypes.size === 0) throw usage('--op-types names no op type');
  }

  const include = splitList(options.includeNodes);
  return {
    bits,
    blockSize,
    symmetric: options.symmetric ?? true,
    accuracyLevel,
    opTypes,
    includeNodes: include === undefined || include.length === 0 ? undefined : new Set(include),
    excludeNodes: new Set(splitList(options.excludeNodes) ?? []),
    format,
  };
}
