import type { Argv, Options } from 'yargs';
import { REPORT_FORMATS } from '../report/index.js';
import { validateOptionEntries, type OptionDef, type RawValidateOptions } from '../validate/options.js';

/** What yargs parses for `onnxpress validate`: the validation options' flags (VALIDATE_OPTIONS), then the output flags. */
export interface ValidateArgs {
  /** Flags of validation options, by their camelCase names. */
  [flag: string]: unknown;
  name?: string;
  report?: string;
  format?: string[];
  json: boolean;
}

/** The yargs declaration of an option's flag, from its definition. */
export function yargsOption(def: OptionDef): Options {
  if (!('flag' in def.cli)) throw new Error('yargsOption: the option has no flag');
  const cli = def.cli;
  const value = def.value;
  const base: Options =
    value.type === 'boolean'
      ? { type: 'boolean' }
      : value.type === 'integer' || value.type === 'seconds'
        ? { type: 'number' }
        : value.type === 'paths' || value.type === 'dims' || value.type === 'thresholds'
          ? { type: 'string', array: true }
          : { type: 'string' };
  const choices = cli.choices ?? (value.type === 'string' ? value.choices : undefined);
  const fallback = typeof def.default === 'function' ? undefined : def.default;
  // A list-valued option with a one-value flag (--provider) shows its default's first value.
  const shown: unknown = Array.isArray(fallback) && !base.array ? fallback[0] : fallback;
  return {
    ...base,
    ...(def.required ? { demandOption: true } : {}),
    ...(choices ? { choices: [...choices] } : {}),
    ...(cli.showDefault && shown !== undefined ? { default: shown } : {}),
    describe: def.describe,
  };
}

/** `labels-output` -> `labelsOutput`: how yargs also names a flag's value. */
function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The validation options the flags give, by option name; normalizeValidateOptions does the rest. */
export function validateInputFromArgs(args: ValidateArgs): RawValidateOptions {
  const input: Record<string, unknown> = {};
  for (const [name, def] of validateOptionEntries()) {
    if (!('flag' in def.cli)) continue;
    const value = args[camelCase(def.cli.flag)];
    if (value !== undefined) input[name] = value;
  }
  return input as unknown as RawValidateOptions;
}

export const validateCommand = {
  command: 'validate',
  describe: 'Run a baseline and a candidate model in ONNX Runtime on the same inputs and check drift, accuracy and speed',
  builder: (y: Argv) => {
    let out = y;
    for (const [, def] of validateOptionEntries()) if ('flag' in def.cli) out = out.option(def.cli.flag, yargsOption(def));
    return out
      .option('name', {
        type: 'string',
        describe: "The model's name in report titles (default: the baseline's folder when its file is model.onnx)",
      })
      .option('report', { type: 'string', describe: 'Write reports into this folder' })
      .option('format', {
        type: 'string',
        array: true,
        describe: `Report formats, comma-separated: ${REPORT_FORMATS.join(', ')} (default: all)`,
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON (report.json) and nothing else' });
  },
  handler: async (args: ValidateArgs): Promise<number> => (await import('./validate-action.js')).runValidate(args),
};
