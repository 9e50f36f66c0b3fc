import type { Argv } from 'yargs';
import { conversionNames, convertFile, outputPaths } from '../convert.js';
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
  builder: (y: Argv) =>
    y
      .positional('models', { type: 'string', array: true, demandOption: true, describe: 'ONNX model files' })
      .option('out', { alias: 'o', type: 'string', describe: 'Output file (one input model)' })
      .option('out-dir', { type: 'string', describe: 'Output folder; each output keeps its input file name' })
      .option('to', { type: 'string', demandOption: true, choices: conversionNames(), describe: 'Conversion to apply' })
      .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON' }),
  handler: (args: ConvertArgs): number => {
    const outputs = outputPaths(args.models, args.out, args.outDir);
    const results = args.models.map((input, i) => convertFile(input, outputs[i]!, args.to, {}, args.models));
    if (args.json) {
      printJson(results.map((r) => ({ input: r.input, output: r.output, inputBytes: r.inputBytes, outputBytes: r.save.bytes, summary: r.summary })));
    } else {
      for (const r of results) {
        const ratio = r.inputBytes > 0 ? ` (${((100 * r.save.bytes) / r.inputBytes).toFixed(1)}%)` : '';
        process.stdout.write(`${r.input} -> ${r.output}: ${formatBytes(r.save.bytes)}${ratio}\n`);
      }
    }
    return 0;
  },
};
