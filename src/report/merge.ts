/**
 * Joining the summary reports of one pipeline's shards (`run --shard I/N` on several machines) into the summary an
 * unsharded run would have written: the same entries, in the same order (models by id, each model's variants in
 * the pipeline's order). Summaries of different pipelines, missing or repeated shards, and an entry in two reports
 * are refused.
 */
import { usageError } from '../errors.js';
import { buildSummary, type SummaryInput } from '../validate/result.js';
import type { PipelineIdentity, ReportDocument, SummaryEntry, ValidationSummary } from '../validate/types.js';
import { withPipeline } from './document.js';

/** A report to merge and the file it came from (named in every error). */
export interface MergeInput {
  file: string;
  doc: ReportDocument;
}

export interface MergeOptions {
  /** Title of the merged summary (default: the shards' title). */
  title?: string;
  createdAt?: Date | string;
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

function describe(p: PipelineIdentity): string {
  return `pipeline '${p.name}' (${short(p.hash)})`;
}

function shardText(p: PipelineIdentity): string {
  return p.shard ? `shard ${p.shard.index}/${p.shard.count}` : 'not a shard (a whole run)';
}

/** The pipeline summaries of `inputs`, checked to be shards of one pipeline that fit together. */
function checkedSummaries(inputs: readonly MergeInput[]): { file: string; doc: ValidationSummary; pipeline: PipelineIdentity }[] {
  if (inputs.length === 0) throw usageError('name the report.json files to merge');
  const summaries = inputs.map(({ file, doc }) => {
    if (doc.schema !== 'onnxpress/summary') {
      throw usageError('is a single validation result; report merge joins the summary report.json of pipeline runs (run --shard I/N)', { file });
    }
    if (!doc.pipeline) {
      throw usageError('names no pipeline (a summary written by an older onnxpress, or not by run); rerun the shard to merge it', { file });
    }
    return { file, doc, pipeline: doc.pipeline };
  });
  const first = summaries[0]!;
  for (const s of summaries.slice(1)) {
    const p = s.pipeline;
    if (p.name !== first.pipeline.name || p.hash !== first.pipeline.hash) {
      throw usageError(`is a report of ${describe(p)} but ${first.file} is of ${describe(first.pipeline)}; only shards of one pipeline file merge`, {
        file: s.file,
      });
    }
    if (JSON.stringify(p.only ?? []) !== JSON.stringify(first.pipeline.only ?? [])) {
      const only = (x: PipelineIdentity) => (x.only ? `--only ${x.only.join(',')}` : 'no --only');
      throw usageError(`was run with ${only(p)} but ${first.file} with ${only(first.pipeline)}`, { file: s.file });
    }
    if (p.shard?.count !== first.pipeline.shard?.count) {
      throw usageError(`is ${shardText(p)} but ${first.file} is ${shardText(first.pipeline)}`, { file: s.file });
    }
  }
  const count = first.pipeline.shard?.count;
  if (count !== undefined) {
    const byIndex = new Map<number, string>();
    for (const s of summaries) {
      const index = s.pipeline.shard!.index;
      const other = byIndex.get(index);
      if (other !== undefined) throw usageError(`is shard ${index}/${count}, as is ${other}`, { file: s.file });
      byIndex.set(index, s.file);
    }
    const missing = Array.from({ length: count }, (_v, i) => i + 1).filter((i) => !byIndex.has(i));
    if (missing.length > 0) {
      throw usageError(
        `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} of ${describe(first.pipeline)} missing`,
        {
          hint: `give the report.json of all ${count} shards`,
        },
      );
    }
  }
  return summaries;
}

function inputOf(entry: SummaryEntry): SummaryInput {
  const base = { model: entry.model, variant: entry.variant };
  return entry.result ? { ...base, result: entry.result } : { ...base, error: entry.error ?? { message: 'no result' } };
}

/**
 * One summary of the shards' entries. Throws E_USAGE (naming the file) when the reports are not all the shards of
 * one pipeline: another pipeline (name or content hash), another `--only`, a shard count that differs, a shard
 * given twice or missing, or one entry in two reports.
 */
export function mergeSummaries(inputs: readonly MergeInput[], options: MergeOptions = {}): ValidationSummary {
  const summaries = checkedSummaries(inputs);
  const seen = new Map<string, string>();
  const entries: SummaryEntry[] = [];
  for (const { file, doc } of summaries) {
    for (const entry of doc.entries) {
      const key = JSON.stringify([entry.model, entry.variant]);
      const other = seen.get(key);
      if (other !== undefined) throw usageError(`has ${entry.model}/${entry.variant}, as does ${other}`, { file });
      seen.set(key, file);
      entries.push(entry);
    }
  }
  // Models by id as a run plans them (plain string order); a model's variants keep their order (sort is stable).
  entries.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  const { shard: _shard, ...pipeline } = summaries[0]!.pipeline;
  const summary = buildSummary(entries.map(inputOf), {
    title: options.title ?? summaries[0]!.doc.title,
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
  });
  return withPipeline(summary, pipeline);
}
