/** What `onnxpress validate` does; loaded only when that command runs (it brings in ONNX Runtime). */
import cliProgress from 'cli-progress';
import { usageError } from '../errors.js';
import { resultTitle, runtimesText } from '../report/document.js';
import { formatBytes, formatCosine, formatDims, formatFraction, formatMs, formatNumber, formatPercent, formatRatio } from '../report/format.js';
import { REPORT_FORMATS, renderJson, writeReports, type ReportFormat } from '../report/index.js';
import { normalizeValidateOptions, type NormalizedValidateOptions } from '../validate/options.js';
import { exitCodeFor } from '../validate/result.js';
import type { ValidationResult } from '../validate/types.js';
import { runValidation, type ValidateProgress } from '../validate/validate.js';
import { validateInputFromArgs, type ValidateArgs } from './validate.js';

/** Sample counts from which the run is long enough to deserve a progress bar. */
const MANY_SAMPLES = 8;

export async function runValidate(args: ValidateArgs): Promise<number> {
  const formats = parseFormats(args.format);
  if (formats && args.report === undefined) throw usageError('--format needs --report DIR');
  const options = normalizeValidateOptions(validateInputFromArgs(args), { surface: 'cli' });
  const progress = progressReporter(args.json ? false : longRun(options));
  let result: ValidationResult;
  try {
    result = await runValidation(options, progress ? { onProgress: progress.update } : {});
  } finally {
    progress?.stop();
  }
  if (args.name !== undefined) result = named(result, args.name);
  const written = args.report !== undefined ? await writeReports(args.report, result, formats) : [];
  process.stdout.write(args.json ? renderJson(result) : formatResult(result, written));
  return exitCodeFor(result);
}

/** The result with `name` (validate --name), placed after `kind` in report.json. */
function named(result: ValidationResult, name: string): ValidationResult {
  const { schema, schemaVersion, tool, createdAt, kind, ...rest } = result;
  return { schema, schemaVersion, tool, createdAt, kind, name, ...rest };
}

function longRun(options: NormalizedValidateOptions): boolean {
  return process.stderr.isTTY === true && (options.latency || (options.samples ?? 1) >= MANY_SAMPLES);
}

export function parseFormats(values: readonly string[] | undefined): ReportFormat[] | undefined {
  if (!values || values.length === 0) return undefined;
  const formats = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f as ReportFormat)) {
      throw usageError(`--format ${f}: known formats are ${REPORT_FORMATS.join(', ')}`);
    }
  }
  return [...new Set(formats)] as ReportFormat[];
}

const PHASE_LABELS: Record<ValidateProgress['phase'], string> = {
  load: 'loading  ',
  outputs: 'comparing',
  warmup: 'warm-up  ',
  latency: 'timing   ',
};

