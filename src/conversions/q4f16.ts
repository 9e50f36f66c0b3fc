/**
 * `convert --to q4f16` (and pipeline `to: q4f16`): block-wise 4-bit weights, then float16 everywhere it is safe,
 * in one run. This is transformers.js's q4f16 recipe (MatMulNBitsQuantizer, then onnxruntime's float16 converter
 * with keep_io_types=True), done with onnxpress's own passes: the q4 pass (onnxruntime-exact weights and float32
 * scales), then the FP16 pass with all its guards (block list, constants float16 cannot hold, --auto-block),
 * which writes the scales as float16 and keeps the packed weights and zero points as they are.
 */
import { splitList, type Fp16Options } from '../passes/fp16/options.js';
import { fp16Conversion, fp16OptionsFrom } from './fp16.js';
import { nbitsPasses, q4Conversion, q4OptionsFromFlags } from './q4.js';
import type { ConversionDef, ConversionOption, ConversionSummary } from './types.js';

/** The FP16 options of q4f16: fp16's, with graph inputs and outputs kept float32 unless said otherwise. */
const FP16_OPTIONS: Readonly<Record<string, ConversionOption>> = {
  ...fp16Conversion.options,
  'keep-io-types': {
    type: 'array',
    describe:
      'q4f16: graph inputs/outputs kept float32 with a Cast at each boundary: all of them by default (as transformers.js q4f16 files), ' +
      'the names given, or none with --no-keep-io-types',
  },
};

/**
 * Reads the FP16 half of q4f16's flags: `keepIoTypes` absent means all of them (true); a name in `blockNodes`
 * also names the MatMulNBits the q4 pass makes of that node (`<name>_Q4`, onnxruntime's naming), since the
 * names the user knows are the float32 model's.
 */
export function q4f16Fp16Flags(options: Record<string, unknown>, bits: number): Record<string, unknown> {
  const blockNodes = splitList(options.blockNodes as string[] | string | undefined);
  return {
    ...options,
    keepIoTypes: options.keepIoTypes === undefined ? true : options.keepIoTypes,
    ...(blockNodes.length > 0 ? { blockNodes: blockNodes.flatMap((name) => [name, `${name}_Q${bits}`]) } : {}),
  };
}

/** One summary for the two passes: the q4 and fp16 summaries side by side, their notes together. */
function summarize(records: readonly { name: string; modified: boolean; summary?: unknown }[]): ConversionSummary {
  // With --eight-bit-nodes two q4 passes run: the 8-bit one first; the summary is the last one's.
  const q4 = records.findLast((r) => r.name === 'q4')?.summary as ConversionSummary | undefined;
  const fp16 = records.find((r) => r.name === 'fp16')?.summary as ConversionSummary | undefined;
  return {
    kind: 'q4f16',
    modified: records.some((r) => r.modified),
    notes: [...(q4?.notes ?? []).map((n) => `q4: ${n}`), ...(fp16?.notes ?? []).map((n) => `fp16: ${n}`)],
    ...(q4 ? { q4 } : {}),
    ...(fp16 ? { fp16 } : {}),
  };
}

export const q4f16Conversion: ConversionDef = {
  name: 'q4f16',
  describe:
    "q4 then fp16 in one run (transformers.js's q4f16): 4-bit MatMulNBits weights with float16 scales, float16 activations; " +
    "takes q4's and fp16's options; graph inputs/outputs stay float32 unless --no-keep-io-types",
  options: { ...q4Conversion.options, ...FP16_OPTIONS },
  kind: 'q4',
  async passes(options, { model }) {
    const q4Options = q4OptionsFromFlags(options);
    // The FP16 options are read from the float32 model: --auto-block measures its activations, and the q4 pass
    // keeps the name of every value it does not remove (a MatMulNBits writes its MatMul's output).
    const fp16Options: Fp16Options = await fp16OptionsFrom(model, q4f16Fp16Flags(options, q4Options.bits ?? 4));
    const { Fp16Pass } = await import('../passes/fp16/convert.js');
    const eightBitNodes = splitList(options.eightBitNodes as string[] | string | undefined);
    return [...(await nbitsPasses(q4Options, eightBitNodes)), new Fp16Pass(fp16Options)];
  },
  summarize,
};
