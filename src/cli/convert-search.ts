/**
 * The flags of an accuracy-guided conversion (`convert --threshold ...`), which every conversion with a precision
 * ladder takes, and what `convert` does with them: the search (src/search/search.ts), its summary, and its report.
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import type { ConversionRegistry } from '../conversions/registry.js';
import { inputError, messageOf, usageError } from '../errors.js';
import { formatBytes, formatMetricValue } from '../report/format.js';
import { writeSearchReports } from '../report/search.js';
import { searchConversion, type SearchResult, type SearchStep } from '../search/search.js';
import { parseThresholds } from '../validate/thresholds.js';
import type { ConvertArgs } from './convert.js';
import { EXIT_CHECK_FAILED, EXIT_OK, printJson } from './output.js';

export const SEARCH_OPTIONS: Readonly<Record<string, Options>> = {
  threshold: {
    type: 'string',
    array: true,
    describe:
      'Search which nodes to keep at higher precision so the result meets this (validate syntax: cosine=0.999, accuracy-drop=0.002); repeatable',
  },
  inputs: { type: 'string', describe: 'For --threshold (and fp16 --auto-block): input files or folders the thresholds are measured on' },
  labels: { type: 'string', describe: 'For --threshold: labels of --inputs, for accuracy thresholds' },
  'holdout-fraction': {
    type: 'number',
    describe: 'For --threshold: share of the inputs held out of the search and measured at the end (default 0.25)',
  },
  'search-budget': { type: 'number', describe: 'For --threshold: most validations the search runs (default 20)' },
  report: { type: 'string', describe: 'For --threshold: write search.json and search.html (the size/metric curve) into this folder' },
};

/** Flags every conversion takes (with --threshold); `inputs` is also fp16's own for --auto-block. */
export const SEARCH_FLAGS: readonly string[] = Object.keys(SEARCH_OPTIONS);

/** `@FILE` in a list flag: the names in FILE, one per line (blank lines and `#` comments skipped). */
export function expandAtFiles(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    out[key] = Array.isArray(value)
      ? (value as unknown[]).flatMap((v) => (typeof v === 'string' && v.startsWith('@') ? namesIn(v.slice(1)) : [v]))
      : value;
  }
  return out;
}

function namesIn(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw inputError(`cannot read the list of names: ${messageOf(e)}`, { file });
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function number(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(n)) throw usageError(`--${flag} must be a number`);
  return n;
}

/** `convert --threshold ...`: one model, searched; exit 0 when the written model meets every threshold, else 1. */
export async function runSearch(args: ConvertArgs, options: Record<string, unknown>, registry: ConversionRegistry): Promise<number> {
  if (args.models.length !== 1) throw usageError('--threshold converts one model at a time');
  if (args.out === undefined) throw usageError('--threshold needs -o FILE');
  let thresholds;
  try {
    thresholds = parseThresholds((args.threshold as string[]).flatMap((t) => t.split(',')));
  } catch (e) {
    throw usageError(`--threshold: ${messageOf(e)}`);
  }
  const conversionOptions = Object.fromEntries(
    Object.entries(options).filter(([k]) => !SEARCH_CAMEL.has(k) || (k === 'inputs' && args.to === 'fp16')),
  );
  const budget = number(args.searchBudget, 'search-budget');
  const holdoutFraction = number(args.holdoutFraction, 'holdout-fraction');
  const quiet = args.json === true;
  const result = await searchConversion({
    input: args.models[0]!,
    output: args.out,
    to: args.to,
    options: conversionOptions,
    thresholds,
    inputs: typeof args.inputs === 'string' ? [args.inputs] : [],
    ...(typeof args.labels === 'string' ? { labels: args.labels } : {}),
    ...(budget !== undefined ? { budget } : {}),
    ...(holdoutFraction !== undefined ? { holdoutFraction } : {}),
    registry,
    ...(quiet ? {} : { onStep: (step: SearchStep) => process.stderr.write(`${formatStep(step)}\n`) }),
  });
  const written = typeof args.report === 'string' ? await writeSearchReports(args.report, result) : [];
  if (quiet) printJson(result);
  else process.stdout.write(formatSearch(result, written));
  return result.passed ? EXIT_OK : EXIT_CHECK_FAILED;
}

const SEARCH_CAMEL = new Set(['threshold', 'inputs', 'labels', 'holdoutFraction', 'searchBudget', 'report', 'holdout-fraction', 'search-budget']);

function metricsText(metrics: Readonly<Record<string, number | null>>): string {
  return Object.entries(metrics)
    .map(([id, v]) => `${id} ${formatMetricValue(id.split('@')[0]!, v)}`)
    .join(', ');
}

function formatStep(step: SearchStep): string {
  return `  step ${step.step}: ${step.tried}: ${formatBytes(step.bytes)}, ${metricsText(step.metrics)} ${step.passed ? 'meets' : 'fails'}`;
}

export function formatSearch(r: SearchResult, written: readonly string[]): string {
  const ratio = r.inputBytes > 0 ? ` (${((100 * r.outputBytes) / r.inputBytes).toFixed(1)}% of the input)` : '';
  const lines = [
    `${r.input} -> ${r.output}: ${formatBytes(r.outputBytes)}${ratio}`,
    `  ${r.passed ? 'meets every threshold' : 'does NOT meet the thresholds (the closest model found was written)'} on the search inputs: ${r.checks.map((c) => c.message).join('; ')}`,
  ];
  if (r.holdout.checks) {
    lines.push(`  held out (${r.holdout.description}): ${r.holdout.checks.map((c) => c.message).join('; ')}`);
  } else lines.push(`  ${r.holdout.description}`);
  const kept = r.kept.filter((k) => !r.tables.includes(k.node));
  lines.push(`  kept at higher precision: ${kept.length === 0 ? 'none' : kept.map((k) => `${k.node} (${k.rung})`).join(', ')}`);
  if (r.tables.length > 0) lines.push(`  embedding tables stored at 8 bits to make room: ${r.tables.join(', ')}`);
  for (const x of r.reproduce) lines.push(`  reproduce with --${x.flag} @${x.file}`);
  lines.push(
    `  ${r.steps.length} conversions tried, ${r.validations} validations of the model (budget ${r.budget}; the diagnosis that ranked ${r.ranked} nodes counts as 2)`,
  );
  lines.push('', 'Size against metric, step by step:');
  for (const step of r.steps) lines.push(formatStep(step));
  if (written.length > 0) lines.push('', `Reports: ${written.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
