#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { buildCli, PLUGIN_OPTION } from './commands.js';
import { EXIT_ERROR, reportError } from './output.js';

// yargs' CommonJS build loads in a third of the time of its ES module graph; start-up time is what users feel.
const require = createRequire(import.meta.url);
const yargs = require('yargs') as (args: string[]) => Argv;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

/**
 * The built-in conversions plus those of `--plugin` modules. The plugins are read first, by a lenient parse of
 * that one flag, because their conversions' flags are part of the command line the real parse checks.
 */
async function conversionsFor(argv: string[]): Promise<ConversionRegistry> {
  const parsed = yargs(argv).option('plugin', PLUGIN_OPTION).help(false).version(false).parseSync() as { plugin?: string[] };
  const plugins = (parsed.plugin ?? []).filter((p) => p !== '');
  return plugins.length ? builtInConversions().withModules(plugins) : builtInConversions();
}

/** A failure yargs reported (its message); `main` words it as our usage error. */
class YargsFailure extends Error {}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let exitCode = 0;
  let registry: ConversionRegistry | undefined;
  try {
    registry = await conversionsFor(argv);
    await buildCli(
      yargs(argv),
      (code) => {
        exitCode = code;
      },
      registry,
      argv,
    )
      .fail((msg, err) => {
        throw err ?? new YargsFailure(msg);
      })
      .parseAsync();
  } catch (e) {
    // Loaded only for a usage error: it knows every command's flags, which a successful start does not need.
    const error = e instanceof YargsFailure ? (await import('./flags.js')).yargsUsageError(e.message, argv, registry) : e;
    return reportError(error, verbose);
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
