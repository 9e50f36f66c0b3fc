/**
 * `onnxpress report compare OLD.json NEW.json`: what got worse between two runs of the same validation
 * (or pipeline summary). Entries are matched by model and variant, outputs by name.
 * The comparison uses machine-independent figures (drift metrics, the candidate/baseline latency ratio,
 * sizes), so two runs on different machines can still be compared. Reports of two different models (their
 * baselines' graph hashes differ) are refused unless `force` is set.
 */
import type { OutputMetrics, ReportDocument, SummaryEntry, ValidationResult } from '../validate/types.js';
import { entriesOf, isSummary } from './document.js';
import { escapeMarkdown as md } from './escape.js';
import { formatBytes, formatFraction, formatNumber, formatPercent, formatRatio } from './format.js';

export interface CompareOptions {
  /** The new latency ratio (candidate/baseline, median per round) may exceed the old by this fraction. Default 0.10. */
  maxLatencyRegression?: number;
  /** RMSE, max abs, mean abs error and cosine distance (1 - cosine) may grow by this fraction. Default 0.5. */
  maxErrorIncrease?: number;
  /** top-1, top-5 agreement and the candidate's accuracy may fall by this much (absolute). Default 0.01. */
  maxAgreementDrop?: number;
  /** The candidate's size on disk may grow by this fraction. Default 0.01. */
  maxSizeIncrease?: number;
  /** Compare even when the two reports are of different models (their baselines' graph hashes differ). Default false. */
  force?: boolean;
}

export const DEFAULT_COMPARE_OPTIONS: Required<CompareOptions> = {
  maxLatencyRegression: 0.1,
  maxErrorIncrease: 0.5,
  maxAgreementDrop: 0.01,
  maxSizeIncrease: 0.01,
  force: false,
};

/** A matched pair of entries whose baselines have different graphs. */
export interface ModelMismatch {
  /** "model / variant". */
  entry: string;
  oldHash: string;
  newHash: string;
}

/** Thrown by compareReports when the two reports are of different models and `force` is not set. */
export class DifferentModelsError extends Error {
  readonly code = 'DIFFERENT_MODELS';
  constructor(readonly mismatches: readonly ModelMismatch[]) {
    super(`the reports are of different models: ${describeMismatches(mismatches)}`);
    this.name = 'DifferentModelsError';
  }
}

