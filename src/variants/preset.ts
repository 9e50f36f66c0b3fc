/**
 * Variant presets: a named set of variants, each a transformers.js dtype with its file name suffix and the
 * conversions that make it. Light on purpose (no passes, no runtime): the CLI declares its flags from it and
 * pipeline files expand `preset:` variant entries with it.
 */
import path from 'node:path';
import type { ConversionStep } from '../convert.js';
import { usageError } from '../errors.js';

export interface PresetVariant {
  /** The dtype users ask transformers.js for (`from_pretrained(..., { dtype })`). */
  dtype: string;
  /** What transformers.js appends to the model file's stem: `model.onnx` -> `model_q4.onnx`. */
  suffix: string;
  /** The conversions that make it, in order (conversion names resolved through a registry). */
  steps: ConversionStep[];
  /** One line for --help and the docs. */
  describe: string;
}

export interface Preset {
  name: string;
  describe: string;
  variants: readonly PresetVariant[];
}

/**
 * transformers.js' file set, as its scripts/quantize.py made it (deleted from transformers.js in January 2026):
 * FP16 keeps float32 graph inputs and outputs (`keep_io_types=True`; transformers.js feeds float32 tensors from its
 * processors and casts nothing itself), q8 is 8-bit dynamic with uint8 weights when the model has Conv, q4 is
 * block-wise 4-bit (block 32, symmetric), q4f16 is q4 followed by that FP16 conversion.
 */
export const TRANSFORMERS_JS_PRESET: Preset = {
  name: 'transformers.js',
  describe: 'the files transformers.js loads by dtype: model_fp16, model_quantized, model_int8, model_uint8, model_q4, model_q4f16',
  variants: [
    {
      dtype: 'fp16',
      suffix: '_fp16',
      steps: [{ to: 'fp16', options: { keepIoTypes: true } }],
      describe: 'float16 weights and activations, float32 graph inputs and outputs',
    },
    {
      dtype: 'q8',
      suffix: '_quantized',
      steps: [{ to: 'int8', options: { weightType: 'auto' } }],
      describe: '8-bit dynamic quantization: uint8 weights when the model has Conv, else int8',
    },
    {
      dtype: 'int8',
      suffix: '_int8',
      steps: [{ to: 'int8', options: { weightType: 'int8' } }],
      describe: '8-bit dynamic quantization, int8 weights',
    },
    {
      dtype: 'uint8',
      suffix: '_uint8',
      steps: [{ to: 'int8', options: { weightType: 'uint8' } }],
      describe: '8-bit dynamic quantization, uint8 weights',
    },
    {
      dtype: 'q4',
      suffix: '_q4',
      steps: [{ to: 'q4', options: {} }],
      describe: 'block-wise 4-bit weights (MatMulNBits, block 32, symmetric), float32 activations',
    },
    { dtype: 'q4f16', suffix: '_q4f16', steps: [{ to: 'q4f16', options: {} }], describe: 'q4, then FP16 with float32 graph inputs and outputs' },
  ],
};

export const PRESETS: Readonly<Record<string, Preset>> = { [TRANSFORMERS_JS_PRESET.name]: TRANSFORMERS_JS_PRESET };

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/**
 * Every suffix transformers.js gives a variant file (its DEFAULT_DTYPE_SUFFIX_MAPPING): a file whose stem ends in
 * one of them is a variant, not a model to make variants of.
 */
export const VARIANT_SUFFIXES: readonly string[] = [
  '_fp16',
  '_quantized',
  '_int8',
  '_uint8',
  '_q4',
  '_q4f16',
  '_bnb4',
  '_q2',
  '_q2f16',
  '_q1',
  '_q1f16',
];

export function presetNamed(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) throw usageError(`unknown preset '${name}' (known: ${PRESET_NAMES.join(', ')})`);
  return preset;
}

/** `model.onnx` -> `model`; `Model.ONNX` -> `Model`. */
export function modelStem(file: string): string {
  return path.basename(file).replace(/\.onnx$/i, '');
}

/** True for a file name transformers.js would load as a variant (`model_q4.onnx`, `decoder_model_merged_quantized.onnx`). */
export function isVariantFile(file: string): boolean {
  const stem = modelStem(file);
  return VARIANT_SUFFIXES.some((suffix) => stem.length > suffix.length && stem.endsWith(suffix));
}

/** The file a variant of `input` is written to: `<stem><suffix>.onnx`. */
export function variantFileName(input: string, variant: Pick<PresetVariant, 'suffix'>): string {
  return `${modelStem(input)}${variant.suffix}.onnx`;
}

/**
 * The preset's variants that `only` names (dtypes, or file suffixes without the underscore: `quantized` is q8),
 * in the preset's order; all of them when `only` is empty. An unknown name is an E_USAGE error.
 */
export function selectVariants(preset: Preset, only: readonly string[] = [], what = '--only'): PresetVariant[] {
  const names = only
    .flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (names.length === 0) return [...preset.variants];
  const wanted = new Set<PresetVariant>();
  for (const name of names) {
    const variant = preset.variants.find((v) => v.dtype === name.toLowerCase() || v.suffix === `_${name.toLowerCase()}`);
    if (!variant) throw usageError(`${what} ${name}: the ${preset.name} preset makes ${preset.variants.map((v) => v.dtype).join(', ')}`);
    wanted.add(variant);
  }
  return preset.variants.filter((v) => wanted.has(v));
}
