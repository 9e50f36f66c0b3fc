/** The command table: each command's definition lives in its own file. */
import type { Argv } from 'yargs';
import { convertCommand, type ConvertArgs } from './convert.js';
import { inspectCommand, type InspectArgs } from './inspect.js';
import { reportCommand, reportCompareCommand, type ReportCompareArgs } from './report.js';
import { runCommand, type RunArgs } from './run.js';
import { validateCommand, type ValidateArgs } from './validate.js';

type Handler<A> = (args: A) => number | Promise<number>;

function wrap<A>(handler: Handler<A>, setExit: (code: number) => void) {
  return async (args: unknown): Promise<void> => {
    setExit(await handler(args as A));
  };
}

export function buildCli(y: Argv, setExit: (code: number) => void): Argv {
  return y
    .scriptName('onnxpress')
    .usage('$0 <command> [options]')
    .command(inspectCommand.command, inspectCommand.describe, inspectCommand.builder, wrap<InspectArgs>(inspectCommand.handler, setExit))
    .command(convertCommand.command, convertCommand.describe, convertCommand.builder, wrap<ConvertArgs>(convertCommand.handler, setExit))
    .command(runCommand.command, runCommand.describe, runCommand.builder, wrap<RunArgs>(runCommand.handler, setExit))
    .command(validateCommand.command, validateCommand.describe, validateCommand.builder, wrap<ValidateArgs>(validateCommand.handler, setExit))
    .command(reportCommand.command, reportCommand.describe, (r: Argv) =>
      r
        .command(reportCompareCommand.command, reportCompareCommand.describe, reportCompareCommand.builder, wrap<ReportCompareArgs>(reportCompareCommand.handler, setExit))
        .demandCommand(1, 'name a report command (compare)'),
    )
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version();
}