function describeMismatches(mismatches: readonly ModelMismatch[]): string {
  const shown = mismatches
    .slice(0, 3)
    .map((m) => `the baseline graph of ${m.entry} differs (hash ${m.oldHash.slice(0, 12)} before, ${m.newHash.slice(0, 12)} now)`);
  const more = mismatches.length > shown.length ? `, and ${mismatches.length - shown.length} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** Error growth below this is rounding noise, whatever the ratio (an error of 0 growing to 1e-12). */
const ERROR_NOISE_FLOOR = 1e-9;

export type FindingKind = 'check' | 'drift' | 'accuracy' | 'latency' | 'size' | 'error' | 'missing' | 'added';

export interface Finding {
  /** 'regression' fails the comparison; 'improvement' and 'info' are reported only. */
  severity: 'regression' | 'improvement' | 'info';
  kind: FindingKind;
  /** "model / variant". */
  entry: string;
  /** What changed, e.g. "rmse of logits". */
  subject: string;
  old?: number;
  new?: number;
  message: string;
}

export interface ReportComparison {
  options: Required<CompareOptions>;
  old: { title: string; createdAt: string };
  new: { title: string; createdAt: string };
  /** Entries present in both documents. */
  compared: number;
  regressions: Finding[];
  findings: Finding[];
  /** True when there is no regression. */
  passed: boolean;
  /** What the reader must know about the comparison itself: models compared with `force`, reports without graph hashes. */
  notes: string[];
}

export function compareReports(oldDoc: ReportDocument, newDoc: ReportDocument, options: CompareOptions = {}): ReportComparison {
  const settings = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  const findings: Finding[] = [];
  const oldEntries = entriesOf(oldDoc);
  const newEntries = entriesOf(newDoc);
  const bothSingle = !isSummary(oldDoc) && !isSummary(newDoc);
  const oldByKey = new Map(oldEntries.map((e) => [entryKey(e), e]));
  const matchedOld = new Set<SummaryEntry>();
  const mismatches: ModelMismatch[] = [];
  const unhashed: string[] = [];
  let compared = 0;
  for (const fresh of newEntries) {
    const previous = bothSingle ? oldEntries[0] : oldByKey.get(entryKey(fresh));
    const label = `${fresh.model} / ${fresh.variant}`;
    if (!previous) {
      findings.push({ severity: 'info', kind: 'added', entry: label, subject: 'entry', message: `${label} is new` });
      continue;
    }
    matchedOld.add(previous);
    compared++;
    const oldHash = previous.result?.baseline.graphHash;
    const newHash = fresh.result?.baseline.graphHash;
    if (oldHash !== undefined && newHash !== undefined && oldHash !== newHash) mismatches.push({ entry: label, oldHash, newHash });
    else if (previous.result && fresh.result && (oldHash === undefined || newHash === undefined)) unhashed.push(label);
    findings.push(...compareEntries(label, previous, fresh, settings));
  }
  if (mismatches.length > 0 && !settings.force) throw new DifferentModelsError(mismatches);
  const notes: string[] = [];
  if (mismatches.length > 0) notes.push(`Compared with --force although the reports are of different models: ${describeMismatches(mismatches)}.`);
  if (unhashed.length > 0) {
    notes.push(
      `${unhashed.length === compared ? 'The reports' : `${unhashed.length} of the ${compared} compared entries`} lack the baseline's graph hash ` +
        `(written by an older onnxpress), so whether they are of the same model was not checked.`,
    );
  }
  for (const previous of oldEntries) {
    if (matchedOld.has(previous)) continue;
    const label = `${previous.model} / ${previous.variant}`;
    findings.push({ severity: 'info', kind: 'missing', entry: label, subject: 'entry', message: `${label} is no longer in the report` });
  }
  const regressions = findings.filter((f) => f.severity === 'regression');
  return {
    options: settings,
    old: describe(oldDoc),
    new: describe(newDoc),
    compared,
    regressions,
    findings,
    passed: regressions.length === 0,
    notes,
  };
}

function describe(doc: ReportDocument): { title: string; createdAt: string } {
  return { title: isSummary(doc) ? doc.title : `${doc.baseline.name} → ${doc.candidate.name}`, createdAt: doc.createdAt };
}

function entryKey(entry: SummaryEntry): string {
  return `${entry.model}\u0000${entry.variant}`;
}

function compareEntries(label: string, previous: SummaryEntry, fresh: SummaryEntry, o: Required<CompareOptions>): Finding[] {
  if (!fresh.result) {
    const message = fresh.error?.message ?? 'no result';
    return previous.result
      ? [{ severity: 'regression', kind: 'error', entry: label, subject: 'run', message: `${label} now fails to run: ${message}` }]
      : [{ severity: 'info', kind: 'error', entry: label, subject: 'run', message: `${label} still fails to run: ${message}` }];
  }
  if (!previous.result) {
    return [{ severity: 'info', kind: 'error', entry: label, subject: 'run', message: `${label} runs again (it failed to run before)` }];
  }
  return [
    ...compareChecks(label, previous.result, fresh.result),
    ...compareOutputs(label, previous.result, fresh.result, o),
    ...compareAccuracy(label, previous.result, fresh.result, o),
    ...compareLatency(label, previous.result, fresh.result, o),
    ...compareSize(label, previous.result, fresh.result, o),
  ];
}

function compareChecks(label: string, previous: ValidationResult, fresh: ValidationResult): Finding[] {
  const before = new Map(previous.checks.map((c) => [c.id, c]));
  const findings: Finding[] = [];
  for (const check of fresh.checks) {
    if (check.status !== 'fail') continue;
    const old = before.get(check.id);
    const wasFailing = old?.status === 'fail';
    findings.push({
      severity: wasFailing ? 'info' : 'regression',
      kind: 'check',
      entry: label,
      subject: check.id,
      ...(old?.actual != null ? { old: old.actual } : {}),
      ...(check.actual !== null ? { new: check.actual } : {}),
      message: `${label}: threshold ${wasFailing ? 'still fails' : 'now fails'}: ${check.message}`,
    });
  }
  return findings;
}

