/** The command table: each command's definition lives in its own file. */
import type { Argv } from 'yargs';
import { convertCommand, type ConvertArgs } from './convert.js';
import { inspectCommand, type InspectArgs } from './inspect.js';

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
    .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version();
}
