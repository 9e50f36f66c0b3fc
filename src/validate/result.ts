/**
 * Assembles the typed results the report writers render: one `ValidationResult` from what the runner
 * measured, or a `ValidationSummary` of many.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { formatNumber } from '../report/format.js';
import { blockedMedianInterval, DEFAULT_BOOTSTRAP, judgeInterval, pairwiseRatios, summarizeLatency, type BootstrapOptions } from './stats.js';
import { detectSwap, swapNote } from './swap.js';
import { evaluateThresholds, resolveThresholds } from './thresholds.js';
import {
  REPORT_SCHEMA_VERSION,
  type LatencyComparison,
  type OpCountChange,
  type OutputComparison,
  type ReportDocument,
  type RunEnvironment,
  type RuntimeReport,
  type SummaryEntry,
  type Threshold,
  type ThresholdCheck,
  type ToolInfo,
  type ValidationResult,
  type ValidationRun,
  type ValidationSummary,
} from './types.js';

export interface BuildOptions {
  /** The thresholds in force; default: the defaults for run.kind (see resolveThresholds). */
  thresholds?: readonly Threshold[];
  bootstrap?: BootstrapOptions;
  /** Default: now. */
  createdAt?: Date | string;
  /** Default: the version in package.json. */
  toolVersion?: string;
}

export const FP16_ON_CPU_NOTE =
  "ONNX Runtime's CPU execution provider computes many float16 operators in float32 after inserting Cast nodes, " +
  'so a CPU check of an FP16 model measures the effect of rounding weights (and the values at those Casts) to ' +
  'float16, not float16 arithmetic. Another execution provider may give different drift and speed.';

export const CONV_INTEGER_NOTE =
  "The candidate uses ConvInteger, which ONNX Runtime's CPU provider runs slowly: an INT8 model with quantized " +
  'Conv layers can be slower than float32.';

