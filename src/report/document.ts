/**
 * One view over both report documents: a single ValidationResult renders as a summary of one entry,
 * so every writer has one code path.
 */
import type {
  ReportDocument,
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
  return [{ model: doc.baseline.name, variant: variantName(doc), status: doc.passed ? 'pass' : 'fail', result: doc }];
}

function variantName(result: ValidationResult): string {
  return result.candidate.name === result.baseline.name ? result.kind : `${result.kind}: ${result.candidate.name}`;
}

export function documentTitle(doc: ReportDocument): string {
  if (isSummary(doc)) return doc.title;
  return `${doc.baseline.name} → ${doc.candidate.name} (${doc.kind})`;
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
    if (top1 !== undefined && (!worstTop1 || top1 < worstTop1.value)) worstTop1 = { output: output.name, value: top1 };
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
