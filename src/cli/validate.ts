import type { Argv } from 'yargs';
import { DEFAULT_ITERATIONS, DEFAULT_THREADS, DEFAULT_WARMUP } from '../validate/defaults.js';

export interface ValidateArgs {
  baseline: string;
  candidate: string;
  inputs?: string[];
  labels?: string;
  labelsOutput?: string;
  dims?: string[];
  samples?: number;
  seed?: number;
  threshold?: string[];
  kind?: string;
  latency: boolean;
  iterations: number;
  warmup: number;
  threads: number;
  provider: string;
  timeout?: number;
  report?: string;
  format?: string[];
  json: boolean;
}

export const validateCommand = {
  command: 'validate',
  describe: 'Run a baseline and a candidate model in ONNX Runtime on the same inputs and check drift, accuracy and speed',
  builder: (y: Argv) =>
    y
      .option('baseline', { type: 'string', demandOption: true, describe: 'The reference model (.onnx)' })
      .option('candidate', { type: 'string', demandOption: true, describe: 'The model under test (.onnx)' })
      .option('inputs', {
        type: 'string',
        array: true,
        describe: 'Input data: test-data folders (input_K.pb, test_data_set_N/), .pb, .npy ([NAME=]FILE) or .json files; default: synthesized',
      })
      .option('labels', { type: 'string', describe: 'Labels for top-1 accuracy: .pb (TensorProto), .npy or .json' })
      .option('labels-output', { type: 'string', describe: 'The output the labels score (default: the first output)' })
      .option('dims', { type: 'string', array: true, describe: 'Symbolic dims of synthesized inputs: NAME=VALUE (defaults: batch 1, sequence-like 16, others 1)' })
      .option('samples', { type: 'number', describe: 'Synthesized input sets to run (default 1); with --inputs, use only the first N' })
      .option('seed', { type: 'number', describe: 'Seed of synthesized inputs (default 0)' })
      .option('threshold', { type: 'string', array: true, describe: 'METRIC[@OUTPUT]=VALUE, e.g. cosine=0.999, top1=0.98, latency-ratio=1.1' })
      .option('kind', { type: 'string', choices: ['fp16', 'int8', 'other'], describe: 'Conversion kind for default thresholds (default: inferred)' })
      .option('latency', { type: 'boolean', default: false, describe: 'Also measure latency, interleaving the two models' })
      .option('iterations', { type: 'number', default: DEFAULT_ITERATIONS, describe: 'Timed rounds with --latency' })
      .option('warmup', { type: 'number', default: DEFAULT_WARMUP, describe: 'Untimed rounds before them' })
      .option('threads', { type: 'number', default: DEFAULT_THREADS, describe: 'Intra-op threads of each session' })
      .option('provider', { type: 'string', default: 'cpu', choices: ['cpu', 'webgpu', 'cuda'], describe: 'ONNX Runtime execution provider' })
      .option('timeout', {
        type: 'number',
        describe: 'Seconds the validation may take; ONNX Runtime still running then is stopped and the exit code is 2 (default: no limit)',
      })
      .option('report', { type: 'string', describe: 'Write reports into this folder' })
      .option('format', {
        type: 'string',
        array: true,
        describe: 'Report formats, comma-separated: json, md, html, junit (default: all)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON (report.json) and nothing else' }),
  handler: async (args: ValidateArgs): Promise<number> => (await import('./validate-action.js')).runValidate(args),
};
