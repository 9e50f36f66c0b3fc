import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { parseError, readError, usageError } from '../errors.js';
import { compareReports, DifferentModelsError, parseFraction, renderComparisonMarkdown, type CompareOptions } from '../report/compare.js';
import { parseReport, ReportFormatError } from '../report/json.js';
import type { ReportDocument } from '../validate/types.js';
import { EXIT_CHECK_FAILED, EXIT_OK, printJson } from './output.js';

export interface ReportCompareArgs {
  old: string;
  new: string;
  maxLatencyRegression?: string;
  maxErrorIncrease?: string;
  maxAgreementDrop?: string;
  maxSizeIncrease?: string;
  force: boolean;
  json: boolean;
}

export const reportCommand = {
  command: 'report',
  describe: 'Work with validation reports (report.json)',
};

export const reportCompareCommand = {
  command: 'compare <old> <new>',
  describe: 'Compare two report.json files of the same validation; exit 1 when the new one regressed',
  builder: (y: Argv) =>
    y
      .positional('old', { type: 'string', demandOption: true, describe: 'The earlier report.json' })
      .positional('new', { type: 'string', demandOption: true, describe: 'The later report.json' })
      .option('max-latency-regression', { type: 'string', describe: 'Allowed growth of the latency ratio, e.g. 10% (default 10%)' })
      .option('max-error-increase', { type: 'string', describe: 'Allowed growth of error metrics, e.g. 50% (default 50%)' })
      .option('max-agreement-drop', { type: 'string', describe: 'Allowed absolute fall of top-k agreement and accuracy (default 0.01)' })
      .option('max-size-increase', { type: 'string', describe: 'Allowed growth of the candidate size (default 1%)' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: "Compare reports of different models (their baselines' graph hashes differ) instead of refusing",
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' }),
  handler: (args: ReportCompareArgs): number => {
    const options: CompareOptions = {};
    const limit = (text: string | undefined, flag: string): number | undefined => {
      if (text === undefined) return undefined;
      try {
        return parseFraction(text);
      } catch (e) {
        throw usageError(`--${flag}: ${(e as Error).message}`);
      }
    };
    const set = (key: Exclude<keyof CompareOptions, 'force'>, text: string | undefined, flag: string) => {
      const value = limit(text, flag);
      if (value !== undefined) options[key] = value;
    };
    set('maxLatencyRegression', args.maxLatencyRegression, 'max-latency-regression');
    set('maxErrorIncrease', args.maxErrorIncrease, 'max-error-increase');
    set('maxAgreementDrop', args.maxAgreementDrop, 'max-agreement-drop');
    set('maxSizeIncrease', args.maxSizeIncrease, 'max-size-increase');
    if (args.force) options.force = true;
    let comparison;
    try {
      comparison = compareReports(readReport(args.old), readReport(args.new), options);
    } catch (e) {
      if (!(e instanceof DifferentModelsError)) throw e;
      throw usageError(`${args.old} and ${args.new}: ${e.message}`, { hint: 'pass --force to compare them anyway' });
    }
    if (args.json) printJson(comparison);
    else process.stdout.write(renderComparisonMarkdown(comparison));
    return comparison.passed ? EXIT_OK : EXIT_CHECK_FAILED;
  },
};

function readReport(path: string): ReportDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw readError(`cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      file: path,
    });
  }
  try {
    return parseReport(text);
  } catch (e) {
    if (e instanceof ReportFormatError) throw parseError(e.message, { file: path });
    throw e;
  }
}