const ERROR_METRICS: { key: 'rmse' | 'maxAbs' | 'meanAbs'; name: string }[] = [
  { key: 'rmse', name: 'RMSE' },
  { key: 'maxAbs', name: 'max abs error' },
  { key: 'meanAbs', name: 'mean abs error' },
];

function compareOutputs(label: string, previous: ValidationResult, fresh: ValidationResult, o: Required<CompareOptions>): Finding[] {
  const findings: Finding[] = [];
  const before = new Map(previous.outputs.map((out) => [out.name, out.metrics]));
  for (const output of fresh.outputs) {
    const old = before.get(output.name);
    if (!old) continue;
    const now = output.metrics;
    const errors: { name: string; old: number; new: number; show: (v: number) => string }[] = [
      ...ERROR_METRICS.map((m) => ({ name: m.name, old: old[m.key], new: now[m.key], show: formatNumber })),
      { name: 'cosine distance (1 - cosine)', old: 1 - old.cosine, new: 1 - now.cosine, show: formatNumber },
    ];
    for (const e of errors) {
      const change = errorChange(e.old, e.new, o.maxErrorIncrease);
      if (change === 'same') continue;
      findings.push({
        severity: change === 'worse' ? 'regression' : 'improvement',
        kind: 'drift',
        entry: label,
        subject: `${e.name} of ${output.name}`,
        old: e.old,
        new: e.new,
        message: `${label}: ${e.name} of ${output.name} ${change === 'worse' ? 'grew' : 'fell'} from ${e.show(e.old)} to ${e.show(e.new)}`,
      });
    }
    findings.push(...agreementFindings(label, output.name, old, now, o.maxAgreementDrop));
    if (now.nonFiniteMismatch > old.nonFiniteMismatch) {
      findings.push({
        severity: 'regression',
        kind: 'drift',
        entry: label,
        subject: `NaN/Inf of ${output.name}`,
        old: old.nonFiniteMismatch,
        new: now.nonFiniteMismatch,
        message: `${label}: ${output.name} has ${now.nonFiniteMismatch} new NaN/Inf values (was ${old.nonFiniteMismatch})`,
      });
    }
  }
  return findings;
}

function errorChange(old: number, now: number, maxIncrease: number): 'worse' | 'better' | 'same' {
  if (now > old * (1 + maxIncrease) && now - old > ERROR_NOISE_FLOOR) return 'worse';
  if (old > now * (1 + maxIncrease) && old - now > ERROR_NOISE_FLOOR) return 'better';
  return 'same';
}

function agreementFindings(label: string, output: string, old: OutputMetrics, now: OutputMetrics, maxDrop: number): Finding[] {
  const findings: Finding[] = [];
  for (const key of ['top1', 'top5'] as const) {
    const before = old[key];
    const after = now[key];
    if (before === undefined || after === undefined || Math.abs(after - before) <= maxDrop) continue;
    const worse = after < before;
    findings.push({
      severity: worse ? 'regression' : 'improvement',
      kind: 'drift',
      entry: label,
      subject: `${key} of ${output}`,
      old: before,
      new: after,
      message: `${label}: ${key === 'top1' ? 'top-1' : 'top-5'} agreement of ${output} ${worse ? 'fell' : 'rose'} from ${formatPercent(before)} to ${formatPercent(after)}`,
    });
  }
  return findings;
}

function compareAccuracy(label: string, previous: ValidationResult, fresh: ValidationResult, o: Required<CompareOptions>): Finding[] {
  const before = previous.accuracy?.candidate.accuracy;
  const after = fresh.accuracy?.candidate.accuracy;
  if (before === undefined || after === undefined || Math.abs(after - before) <= o.maxAgreementDrop) return [];
  const worse = after < before;
  return [
    {
      severity: worse ? 'regression' : 'improvement',
      kind: 'accuracy',
      entry: label,
      subject: 'candidate accuracy',
      old: before,
      new: after,
      message: `${label}: candidate accuracy ${worse ? 'fell' : 'rose'} from ${formatFraction(before)} to ${formatFraction(after)}`,
    },
  ];
}

