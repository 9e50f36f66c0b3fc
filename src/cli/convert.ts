import type { Argv } from 'yargs';
import { conversionDefs, conversionNames, convertFile, outputPaths } from '../convert.js';
import { formatBytes, printJson } from './output.js';

export interface ConvertArgs {
  models: string[];
  out?: string;
  outDir?: string;
  to: string;
  json: boolean;
  [option: string]: unknown;
}

export const convertCommand = {
  command: 'convert <models..>',
  describe: 'Convert models (none: re-save unchanged; fp16; int8)',
  builder: (y: Argv) => {
    let cmd = y
      .positional('models', { type: 'string', array: true, demandOption: true, describe: 'ONNX model files' })
      .option('out', { alias: 'o', type: 'string', describe: 'Output file (one input model)' })
      .option('out-dir', { type: 'string', describe: 'Output folder; each output keeps its input file name' })
      .option('to', { type: 'string', demandOption: true, choices: conversionNames(), describe: 'Conversion to apply' })
      .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON' });
    const seen = new Set<string>();
    for (const def of conversionDefs()) {
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
  handler: (args: ConvertArgs): number => {
    const outputs = outputPaths(args.models, args.out, args.outDir);
    const results = args.models.map((input, i) => convertFile(input, outputs[i]!, args.to, args, args.models));
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
};