/** A progress bar on stderr for long runs on a terminal; nothing otherwise. */
function progressReporter(enabled: boolean): { update: (p: ValidateProgress) => void; stop: () => void } | undefined {
  if (!enabled) return undefined;
  let bar: cliProgress.SingleBar | undefined;
  let phase: ValidateProgress['phase'] | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update: (p) => {
      if (p.phase !== phase) {
        stop();
        phase = p.phase;
        bar = new cliProgress.SingleBar(
          { format: `${PHASE_LABELS[p.phase]} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done);
      } else {
        // Latency rounds can grow once timing shows a fast model (more rounds by default).
        if (bar && bar.getTotal() !== p.total) bar.setTotal(p.total);
        bar?.update(p.done);
      }
    },
    stop,
  };
}

/** The result as a few lines for a terminal. */
export function formatResult(result: ValidationResult, written: readonly string[] = []): string {
  const lines: string[] = [];
  const { baseline, candidate } = result;
  lines.push(`${result.passed ? 'PASS' : 'FAIL'}  ${resultTitle(result, '->')}`);
  // Warnings (swapped files) go first; the other notes follow the figures.
  const isWarning = (note: string) => note.startsWith('Warning: ');
  for (const note of result.notes.filter(isWarning)) lines.push(`  WARNING    ${note.slice('Warning: '.length)}`);
  const ratio = baseline.fileBytes > 0 ? ` (${formatPercent(candidate.fileBytes / baseline.fileBytes)})` : '';
  lines.push(`  size       ${formatBytes(baseline.fileBytes)} -> ${formatBytes(candidate.fileBytes)}${ratio}`);
  lines.push(`  inputs     ${result.inputs.description}`);
  for (const output of result.outputs) {
    const m = output.metrics;
    const parts = [`cosine ${formatCosine(m.cosine)}`, `max abs ${formatNumber(m.maxAbs)}`, `rmse ${formatNumber(m.rmse)}`];
    // Top-1 of an output that is not class scores is for information: no default checks it.
    const info =
      output.role !== undefined && output.role !== 'class-scores' && !result.checks.some((c) => c.metric === 'top1' && c.output === output.name);
    if (m.top1 !== undefined) parts.push(`top-1 ${formatPercent(m.top1)}${info ? ' (info)' : ''}`);
    if (m.nonFiniteMismatch > 0) parts.push(`${m.nonFiniteMismatch} new NaN/Inf`);
    const role = output.role === 'recurrent-state' ? ' (recurrent state)' : '';
    lines.push(`  output     ${output.name} ${formatDims(output.dims)}${role}: ${parts.join(', ')}`);
  }
  if (result.accuracy) {
    const a = result.accuracy;
    lines.push(
      `  accuracy   ${formatFraction(a.baseline.accuracy)} -> ${formatFraction(a.candidate.accuracy)} ` +
        `(drop ${formatFraction(a.drop)}, ${a.candidate.count} labelled rows of ${a.output})`,
    );
  }
  if (result.latency) {
    const l = result.latency;
    lines.push(
      `  latency    p50 ${formatMs(l.baseline.p50)} -> ${formatMs(l.candidate.p50)}, p90 ${formatMs(l.baseline.p90)} -> ${formatMs(l.candidate.p90)}, ` +
        `p99 ${formatMs(l.baseline.p99)} -> ${formatMs(l.candidate.p99)}`,
    );
    lines.push(
      `  ratio      ${formatRatio(l.ratio.median)} candidate/baseline (${Math.round(l.bootstrap.confidence * 100)}% CI ` +
        `${formatNumber(l.ratio.ci[0])}-${formatNumber(l.ratio.ci[1])}), ${l.rounds} interleaved rounds` +
        `${l.roundsRule === 'fast-model' ? ' (more for a fast model)' : ''} after ${l.warmupRuns} warm-up`,
    );
    if (l.interval?.tooWide) lines.push(`  ratio      TOO WIDE TO CONCLUDE: ${l.interval.reason ?? 'the interval is too wide'}`);
  }
  const env = result.environment;
  const runtimes = runtimesText(result);
  if (runtimes !== undefined && /onnxruntime-web|baseline:/.test(runtimes)) lines.push(`  runtime    ${runtimes}`);
  else lines.push(`  runtime    onnxruntime ${env.onnxruntimeVersion}, ${env.executionProvider} provider, ${env.intraOpNumThreads} intra-op threads`);
  const failed = result.checks.filter((c) => c.status === 'fail');
  const passed = result.checks.filter((c) => c.status === 'pass').length;
  const skipped = result.checks.filter((c) => c.status === 'skipped');
  lines.push(`  checks     ${passed} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
  for (const c of failed) lines.push(`  FAILED     ${c.id}: ${c.message}`);
  for (const c of skipped) lines.push(`  skipped    ${c.id}: ${c.message}`);
  for (const note of result.notes.filter((n) => !isWarning(n))) lines.push(`  note       ${note}`);
  for (const file of written) lines.push(`  report     ${file}`);
  return `${lines.join('\n')}\n`;
}
