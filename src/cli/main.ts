#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { OnnxpressError } from '../errors.js';
import { buildCli } from './commands.js';
import { EXIT_ERROR, reportError } from './output.js';

// yargs' CommonJS build loads in a third of the time of its ES module graph; start-up time is what users feel.
const require = createRequire(import.meta.url);
const yargs = require('yargs') as (args: string[]) => Argv;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let exitCode = 0;
  try {
    // Registering the conversions loads every pass: only `convert` needs them up front (for its flags).
    if (argv.find((a) => !a.startsWith('-')) === 'convert') await import('../conversions.js');
    await buildCli(yargs(argv), (code) => {
      exitCode = code;
    })
      .fail((msg, err) => {
        // yargs spreads some messages over several lines; ours are one.
        throw err ?? new OnnxpressError('E_USAGE', msg.replace(/\s*\n\s*/g, ' '));
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
