/** The command table: each command's definition lives in its own file. */
import type { Argv } from 'yargs';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { convertCommand, type ConvertArgs } from './convert.js';
import { diagnoseCommand, type DiagnoseArgs } from './diagnose.js';
import { inspectCommand, type InspectArgs } from './inspect.js';
import { reportCommand, reportCompareCommand, type ReportCompareArgs } from './report.js';
import { reportMergeCommand, type ReportMergeArgs } from './report-merge.js';
import { runCommand, type RunArgs } from './run.js';
import { validateCommand, type ValidateArgs } from './validate.js';
import { variantsCommand, type VariantsArgs } from './variants.js';

type Handler<A> = (args: A) => number | Promise<number>;

function wrap<A>(handler: Handler<A>, setExit: (code: number) => void) {
  return async (args: unknown): Promise<void> => {
    setExit(await handler(args as A));
  };
}

/** Flags every command accepts. */
export const PLUGIN_OPTION = {
  type: 'string',
  array: true,
  describe: 'Load more conversions from this ES module (exports `conversions`); repeat for several',
} as const;

/**
 * The CLI over the conversions of `registry` (default: the built-ins). `argv` is the command line being parsed:
 * `convert` checks that the flags given belong to the conversion `--to` names.
 */
export function buildCli(
  y: Argv,
  setExit: (code: number) => void,
  registry: ConversionRegistry = builtInConversions(),
  argv: readonly string[] = [],
): Argv {
  const convert = convertCommand(registry, argv);
  const run = runCommand(registry);
  const variants = variantsCommand(registry);
  return y
    .scriptName('onnxpress')
    .usage('$0 <command> [options]')
    .command(inspectCommand.command, inspectCommand.describe, inspectCommand.builder, wrap<InspectArgs>(inspectCommand.handler, setExit))
    .command(convert.command, convert.describe, convert.builder, wrap<ConvertArgs>(convert.handler, setExit))
    .command(run.command, run.describe, run.builder, wrap<RunArgs>(run.handler, setExit))
    .command(validateCommand.command, validateCommand.describe, validateCommand.builder, wrap<ValidateArgs>(validateCommand.handler, setExit))
    .command(diagnoseCommand.command, diagnoseCommand.describe, diagnoseCommand.builder, wrap<DiagnoseArgs>(diagnoseCommand.handler, setExit))
    .command(variants.command, variants.describe, variants.builder, wrap<VariantsArgs>(variants.handler, setExit))
    .command(reportCommand.command, reportCommand.describe, (r: Argv) =>
      r
        .command(
          reportCompareCommand.command,
          reportCompareCommand.describe,
          reportCompareCommand.builder,
          wrap<ReportCompareArgs>(reportCompareCommand.handler, setExit),
        )
        .command(
          reportMergeCommand.command,
          reportMergeCommand.describe,
          reportMergeCommand.builder,
          wrap<ReportMergeArgs>(reportMergeCommand.handler, setExit),
        )
        .demandCommand(1, 'name a report command (compare, merge)'),
    )
    .option('plugin', PLUGIN_OPTION)
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version();
}
