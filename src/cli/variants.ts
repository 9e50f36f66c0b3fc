/** `onnxpress variants`: its flags (light: the work is in variants-action.ts, loaded only when the command runs). */
import type { Argv } from 'yargs';
import type { ConversionRegistry } from '../conversions/registry.js';
import { REPORT_FORMATS } from '../report/index.js';
import { TARGETS, type Target } from '../runtime/op-support/lint.js';
import { validateOptionEntries, type ValidateOptionName } from '../validate/options.js';
import { PRESET_NAMES, TRANSFORMERS_JS_PRESET } from '../variants/preset.js';
import { yargsOption, type ValidateArgs } from './validate.js';

/** Validation options each variant sets itself, so the command has no flag for them. */
export const PER_VARIANT_OPTIONS: readonly ValidateOptionName[] = ['baseline', 'candidate', 'baselineName', 'candidateName', 'kind'];

export interface VariantsArgs extends ValidateArgs {
  models: string[];
  preset: string;
  outDir?: string;
  only?: string[];
  validate: boolean;
  target?: Target;
  allowUnsupportedOps: boolean;
}

export const variantsCommand = (registry: ConversionRegistry) => ({
  command: 'variants <models..>',
  describe: `Make a preset's variants of models (a file or a folder of them) beside them, validate each, write one report`,
  builder: (y: Argv) => {
    let out = y
      .positional('models', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'ONNX model files, or folders: every *.onnx in them that is not a variant itself (model_q4.onnx, ...)',
      })
      .option('preset', {
        type: 'string',
        choices: [...PRESET_NAMES],
        default: TRANSFORMERS_JS_PRESET.name,
        describe: `The variant set: ${TRANSFORMERS_JS_PRESET.name} makes ${TRANSFORMERS_JS_PRESET.variants.map((v) => `<stem>${v.suffix}.onnx`).join(', ')}`,
      })
      .option('out-dir', { type: 'string', describe: 'Write the variants into this folder (default: beside each model)' })
      .option('only', {
        type: 'string',
        array: true,
        describe: `Only these variants, by dtype, comma-separated (${TRANSFORMERS_JS_PRESET.variants.map((v) => v.dtype).join(', ')})`,
      })
      .option('validate', {
        type: 'boolean',
        default: true,
        describe: 'Validate each variant against its model and write the report (--no-validate: convert only)',
      })
      .option('report', { type: 'string', describe: 'Write the report into this folder (default: the output folder)' })
      .option('format', {
        type: 'string',
        array: true,
        describe: `Report formats, comma-separated: ${REPORT_FORMATS.join(', ')} (default: all)`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the outcome as JSON and nothing else' })
      .option('target', {
        type: 'string',
        choices: [...TARGETS],
        describe: 'Where the variants will run: lint each for ops without a kernel there before writing it (a variant with one is an error)',
      })
      .option('allow-unsupported-ops', {
        type: 'boolean',
        default: false,
        describe: 'With --target: write a variant even when an op has no kernel there',
      });
    for (const [name, def] of validateOptionEntries()) {
      if (PER_VARIANT_OPTIONS.includes(name) || !('flag' in def.cli)) continue;
      out = out.option(def.cli.flag, yargsOption(def));
    }
    return out;
  },
  handler: async (args: VariantsArgs): Promise<number> => (await import('./variants-action.js')).runVariants(args, registry),
});
