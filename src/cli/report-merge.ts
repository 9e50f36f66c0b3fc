import type { Argv } from 'yargs';
import { REPORT_FORMATS } from '../report/index.js';

export interface ReportMergeArgs {
  reports: string[];
  out: string;
  format?: string[];
  title?: string;
  json: boolean;
}

export const reportMergeCommand = {
  command: 'merge <reports..>',
  describe: "Merge the summary report.json files of a pipeline's shards (run --shard I/N) into one summary; exit with the merged result's code",
  builder: (y: Argv) =>
    y
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'The report.json of every shard' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'Write the merged reports into this folder' })
      .option('format', {
        type: 'string',
        array: true,
        describe: `Report formats, comma-separated: ${REPORT_FORMATS.join(', ')} (default: all)`,
      })
      .option('title', { type: 'string', describe: "Title of the merged summary (default: the shards' title)" })
      .option('json', { type: 'boolean', default: false, describe: 'Print the merged summary as JSON (report.json) and nothing else' }),
  handler: async (args: ReportMergeArgs): Promise<number> => (await import('./report-merge-action.js')).runReportMerge(args),
};
