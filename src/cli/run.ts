import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { ConversionRegistry } from '../conversions/registry.js';

export interface RunArgs {
  pipeline?: string;
  jobs?: number;
  only?: string[];
  shard?: string;
  report?: string;
  force: boolean;
  timeout?: number;
  json: boolean;
}

/** The demo pipeline shipped with onnxpress (src/cli and dist/cli both sit two levels below the package root). */
export const DEFAULT_PIPELINE = fileURLToPath(new URL('../../pipelines/demo.yaml', import.meta.url));

export const runCommand = (registry: ConversionRegistry) => ({
  command: 'run [pipeline]',
  describe: 'Run a pipeline: convert every model into every variant, validate each against its original, write reports',
  builder: (y: Argv) =>
    y
      .positional('pipeline', { type: 'string', describe: 'Pipeline file (YAML or JSON); default: the demo pipeline, pipelines/demo.yaml' })
      .option('jobs', { alias: 'j', type: 'number', describe: 'Models worked on at once, each in its own process (default: the number of CPUs)' })
      .option('only', { type: 'string', array: true, describe: 'Only these model ids or variant names (repeat the flag or separate with commas)' })
      .option('shard', { type: 'string', describe: 'Run shard I of N (I/N, e.g. 2/4): the models split deterministically, for a CI matrix' })
      .option('report', {
        type: 'string',
        describe: "Write the summary reports into this folder instead of the pipeline's report.dir (e.g. one per shard, for report merge)",
      })
      .option('timeout', {
        type: 'number',
        describe:
          "Seconds one variant may take to convert and validate; past it the entry is an error (default: the pipeline's timeout, else no limit)",
      })
      .option('force', { type: 'boolean', default: false, describe: 'Convert and validate again even where the cache has the result' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON (no progress bars)' }),
  handler: async (args: RunArgs): Promise<number> => (await import('./run-action.js')).runRun(args, registry),
});
