/** The report writers: `writeReports(dir, doc)` writes report.json, report.md, report.html and junit.xml. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../io/atomic-write.js';
import type { ReportDocument } from '../validate/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export { compareReports, parseFraction, renderComparisonMarkdown, DEFAULT_COMPARE_OPTIONS } from './compare.js';
export type { CompareOptions, Finding, FindingKind, ReportComparison } from './compare.js';
export { renderHtml } from './html.js';
export { parseReport, renderJson, ReportFormatError } from './json.js';
export { renderJUnit } from './junit.js';
export { renderMarkdown } from './markdown.js';

export type ReportFormat = 'json' | 'md' | 'html' | 'junit';

export const REPORT_FILES: Readonly<Record<ReportFormat, string>> = {
  json: 'report.json',
  md: 'report.md',
  html: 'report.html',
  junit: 'junit.xml',
};

/** Every report format, in the order reports are written: the CLI's --format and pipelines' `report.formats` take these. */
export const REPORT_FORMATS = Object.keys(REPORT_FILES) as readonly ReportFormat[];

const RENDERERS: Readonly<Record<ReportFormat, (doc: ReportDocument) => string>> = {
  json: renderJson,
  md: renderMarkdown,
  html: renderHtml,
  junit: renderJUnit,
};

/**
 * Writes the chosen formats (default: all four) into `dir`, creating it; each file is written to a temporary
 * name and renamed, so a reader never sees half a report. Returns the paths written.
 */
export async function writeReports(dir: string, doc: ReportDocument, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const format of formats) {
    const target = path.join(dir, REPORT_FILES[format]);
    writeFileAtomically(target, RENDERERS[format](doc));
    written.push(target);
  }
  return written;
}