/** Latency on SwiftShader or another software adapter says nothing about a GPU's speed. */
export function softwareAdapterNote(adapters: readonly NonNullable<RuntimeReport['adapter']>[]): string {
  const names = [...new Set(adapters.map((a) => [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed'))].join(', ');
  return (
    `Latency measured on a software WebGPU adapter (${names}): it shows that the model computes correctly in the browser, ` +
    'not how fast it runs on a GPU.'
  );
}

export function buildValidationResult(run: ValidationRun, options: BuildOptions = {}): ValidationResult {
  const thresholds = [...(options.thresholds ?? resolveThresholds(run.kind))];
  const accuracy = run.accuracy && { ...run.accuracy, drop: run.accuracy.baseline.accuracy - run.accuracy.candidate.accuracy };
  const latency = run.latency && compareLatency(run.latency, options.bootstrap);
  const checks = [
    ...evaluateThresholds(thresholds, {
      outputs: run.outputs,
      ...(accuracy ? { accuracy } : {}),
      ...(latency ? { latency } : {}),
    }),
    ...degenerateChecks(run.outputs, thresholds),
  ];
  const suspectedSwap = detectSwap(run.baseline, run.candidate);
  return {
    schema: 'onnxpress/validation',
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: toolInfo(options.toolVersion),
    createdAt: isoTime(options.createdAt),
    kind: run.kind,
    passed: checks.every((c) => c.status !== 'fail'),
    environment: run.environment,
    inputs: run.inputs,
    baseline: run.baseline,
    candidate: run.candidate,
    opDiff: opHistogramDiff(run.baseline.ops, run.candidate.ops),
    outputs: run.outputs,
    ...(accuracy ? { accuracy } : {}),
    ...(latency ? { latency } : {}),
    ...(suspectedSwap ? { suspectedSwap } : {}),
    thresholds,
    checks,
    notes: [...(suspectedSwap ? [swapNote(suspectedSwap)] : []), ...notesFor(run), ...(latency ? latencyNotes(latency) : [])],
  };
}

/**
 * Per-round ratios, their medians and intervals, and each model's latency summary. Each interval is the hull of a
 * bootstrap over single rounds and a batch-means interval over blocks of rounds (blockedMedianInterval); `interval`
 * says how the ratio's was made and whether it is narrow enough to conclude (judgeInterval).
 */
export function compareLatency(raw: NonNullable<ValidationRun['latency']>, bootstrap: BootstrapOptions = {}): LatencyComparison {
  const { baselineMs, candidateMs } = raw;
  if (baselineMs.length === 0) throw new RangeError('latency needs at least one round');
  const settings = { ...DEFAULT_BOOTSTRAP, ...bootstrap };
  const { blocks, roundBootstrap, batchMeans, median, ci } = blockedMedianInterval(pairwiseRatios(candidateMs, baselineMs), settings);
  const ratio = { median, ci };
  const inverse = blockedMedianInterval(pairwiseRatios(baselineMs, candidateMs), settings);
  const speedup = { median: inverse.median, ci: inverse.ci };
  return {
    warmupRuns: raw.warmupRuns,
    rounds: baselineMs.length,
    interleaved: true,
    baseline: summarizeLatency(baselineMs),
    candidate: summarizeLatency(candidateMs),
    ratio,
    speedup,
    bootstrap: settings,
    ...(raw.roundsRule ? { roundsRule: raw.roundsRule } : {}),
    interval: { blocks, roundBootstrap, ...(batchMeans ? { batchMeans } : {}), ...judgeInterval(ratio, blocks) },
  };
}

/** The note a result carries when its latency interval is too wide to conclude. */
export function latencyNotes(latency: LatencyComparison): string[] {
  const interval = latency.interval;
  if (!interval?.tooWide) return [];
  const { median, ci } = latency.ratio;
  return [
    `The latency ratio ${formatNumber(median)} (${Math.round(latency.bootstrap.confidence * 100)}% CI ${formatNumber(ci[0])}–${formatNumber(ci[1])}) ` +
      `is too wide to conclude how the two models' speeds compare: ${interval.reason}. Run more rounds (--iterations) on a quieter machine.`,
  ];
}

const DEGENERACY_WORDS: Record<NonNullable<OutputComparison['metrics']['degenerate']>, string> = {
  'all-zero': 'all zeros',
  constant: 'one constant value',
  'non-finite': 'NaN/Inf only',
};

/**
 * A failing check for each output the candidate returned empty-handed (all zeros, constant, non-finite) while the
 * baseline did not: a silent runtime failure, whatever the other metrics say. Always on; a user's own `degenerate`
 * threshold replaces it.
 */
export function degenerateChecks(outputs: readonly OutputComparison[], thresholds: readonly Threshold[]): ThresholdCheck[] {
  if (thresholds.some((t) => t.metric === 'degenerate')) return [];
  return outputs
    .filter((o) => o.metrics.degenerate !== undefined)
    .map((o) => ({
      id: `degenerate@${o.name}`,
      metric: 'degenerate' as const,
      output: o.name,
      direction: 'max' as const,
      limit: 0,
      actual: 1,
      status: 'fail' as const,
      source: 'default' as const,
      message:
        `the candidate's output ${o.name} is ${DEGENERACY_WORDS[o.metrics.degenerate!]} where the baseline's is not: ` +
        'the runtime computed nothing useful (a kernel that failed silently, such as float16 on a WebGPU adapter without shader-f16)',
    }));
}

/** Ops whose counts differ, sorted by name. */
export function opHistogramDiff(baseline: Record<string, number>, candidate: Record<string, number>): OpCountChange[] {
  const ops = new Set([...Object.keys(baseline), ...Object.keys(candidate)]);
  return [...ops]
    .sort()
    .map((op) => {
      const b = baseline[op] ?? 0;
      const c = candidate[op] ?? 0;
      return { op, baseline: b, candidate: c, delta: c - b };
    })
    .filter((change) => change.delta !== 0);
}

function notesFor(run: ValidationRun): string[] {
  const notes: string[] = [];
  const onCpu = run.environment.executionProvider.toLowerCase().replace(/executionprovider$/, '') === 'cpu';
  const hasFloat16 = run.kind === 'fp16' || run.candidate.parameters.some((p) => p.dtype === 'float16');
  if (onCpu && hasFloat16) notes.push(FP16_ON_CPU_NOTE);
  if (onCpu && (run.candidate.ops['ConvInteger'] ?? 0) > 0) notes.push(CONV_INTEGER_NOTE);
  const software = [run.baseline, run.candidate].filter((m) => m.runtime?.adapter?.software);
  if (run.latency && software.length > 0) notes.push(softwareAdapterNote(software.map((m) => m.runtime!.adapter!)));
  for (const [side, model] of [['baseline', run.baseline] as const, ['candidate', run.candidate] as const]) {
    for (const error of model.runtime?.consoleErrors ?? []) notes.push(`The ${side}'s browser page reported: ${error}`);
  }
  return notes;
}

export interface SummaryInput {
  model: string;
  variant: string;
  result?: ValidationResult;
  error?: { message: string; code?: string } | Error | string;
}

export function buildSummary(
  inputs: readonly SummaryInput[],
  options: { title?: string; createdAt?: Date | string; toolVersion?: string } = {},
): ValidationSummary {
  const entries: SummaryEntry[] = inputs.map((input) => {
    if (input.error !== undefined || !input.result) {
      return { model: input.model, variant: input.variant, status: 'error', error: errorInfo(input.error) };
    }
    return { model: input.model, variant: input.variant, status: input.result.passed ? 'pass' : 'fail', result: input.result };
  });
  return {
    schema: 'onnxpress/summary',
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: toolInfo(options.toolVersion),
    createdAt: isoTime(options.createdAt),
    title: options.title ?? 'onnxpress summary',
    passed: entries.every((e) => e.status === 'pass'),
    entries,
  };
}

function errorInfo(error: SummaryInput['error']): { message: string; code?: string } {
  if (error === undefined) return { message: 'no result' };
  if (typeof error === 'string') return { message: error };
  const code = (error as { code?: unknown }).code;
  return { message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** The CLI's exit code for a document: 0 all thresholds hold, 1 a threshold failed, 2 a run errored. */
export function exitCodeFor(doc: ReportDocument): 0 | 1 | 2 {
  if (doc.schema === 'onnxpress/validation') return doc.passed ? 0 : 1;
  if (doc.entries.some((e) => e.status === 'error')) return 2;
  return doc.passed ? 0 : 1;
}

/** The host half of RunEnvironment; the runner adds the provider, versions and thread counts. */
export function describeHost(): Pick<RunEnvironment, 'nodeVersion' | 'platform' | 'arch' | 'cpuModel' | 'cpuCount'> {
  const cpus = os.cpus();
  return {
    nodeVersion: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: os.availableParallelism?.() ?? cpus.length,
  };
}

let packageVersion: string | undefined;

function toolInfo(version?: string): ToolInfo {
  return { name: 'onnxpress', version: version ?? readPackageVersion() };
}

function readPackageVersion(): string {
  if (packageVersion === undefined) {
    try {
      // src/validate/ and dist/validate/ both sit two levels below the package root.
      const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
      packageVersion = String((JSON.parse(text) as { version?: string }).version ?? 'unknown');
    } catch {
      packageVersion = 'unknown';
    }
  }
  return packageVersion;
}

function isoTime(time: Date | string | undefined): string {
  if (time === undefined) return new Date().toISOString();
  return typeof time === 'string' ? time : time.toISOString();
}
