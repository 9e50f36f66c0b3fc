/** `convert --to q4` (and pipeline `to: q4`): flags -> options -> quantizeNBits (block-wise weight-only, MatMulNBits). */
import { OnnxpressError } from '../errors.js';
import { DEFAULT_NBITS_OP_TYPES, NBITS_OP_TYPES, type NBitsFormat, type QuantizeNBitsOptions } from '../passes/quantize-nbits/options.js';
import type { Pass } from '../passes/pass.js';
import type { ConversionDef } from './types.js';

type Flags = Record<string, unknown>;

/** A list flag; yargs gives `[undefined]` for an array option that was not used. */
function list(v: unknown): string[] | undefined {
  const items = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
  return items.length > 0 ? items : undefined;
}

/** Reads the camelCase flags yargs (or a pipeline file) provides. */
export function q4OptionsFromFlags(flags: Flags): QuantizeNBitsOptions {
  if (flags.symmetric === true && flags.asymmetric === true) {
    throw new OnnxpressError('E_USAGE', 'give either --symmetric or --asymmetric, not both');
  }
  return {
    bits: flags.bits === undefined ? undefined : Number(flags.bits),
    blockSize: flags.blockSize === undefined ? undefined : Number(flags.blockSize),
    symmetric: flags.asymmetric === true ? false : true,
    accuracyLevel: flags.accuracyLevel === undefined ? undefined : Number(flags.accuracyLevel),
    opTypes: list(flags.opTypes),
    includeNodes: list(flags.includeNodes),
    excludeNodes: list(flags.excludeNodes),
    format: flags.format as NBitsFormat | undefined,
  };
}

/**
 * The block-wise passes: one, or with `eightBitNodes` (what an accuracy-guided search keeps at higher precision)
 * first those nodes at 8 bits, then the others at the options' bits.
 */
export async function nbitsPasses(options: QuantizeNBitsOptions, eightBitNodes: readonly string[] = []): Promise<Pass[]> {
  const { QuantizeNBitsPass } = await import('../passes/quantize-nbits/quantize.js');
  if (eightBitNodes.length === 0) return [new QuantizeNBitsPass(options)];
  // The second pass finds the 8-bit nodes quantized already (MatMulNBits), so it leaves them alone.
  const excluded = new Set(list(options.excludeNodes) ?? []);
  // A node named here is quantized whatever --op-types says (a Gather's table too): the names are the choice.
  const eightBit: QuantizeNBitsOptions = {
    ...options,
    bits: 8,
    opTypes: [...NBITS_OP_TYPES],
    includeNodes: eightBitNodes.filter((n) => !excluded.has(n)),
  };
  return [new QuantizeNBitsPass(eightBit), new QuantizeNBitsPass(options)];
}

export const q4Conversion: ConversionDef = {
  name: 'q4',
  describe:
    'Block-wise weight-only quantization: 4-bit (or 8-bit) weights, one scale per block, as com.microsoft MatMulNBits (onnxruntime-exact weights)',
  options: {
    bits: { type: 'number', default: 4, describe: 'q4: bits per weight, 4 or 8' },
    'block-size': { type: 'number', default: 32, describe: 'q4: weights per block along the reduced axis (a power of two, at least 16)' },
    symmetric: { type: 'boolean', describe: 'q4: symmetric blocks, no zero points (the default)' },
    asymmetric: { type: 'boolean', describe: 'q4: asymmetric blocks, a zero point per block' },
    'accuracy-level': { type: 'number', default: 0, describe: "q4: MatMulNBits' accuracy_level, 0-4 (0: attribute left out)" },
    'op-types': {
      type: 'array',
      describe: `Op types to quantize, comma-separated (q4: MatMul, Gemm, Gather; default ${DEFAULT_NBITS_OP_TYPES.join(',')})`,
    },
    'include-nodes': { type: 'array', describe: 'Quantize only these nodes (names, comma-separated)' },
    'exclude-nodes': { type: 'array', describe: 'Never quantize these nodes (names, comma-separated; @FILE reads one name per line)' },
    'eight-bit-nodes': {
      type: 'array',
      describe:
        'q4: quantize these nodes with 8 bits, whatever --op-types says, and the rest with --bits (names, comma-separated; @FILE reads one name per line)',
    },
    format: {
      type: 'string',
      choices: ['qoperator', 'qdq'],
      default: 'qoperator',
      describe: 'q4: qoperator = MatMulNBits / GatherBlockQuantized; qdq = INT4 weights + blocked DequantizeLinear (opset 21) feeding the float ops',
    },
  },
  // Default thresholds for block-wise 4-bit (and 8-bit) weights: looser than INT8's (docs/validation.md).
  kind: 'q4',
  async passes(options) {
    return nbitsPasses(q4OptionsFromFlags(options), list(options.eightBitNodes));
  },
};
