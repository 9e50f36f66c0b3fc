import type { Argv } from 'yargs';

/** What yargs parses for `onnxpress diagnose`. */
export interface DiagnoseArgs {
  baseline: string;
  candidate: string;
  inputs?: string[];
  labels?: string;
  nodes?: string[];
  samples?: number;
  seed?: number;
  threads?: number;
  top: number;
  report?: string;
  json: boolean;
}

export const diagnoseCommand = {
  command: 'diagnose',
  describe: "Find which nodes cause a candidate's drift: per-node error against the baseline, introduced and accumulated",
  builder: (y: Argv) =>
    y
      .option('baseline', { type: 'string', demandOption: true, describe: 'The reference model (e.g. the float32 file)' })
      .option('candidate', { type: 'string', demandOption: true, describe: 'The converted model' })
      .option('inputs', { type: 'string', array: true, describe: 'Input files or folders, as validate takes them (default: synthesized)' })
      .option('labels', { type: 'string', describe: "Labels for the first output's task accuracy (both models)" })
      .option('nodes', { type: 'string', array: true, describe: 'Only these baseline nodes (names of nodes or of their outputs, comma-separated)' })
      .option('samples', { type: 'number', describe: 'Synthesized input sets (default 1)' })
      .option('seed', { type: 'number', describe: 'Seed of synthesized inputs' })
      .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (default 2)' })
      .option('top', { type: 'number', default: 10, describe: 'Offenders to print' })
      .option('report', { type: 'string', describe: 'Write diagnose.json and diagnose.html into this folder' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON ({ "nodes": [...] }) and nothing else' }),
  handler: async (args: DiagnoseArgs): Promise<number> => (await import('./diagnose-action.js')).runDiagnose(args),
};
