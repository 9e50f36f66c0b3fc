import type { Argv } from 'yargs';
import type { ConversionRegistry } from '../conversions/registry.js';
import { TARGET_CHOICES } from '../conversions/targets.js';
import { OPSET_FLAG, OPSET_OPTION } from '../conversions/upgrade.js';
import { TARGETS } from '../runtime/op-support/lint.js';
import { SEARCH_FLAGS, SEARCH_OPTIONS } from './convert-search.js';

export interface ConvertArgs {
  models: string[];
  out?: string;
  outDir?: string;
  to: string;
  json: boolean;
  target?: (typeof TARGETS)[number];
  allowUnsupportedOps: boolean;
  [option: string]: unknown;
}

/**
 * The `convert` command for the conversions of `registry` (their flags become the command's). `argv`, the command
 * line, tells which flags were given, so that a flag of another conversion than `--to`'s is refused.
 */
export const convertCommand = (registry: ConversionRegistry, argv: readonly string[] = []) => ({
  command: 'convert <models..>',
  describe: 'Convert models (none: re-save unchanged; fp16; int8)',
  builder: (y: Argv) => {
    let cmd = y
      .positional('models', { type: 'string', array: true, demandOption: true, describe: 'ONNX model files' })
      .option('out', { alias: 'o', type: 'string', describe: 'Output file (one input model)' })
      .option('out-dir', { type: 'string', describe: 'Output folder; each output keeps its input file name' })
      .option('to', { type: 'string', demandOption: true, choices: registry.names(), describe: 'Conversion to apply' })
      .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON' })
      // Global: any conversion runs after an upgrade to this opset (with --to none or --to upgrade, only that).
      .option(OPSET_FLAG, OPSET_OPTION)
      .option('target', {
        type: 'string',
        choices: [...TARGETS],
        describe:
          'Where the model will run: lint the output for ops without a kernel there before writing it, and follow the target ' +
          `(web: ${TARGET_CHOICES.web}; webgpu: ${TARGET_CHOICES.webgpu})`,
      })
      .option('allow-unsupported-ops', {
        type: 'boolean',
        default: false,
        describe: 'With --target: write the output even when an op has no kernel there (the lint is printed as warnings)',
      });
    for (const [flag, option] of Object.entries(SEARCH_OPTIONS)) cmd = cmd.option(flag, option);
    cmd = cmd.group([...SEARCH_FLAGS], 'Accuracy-guided conversion (int8, fp16, q4, q4f16):');
    const seen = new Set<string>([OPSET_FLAG, 'target', 'allow-unsupported-ops', ...SEARCH_FLAGS]);
    for (const def of registry.list()) {
      const names = Object.keys(def.options).filter((n) => !seen.has(n));
      for (const [name, opt] of Object.entries(def.options)) {
        if (seen.has(name)) continue;
        seen.add(name);
        cmd = cmd.option(name, {
          type: opt.type === 'array' ? 'string' : opt.type,
          describe: opt.describe,
          ...(opt.type === 'array' ? { array: true } : {}),
          ...(opt.default !== undefined ? { default: opt.default } : {}),
          ...(opt.choices ? { choices: [...opt.choices] } : {}),
        });
      }
      if (names.length) cmd = cmd.group(names, `Options for --to ${def.name}:`);
    }
    return cmd;
  },
  handler: async (args: ConvertArgs): Promise<number> => (await import('./convert-action.js')).runConvert(args, registry, argv),
});
