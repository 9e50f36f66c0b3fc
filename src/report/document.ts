/**
 * One view over both report documents: a single ValidationResult renders as a summary of one entry,
 * so every writer has one code path.
 */
import { roleOf } from '../validate/thresholds.js';
import type {
  PipelineIdentity,
  ReportDocument,
  RuntimeReport,
  SummaryEntry,
  ThresholdCheck,
  ValidationResult,
  ValidationSummary,
} from '../validate/types.js';

export function isSummary(doc: ReportDocument): doc is ValidationSummary {
  return doc.schema === 'onnxpress/summary';
}

export function entriesOf(doc: ReportDocument): SummaryEntry[] {
  if (isSummary(doc)) return doc.entries;
  return [{ model: modelName(doc) ?? doc.baseline.name, variant: variantName(doc), status: doc.passed ? 'pass' : 'fail', result: doc }];
}

/** File names that say nothing about the model: exporters and model hubs call every model this. */
const GENERIC_FILE = /^model\.onnx$/i;

/**
 * What a single result's model is called in titles: `validate --name`, else the baseline's folder when its file has
 * a generic name (`resnet50/model.onnx` is resnet50), else nothing (the file name says it).
 */
export function modelName(result: ValidationResult): string | undefined {
  if (result.name) return result.name;
  // Reports travel between systems: split on either separator.
  const parts = result.baseline.path.split(/[\\/]+/).filter(Boolean);
  return parts.length >= 2 && GENERIC_FILE.test(parts[parts.length - 1]!) ? parts[parts.length - 2] : undefined;
}

/** `resnet50: model.onnx → int8.onnx (int8)`; the `resnet50: ` part is there when modelName finds one. */
export function resultTitle(result: ValidationResult, arrow = '→'): string {
  const name = modelName(result);
  return `${name !== undefined && name !== result.baseline.name ? `${name}: ` : ''}${result.baseline.name} ${arrow} ${result.candidate.name} (${result.kind})`;
}

function variantName(result: ValidationResult): string {
  return result.candidate.name === result.baseline.name ? result.kind : `${result.kind}: ${result.candidate.name}`;
}

/** The summary with the pipeline's identity, placed after its title (report.json reads top-down). */
export function withPipeline(summary: ValidationSummary, pipeline: PipelineIdentity | undefined): ValidationSummary {
  if (!pipeline) return summary;
  const { schema, schemaVersion, tool, createdAt, title, ...rest } = summary;
  return { schema, schemaVersion, tool, createdAt, title, pipeline, ...rest };
}

export function documentTitle(doc: ReportDocument): string {
  if (isSummary(doc)) return doc.title;
  return resultTitle(doc);
}

/** The figures a one-line summary of a result shows. */
export interface KeyFigures {
  sizeRatio: number;
  /** Lowest cosine over the outputs, and which output. */
  worstCosine?: { output: string; value: number };
  worstTop1?: { output: string; value: number };
  accuracyDrop?: number;
  latencyRatio?: { median: number; ci: [number, number] };
  failed: ThresholdCheck[];
  passedCount: number;
  skippedCount: number;
}

export function keyFigures(result: ValidationResult): KeyFigures {
  let worstCosine: KeyFigures['worstCosine'];
  let worstTop1: KeyFigures['worstTop1'];
  for (const output of result.outputs) {
    const { cosine, top1 } = output.metrics;
    if (!worstCosine || cosine < worstCosine.value) worstCosine = { output: output.name, value: cosine };
    // Top-1 of a hidden state or a probability map is shown per output, not as the result's figure.
    if (top1 !== undefined && roleOf(output) === 'class-scores' && (!worstTop1 || top1 < worstTop1.value))
      worstTop1 = { output: output.name, value: top1 };
  }
  return {
    sizeRatio: result.baseline.fileBytes > 0 ? result.candidate.fileBytes / result.baseline.fileBytes : NaN,
    ...(worstCosine ? { worstCosine } : {}),
    ...(worstTop1 ? { worstTop1 } : {}),
    ...(result.accuracy ? { accuracyDrop: result.accuracy.drop } : {}),
    ...(result.latency ? { latencyRatio: result.latency.ratio } : {}),
    failed: result.checks.filter((c) => c.status === 'fail'),
    passedCount: result.checks.filter((c) => c.status === 'pass').length,
    skippedCount: result.checks.filter((c) => c.status === 'skipped').length,
  };
}

export function statusLabel(status: SummaryEntry['status']): string {
  return status === 'pass' ? 'pass' : status === 'fail' ? 'FAIL' : 'ERROR';
}

/**
 * One runtime in words: "onnxruntime-web 1.31.0 (webgpu) in Chromium 156.0 on google swiftshader (software adapter,
 * no shader-f16)".
 */
export function describeRuntime(runtime: RuntimeReport): string {
  const where = runtime.host.startsWith('Node') ? '' : ` in ${runtime.host}`;
  const adapter = runtime.adapter;
  const gpu = adapter
    ? ` on ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'an unnamed adapter'} ` +
      `(${adapter.software ? 'software adapter, ' : ''}${adapter.features.includes('shader-f16') ? 'shader-f16' : 'no shader-f16'})`
    : '';
  return `${runtime.name} ${runtime.version} (${runtime.provider})${where}${gpu}`;
}

/** Where the two models ran: one line when they ran alike, else "baseline: ...; candidate: ..."; undefined for older results. */
export function runtimesText(result: ValidationResult): string | undefined {
  const [b, c] = [result.baseline.runtime, result.candidate.runtime];
  if (!b || !c) return undefined;
  const [bt, ct] = [describeRuntime(b), describeRuntime(c)];
  return bt === ct ? ct : `baseline: ${bt}; candidate: ${ct}`;
}
