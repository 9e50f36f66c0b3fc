/** What `onnxpress validate` does; loaded only when that command runs (it brings in ONNX Runtime). */
import cliProgress from 'cli-progress';
import { usageError } from '../errors.js';
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
    const written = args.report !== undefined ? await writeReports(args.report, result, formats) : [];
    process.stdout.write(args.json ? renderJson(result) : formatResult(result, written));
    return exitCodeFor(result);
  }

function longRun(options: NormalizedValidateOptions): boolean {
  return process.stderr.isTTY === true && (options.latency || (options.samples ?? 1) >= MANY_SAMPLES);
}

function parseFormats(values: readonly string[] | undefined): ReportFormat[] | undefined {
  if (!values || values.length === 0) return undefined;
  const formats = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
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
  lines.push(`${result.passed ? 'PASS' : 'FAIL'}  ${baseline.name} -> ${candidate.name} (${result.kind})`);
  const ratio = baseline.fileBytes > 0 ? ` (${formatPercent(candidate.fileBytes / baseline.fileBytes)})` : '';
  lines.push(`  size       ${formatBytes(baseline.fileBytes)} -> ${formatBytes(candidate.fileBytes)}${ratio}`);
  lines.push(`  inputs     ${result.inputs.description}`);
  for (const output of result.outputs) {
    const m = output.metrics;
    const parts = [`cosine ${formatCosine(m.cosine)}`, `max abs ${formatNumber(m.maxAbs)}`, `rmse ${formatNumber(m.rmse)}`];
    if (m.top1 !== undefined) parts.push(`top-1 ${formatPercent(m.top1)}`);
    if (m.nonFiniteMismatch > 0) parts.push(`${m.nonFiniteMismatch} new NaN/Inf`);
    lines.push(`  output     ${output.name} ${formatDims(output.dims)}: ${parts.join(', ')}`);
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
        `${formatNumber(l.ratio.ci[0])}-${formatNumber(l.ratio.ci[1])}), ${l.rounds} interleaved rounds after ${l.warmupRuns} warm-up`,
    );
  }
  const env = result.environment;
  lines.push(`  runtime    onnxruntime ${env.onnxruntimeVersion}, ${env.executionProvider} provider, ${env.intraOpNumThreads} intra-op threads`);
  const failed = result.checks.filter((c) => c.status === 'fail');
  const passed = result.checks.filter((c) => c.status === 'pass').length;
  const skipped = result.checks.filter((c) => c.status === 'skipped');
  lines.push(`  checks     ${passed} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
  for (const c of failed) lines.push(`  FAILED     ${c.id}: ${c.message}`);
  for (const c of skipped) lines.push(`  skipped    ${c.id}: ${c.message}`);
  for (const note of result.notes) lines.push(`  note       ${note}`);
  for (const file of written) lines.push(`  report     ${file}`);
  return `${lines.join('\n')}\n`;
}
