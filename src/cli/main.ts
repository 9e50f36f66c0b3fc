#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { OnnxpressError } from '../io/errors.js';
import '../conversions.js';
import { buildCli } from './commands.js';
import { EXIT_ERROR, reportError } from './output.js';

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let exitCode = 0;
  try {
    await buildCli(yargs(argv), (code) => {
      exitCode = code;
    })
      .fail((msg, err) => {
        throw err ?? new OnnxpressError('E_USAGE', msg);
      })
      .parseAsync();
  } catch (e) {
    return reportError(e, verbose);
  }
  return exitCode;
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, process.argv.includes('--verbose'));
    },
  );
}

export { EXIT_ERROR };
