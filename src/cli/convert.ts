import type { Argv } from 'yargs';
import type { ConversionRegistry } from '../conversions/registry.js';
import { convertFile, outputPaths } from '../convert.js';
import { formatBytes } from '../report/format.js';
import { printJson } from './output.js';

export interface ConvertArgs {
  models: string[];
  out?: string;
  outDir?: string;
  to: string;
  json: boolean;
  [option: string]: unknown;
}

/** The `convert` command for the conversions of `registry` (their flags become the command's). */
export const convertCommand = (registry: ConversionRegistry) => ({
  command: 'convert <models..>',
  describe: 'Convert models (none: re-save unchanged; fp16; int8)',
  builder: (y: Argv) => {
    let cmd = y
      .positional('models', { type: 'string', array: true, demandOption: true, describe: 'ONNX model files' })
      .option('out', { alias: 'o', type: 'string', describe: 'Output file (one input model)' })
      .option('out-dir', { type: 'string', describe: 'Output folder; each output keeps its input file name' })
      .option('to', { type: 'string', demandOption: true, choices: registry.names(), describe: 'Conversion to apply' })
      .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON' });
    const seen = new Set<string>();
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
  handler: async (args: ConvertArgs): Promise<number> => {
    const outputs = outputPaths(args.models, args.out, args.outDir);
    const results = [];
    for (const [i, input] of args.models.entries()) {
      results.push(await convertFile(input, outputs[i]!, args.to, args, { protect: args.models, registry }));
    }
    if (args.json) {
      printJson(results.map((r) => ({ input: r.input, output: r.output, inputBytes: r.inputBytes, outputBytes: r.save.bytes, summary: r.summary })));
    } else {
      for (const r of results) {
        const ratio = r.inputBytes > 0 ? ` (${((100 * r.save.bytes) / r.inputBytes).toFixed(1)}%)` : '';
        process.stdout.write(`${r.input} -> ${r.output}: ${formatBytes(r.save.bytes)}${ratio}\n`);
        for (const note of r.summary.notes ?? []) process.stdout.write(`  ${note}\n`);
      }
    }
    return 0;
  },
});