function compareLatency(label: string, previous: ValidationResult, fresh: ValidationResult, o: Required<CompareOptions>): Finding[] {
  const before = previous.latency?.ratio;
  const after = fresh.latency?.ratio;
  if (!before || !after) return [];
  const growth = after.median / before.median - 1;
  if (Math.abs(growth) <= o.maxLatencyRegression) return [];
  const worse = growth > 0;
  return [
    {
      severity: worse ? 'regression' : 'improvement',
      kind: 'latency',
      entry: label,
      subject: 'latency ratio',
      old: before.median,
      new: after.median,
      message:
        `${label}: latency ratio (candidate/baseline) went from ${formatRatio(before.median)} to ${formatRatio(after.median)} ` +
        `(${worse ? '+' : ''}${formatNumber(growth * 100)}%, limit ${formatNumber(o.maxLatencyRegression * 100)}%; ` +
        `95% CI now ${formatNumber(after.ci[0])}–${formatNumber(after.ci[1])}` +
        `${fresh.latency?.interval?.tooWide || previous.latency?.interval?.tooWide ? ', too wide to conclude' : ''})`,
    },
  ];
}

function compareSize(label: string, previous: ValidationResult, fresh: ValidationResult, o: Required<CompareOptions>): Finding[] {
  const before = previous.candidate.fileBytes;
  const after = fresh.candidate.fileBytes;
  if (before <= 0 || after === before) return [];
  const growth = after / before - 1;
  const severity = growth > o.maxSizeIncrease ? 'regression' : growth < 0 ? 'improvement' : 'info';
  return [
    {
      severity,
      kind: 'size',
      entry: label,
      subject: 'candidate size',
      old: before,
      new: after,
      message: `${label}: candidate size went from ${formatBytes(before)} to ${formatBytes(after)} (${growth > 0 ? '+' : ''}${formatNumber(growth * 100)}%)`,
    },
  ];
}

/**
 * Parses a limit written as a fraction or a percentage: "10%" and "0.1" are both 0.1.
 * For `--max-latency-regression`.
 */
export function parseFraction(text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const body = percent ? trimmed.slice(0, -1).trim() : trimmed;
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(body)) throw new RangeError(`"${text}" is not a fraction or a percentage`);
  const value = Number(body);
  return percent ? value / 100 : value;
}

/** The comparison as Markdown, for a terminal, $GITHUB_STEP_SUMMARY or a PR comment. */
export function renderComparisonMarkdown(comparison: ReportComparison): string {
  const icon = comparison.passed ? '✅' : '❌';
  const lines = [
    `### ${icon} onnxpress report compare: ${comparison.regressions.length} regression${comparison.regressions.length === 1 ? '' : 's'}`,
    '',
    `Old: ${md(comparison.old.title)} (${md(comparison.old.createdAt)}) · New: ${md(comparison.new.title)} (${md(comparison.new.createdAt)}) · ${comparison.compared} compared`,
    '',
    `Limits: latency ratio +${formatNumber(comparison.options.maxLatencyRegression * 100)}%, error +${formatNumber(comparison.options.maxErrorIncrease * 100)}%, ` +
      `agreement/accuracy −${formatNumber(comparison.options.maxAgreementDrop)}, size +${formatNumber(comparison.options.maxSizeIncrease * 100)}%`,
  ];
  for (const note of comparison.notes) lines.push('', `> ${md(note)}`);
  const section = (title: string, severity: Finding['severity']) => {
    const items = comparison.findings.filter((f) => f.severity === severity);
    if (items.length > 0) lines.push('', `**${title}**`, '', ...items.map((f) => `- ${md(f.message)}`));
  };
  section('Regressions', 'regression');
  section('Improvements', 'improvement');
  section('Other changes', 'info');
  if (comparison.findings.length === 0) lines.push('', 'No differences beyond the limits.');
  return `${lines.join('\n')}\n`;
}
