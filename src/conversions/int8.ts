/** `convert --to int8` (and pipeline `to: int8`): flags -> options -> quantizeDynamic. */
import { usageError } from '../errors.js';
import { DEFAULT_OP_TYPES, type QuantFormat, type QuantizeDynamicOptions } from '../passes/quantize/options.js';
import type { WeightType } from '../passes/quantize/params.js';
import type { Model } from '../ir/model.js';
import type { ConversionDef } from './types.js';

type Flags = Record<string, unknown>;

/** A list flag; yargs gives `[undefined]` for an array option that was not used. */
function list(v: unknown): string[] | undefined {
  const items = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
  return items.length > 0 ? items : undefined;
}

/**
 * Ops whose presence makes `--weight-type auto` choose uint8: transformers.js' q8 rule (its scripts/quantize.py),
 * because onnxruntime-web has no ConvInteger for int8 weights and onnxruntime-genai's attention ops run faster
 * with uint8 ones.
 */
export const UINT8_WEIGHT_OPS: readonly string[] = ['Conv', 'GroupQueryAttention', 'MultiHeadAttention'];

/** `--weight-type auto`: uint8 when the model (any graph) has one of UINT8_WEIGHT_OPS, int8 otherwise. */
export function autoWeightType(model: Model): WeightType {
  for (const graph of model.allGraphs()) for (const node of graph.nodes) if (UINT8_WEIGHT_OPS.includes(node.opType)) return 'uint8';
  return 'int8';
}

/** Reads the camelCase flags yargs (or a pipeline file) provides. */
export function int8OptionsFromFlags(flags: Flags): QuantizeDynamicOptions {
  if (flags.symmetric === true && flags.asymmetric === true) {
    throw usageError('give either --symmetric or --asymmetric, not both');
  }
  const symmetric = flags.symmetric === true ? true : flags.asymmetric === true ? false : undefined;
  const minElements = flags.minElements === undefined ? undefined : Number(flags.minElements);
  return {
    weightType: flags.weightType as WeightType | undefined,
    perChannel: flags.perChannel === true,
    reduceRange: flags.reduceRange === true,
    symmetric,
    opTypes: list(flags.opTypes),
    includeNodes: list(flags.includeNodes),
    excludeNodes: list(flags.excludeNodes),
    format: flags.format as QuantFormat | undefined,
    convInteger: flags.convInteger === true,
    convPerChannel: flags.convPerChannel !== false,
    minElements,
  };
}

export const int8Conversion: ConversionDef = {
  name: 'int8',
  describe: 'INT8 dynamic quantization (weights int8 with onnxruntime-exact scales, activations quantized at run time)',
  options: {
    'weight-type': {
      type: 'string',
      choices: ['int8', 'uint8', 'auto'],
      default: 'int8',
      describe: 'Element type of quantized weights (auto: uint8 when the model has Conv, as transformers.js q8 does, else int8)',
    },
    'per-channel': {
      type: 'boolean',
      describe:
        "One scale per output channel for the integer kernels (MatMul, Gemm, Attention, LSTM) and --format qdq; Conv's default form has it already",
    },
    'reduce-range': { type: 'boolean', describe: '7-bit weights (for CPUs without VNNI)' },
    symmetric: { type: 'boolean', describe: 'Symmetric weight range (default for int8)' },
    asymmetric: { type: 'boolean', describe: 'Asymmetric weight range (default for uint8)' },
    'op-types': {
      type: 'array',
      describe: `Op types to quantize, comma-separated (default ${DEFAULT_OP_TYPES.join(',')})`,
    },
    'conv-integer': {
      type: 'boolean',
      describe: 'Conv as ConvInteger (ran 2.8-8x slower than float Conv in ONNX Runtime); default: int8 Conv weights, float math',
    },
    'conv-per-channel': {
      type: 'boolean',
      describe:
        "Conv's int8 weights (default form) with one scale per output channel: ONNX Runtime expands them once at load, " +
        'so it costs nothing at run time (on unless --no-conv-per-channel; --conv-integer is per tensor, as onnxruntime)',
    },
    'include-nodes': { type: 'array', describe: 'Quantize only these nodes (names, comma-separated)' },
    'exclude-nodes': { type: 'array', describe: 'Never quantize these nodes (names, comma-separated)' },
    format: {
      type: 'string',
      choices: ['qoperator', 'qdq'],
      default: 'qoperator',
      describe: 'qoperator: integer kernels; qdq: int8 weights + DequantizeLinear feeding the float ops',
    },
    'min-elements': { type: 'number', default: 0, describe: 'Leave weights with fewer elements in float' },
  },
  kind: 'int8',
  async passes(options, { model }) {
    const weightType = options.weightType === 'auto' ? autoWeightType(model) : options.weightType;
    const int8Options = int8OptionsFromFlags({ ...options, weightType });
    const { QuantizeDynamicPass } = await import('../passes/quantize/quantize.js');
    return [new QuantizeDynamicPass(int8Options)];
  },
};
