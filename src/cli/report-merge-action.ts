/** What `onnxpress report merge` does; loaded only when that command runs. */
import { readFileSync } from 'node:fs';
import { parseError, readError } from '../errors.js';
import { statusLabel, keyFigures } from '../report/document.js';
import { formatCosine, formatPercent, formatRatio } from '../report/format.js';
import { parseReport, renderJson, ReportFormatError, writeReports } from '../report/index.js';
import { mergeSummaries } from '../report/merge.js';
import { exitCodeFor } from '../validate/result.js';
import type { ReportDocument, ValidationSummary } from '../validate/types.js';
import type { ReportMergeArgs } from './report-merge.js';
import { parseFormats } from './validate-action.js';

export async function runReportMerge(args: ReportMergeArgs): Promise<number> {
  const formats = parseFormats(args.format);
  const inputs = args.reports.map((file) => ({ file, doc: readReport(file) }));
  const merged = mergeSummaries(inputs, args.title !== undefined ? { title: args.title } : {});
  const written = await writeReports(args.out, merged, formats);
  process.stdout.write(args.json ? renderJson(merged) : textSummary(merged, inputs.length, written));
  return exitCodeFor(merged);
}

function readReport(file: string): ReportDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw readError(`cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { file });
  }
  try {
    return parseReport(text);
  } catch (e) {
    if (e instanceof ReportFormatError) throw parseError(e.message, { file });
    throw e;
  }
}

/** One line per entry, as `run` prints them, then the counts and the files written. */
function textSummary(summary: ValidationSummary, reports: number, written: readonly string[]): string {
  const width = Math.max(0, ...summary.entries.map((e) => e.model.length + e.variant.length + 1));
  const counts = { pass: 0, fail: 0, error: 0 };
  const lines = summary.entries.map((e) => {
    counts[e.status]++;
    const name = `${e.model}/${e.variant}`.padEnd(width);
    const label = statusLabel(e.status).padEnd(5);
    if (!e.result) return `${label} ${name}  ${e.error?.message ?? 'no result'}`;
    const k = keyFigures(e.result);
    const figures = [
      `size ${formatRatio(k.sizeRatio)}`,
      k.worstCosine ? `cosine ${formatCosine(k.worstCosine.value)}` : '',
      k.worstTop1 ? `top-1 ${formatPercent(k.worstTop1.value)}` : '',
    ].filter(Boolean);
    return `${label} ${name}  ${figures.join('  ')}${k.failed.map((c) => `\n      ${c.message}`).join('')}`;
  });
  const pipeline = summary.pipeline ? ` of pipeline '${summary.pipeline.name}'` : '';
  lines.push(
    `${counts.pass} passed, ${counts.fail} failed, ${counts.error} ${counts.error === 1 ? 'error' : 'errors'} ` +
      `(${summary.entries.length} entries from ${reports} reports${pipeline})`,
    `reports: ${written.join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
