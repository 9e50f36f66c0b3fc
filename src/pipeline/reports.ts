/** The reports of a run: one summary per model (its variants) in `<report dir>/<model>/`, and one across all. */
import path from 'node:path';
import { withPipeline } from '../report/document.js';
import { writeReports } from '../report/index.js';
import { buildSummary, type SummaryInput } from '../validate/result.js';
import type { PipelineIdentity, ValidationSummary } from '../validate/types.js';
import type { EntryError, EntryOutcome, ReportSettings } from './types.js';

export interface WrittenReports {
  summary: ValidationSummary;
  /** Files of the summary across all models. */
  files: string[];
  /** Files of each model's own report, by model id. */
  models: Record<string, string[]>;
}

export function errorReason(error: EntryError): string {
  if (error.stage === 'convert') return `conversion failed: ${error.message}`;
  if (error.stage === 'validate') return `validation failed: ${error.message}`;
  return error.message;
}

function summaryInput(outcome: EntryOutcome): SummaryInput {
  const base = { model: outcome.model, variant: outcome.variant };
  if (outcome.error || !outcome.result) {
    const error = outcome.error ?? { stage: 'worker' as const, message: 'no result' };
    return { ...base, error: { message: errorReason(error), ...(error.code ? { code: error.code } : {}) } };
  }
  return { ...base, result: outcome.result };
}

export async function writePipelineReports(
  settings: ReportSettings,
  entries: readonly EntryOutcome[],
  pipeline?: PipelineIdentity,
): Promise<WrittenReports> {
  const models: Record<string, string[]> = {};
  for (const model of [...new Set(entries.map((e) => e.model))]) {
    const own = entries.filter((e) => e.model === model).map(summaryInput);
    const summary = withPipeline(buildSummary(own, { title: `${settings.title}: ${model}` }), pipeline);
    models[model] = await writeReports(path.join(settings.dir, model), summary, settings.formats);
  }
  const summary = withPipeline(buildSummary(entries.map(summaryInput), { title: settings.title }), pipeline);
  const files = await writeReports(settings.dir, summary, settings.formats);
  return { summary, files, models };
}
