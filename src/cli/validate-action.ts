/** What `onnxpress validate` does; loaded only when that command runs (it brings in ONNX Runtime). */
import cliProgress from 'cli-progress';
import { OnnxpressError } from '../errors.js';
import { formatBytes, formatCosine, formatDims, formatFraction, formatMs, formatNumber, formatPercent, formatRatio } from '../report/format.js';
import { REPORT_FILES, renderJson, writeReports, type ReportFormat } from '../report/index.js';
import { exitCodeFor } from '../validate/result.js';
import { parseThreshold, ThresholdSyntaxError } from '../validate/thresholds.js';
import type { ConversionKind, Threshold, ValidationResult } from '../validate/types.js';
import { validate, type ValidateProgress } from '../validate/validate.js';
import type { ValidateArgs } from './validate.js';

/** Sample counts from which the run is long enough to deserve a progress bar. */
const MANY_SAMPLES = 8;

export async function runValidate(args: ValidateArgs): Promise<number> {
    const formats = parseFormats(args.format);
    if (formats && args.report === undefined) throw new OnnxpressError('E_USAGE', '--format needs --report DIR');
    const latency = args.latency ? { warmup: args.warmup, iterations: args.iterations } : false;
    const progress = progressReporter(args.json ? false : longRun(args));
    let result: ValidationResult;
    try {
      result = await validate({
        baseline: args.baseline,
        candidate: args.candidate,
        ...(args.inputs?.length ? { inputs: args.inputs } : {}),
        ...(args.labels !== undefined ? { labels: args.labels } : {}),
        ...(args.labelsOutput !== undefined ? { labelsOutput: args.labelsOutput } : {}),
        ...(args.dims?.length ? { dims: parseDims(args.dims) } : {}),
        ...(args.samples !== undefined ? { samples: args.samples } : {}),
        ...(args.seed !== undefined ? { seed: args.seed } : {}),
        ...(args.kind !== undefined ? { kind: args.kind as ConversionKind } : {}),
        thresholds: parseUserThresholds(args.threshold ?? []),
        latency,
        threads: args.threads,
        providers: [args.provider],
        ...(args.timeout !== undefined ? { timeout: args.timeout } : {}),
        ...(progress ? { onProgress: progress.update } : {}),
      });
    } finally {
      progress?.stop();
    }
    const written = args.report !== undefined ? await writeReports(args.report, result, formats) : [];
    process.stdout.write(args.json ? renderJson(result) : formatResult(result, written));
    return exitCodeFor(result);
  }

function longRun(args: ValidateArgs): boolean {
  return process.stderr.isTTY === true && (args.latency || (args.samples ?? 1) >= MANY_SAMPLES);
}

/** `NAME=VALUE` pairs into a record. */
export function parseDims(pairs: readonly string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const pair of pairs.flatMap((p) => p.split(','))) {
    const match = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(pair);
    if (!match) throw new OnnxpressError('E_USAGE', `--dims ${pair}: expected NAME=VALUE with a non-negative integer VALUE`);
    dims[match[1]!] = Number(match[2]);
  }
  return dims;
}

function parseUserThresholds(texts: readonly string[]): Threshold[] {
  try {
    return texts.flatMap((t) => t.split(/\s*,\s*(?=[a-z0-9-]+(?:@[^=]+)?=)/i)).map(parseThreshold);
  } catch (e) {
    if (e instanceof ThresholdSyntaxError) throw new OnnxpressError('E_USAGE', `--threshold: ${e.message}`);
    throw e;
  }
}

function parseFormats(values: readonly string[] | undefined): ReportFormat[] | undefined {
  if (!values || values.length === 0) return undefined;
  const formats = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  for (const f of formats) {
    if (!Object.hasOwn(REPORT_FILES, f)) {
      throw new OnnxpressError('E_USAGE', `--format ${f}: known formats are ${Object.keys(REPORT_FILES).join(', ')}`);
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
