/**
 * Running a planned pipeline: for each model (in parallel, up to `jobs`), reuse what the cache holds,
 * convert and validate the rest in a worker process, then write the per-model and summary reports.
 */
import os from 'node:os';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { usageError } from '../errors.js';
import { exitCodeFor } from '../validate/result.js';
import { checkTimeout } from '../validate/validate.js';
import type { ValidationSummary } from '../validate/types.js';
import { entryKey, fingerprintModel, readCached, sharedHashes, writeCached, type ModelFingerprint } from './cache.js';
import type { Plan, PlannedModel, PlannedVariant } from './plan.js';
import { runPool, runWorkerTask } from './pool.js';
import { writePipelineReports } from './reports.js';
import type { VariantTask, WorkerEntry } from './task.js';
import type { EntryOutcome } from './types.js';

export interface RunOptions {
  /** Models converted at once, each in its own process (default: the number of CPUs). */
  jobs?: number;
  /** Ignore the cache (it is still written). */
  force?: boolean;
  /** A validator module to use instead of the pipeline's `validate.runner` or onnxpress's own runner. */
  validator?: string;
  /**
   * The conversions variants use (default: the built-ins). Worker processes rebuild it from the built-ins and
   * `conversions.modules`, so a conversion must come from a module (ConversionRegistry.withModules).
   */
  conversions?: ConversionRegistry;
  onEvent?: (event: RunEvent) => void;
  /** The compiled worker script (default: dist/pipeline/worker.js). */
  workerEntry?: string;
  /** Seconds one variant may take to convert and validate, instead of the pipeline's `timeout`. */
  timeout?: number;
}

export type RunEvent =
  | { type: 'start'; models: number; entries: number; jobs: number }
  | { type: 'model-start'; model: string; variants: number }
  | { type: 'stage'; model: string; variant: string; stage: 'convert' | 'validate' }
  | { type: 'entry'; outcome: EntryOutcome }
  | { type: 'model-end'; model: string };

export interface PipelineRunResult {
  /** One per (model, variant): models sorted by id, variants in the pipeline's order. */
  entries: EntryOutcome[];
  summary: ValidationSummary;
  reports: { files: string[]; models: Record<string, string[]> };
  /** 0: every threshold held; 1: a threshold failed; 2: an entry could not be converted or validated. */
  exitCode: 0 | 1 | 2;
  seconds: number;
}

export function defaultJobs(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}

export async function runPipeline(plan: Plan, options: RunOptions = {}): Promise<PipelineRunResult> {
  const started = performance.now();
  const jobs = Math.max(1, Math.floor(options.jobs ?? defaultJobs()));
  const validator = options.validator ?? plan.config.validate.runner;
  const plugins = await checkConversions(plan, options.conversions);
  const timeout = checkTimeout(options.timeout ?? plan.config.timeout);
  const emit = options.onEvent ?? (() => {});
  const outcomes = new Map<string, EntryOutcome>();
  const keyOf = (model: string, variant: string) => `${model}\u0000${variant}`;
  const record = (outcome: EntryOutcome) => {
    outcomes.set(keyOf(outcome.model, outcome.variant), outcome);
    emit({ type: 'entry', outcome });
  };

  emit({ type: 'start', models: plan.models.length, entries: plan.models.reduce((n, m) => n + m.variants.length, 0), jobs });
  await runPool(plan.models, jobs, async (model) => {
    try {
      await runModel(plan, model, { force: options.force ?? false, validator, plugins, workerEntry: options.workerEntry, timeout, emit, record });
    } catch (e) {
      // Hashing or the cache failed for this model: its variants fail, the others go on.
      for (const v of model.variants) {
        if (!outcomes.has(keyOf(model.id, v.name))) record(errorOutcome(model, v, `cannot run this model: ${(e as Error).message}`));
      }
    }
  });

  const entries = plan.models.flatMap((m) => m.variants.map((v) => outcomes.get(keyOf(m.id, v.name))!));
  const written = await writePipelineReports(plan.config.report, entries, plan.identity);
  return {
    entries,
    summary: written.summary,
    reports: { files: written.files, models: written.models },
    exitCode: exitCodeFor(written.summary),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The plugin modules workers must load, after checking that every conversion the plan uses is one a worker can
 * have: a built-in or one from those modules.
 */
async function checkConversions(plan: Plan, registry: ConversionRegistry | undefined): Promise<string[]> {
  const modules = [...(registry?.modules ?? [])];
  const reachable = await builtInConversions().withModules(modules);
  for (const variant of plan.config.variants) {
    for (const step of variant.passes) {
      if (!reachable.has(step.to)) {
        const why = registry?.has(step.to)
          ? 'was registered in memory; worker processes need it from a module (ConversionRegistry.withModules)'
          : 'is unknown';
        throw usageError(`variant '${variant.name}': conversion '${step.to}' ${why}`);
      }
    }
  }
  return modules;
}

interface ModelContext {
  force: boolean;
  validator: string | undefined;
  plugins: readonly string[];
  workerEntry: string | undefined;
  timeout: number | undefined;
  emit: (event: RunEvent) => void;
  record: (outcome: EntryOutcome) => void;
}

async function runModel(plan: Plan, model: PlannedModel, context: ModelContext): Promise<void> {
  const fingerprint: ModelFingerprint = await fingerprintModel(model.file);
  const hash = sharedHashes();
  const pending: { variant: PlannedVariant; task: VariantTask; key: string }[] = [];
  for (const variant of model.variants) {
    const options = variant.validate;
    const key = await entryKey({
      fingerprint,
      variant,
      options,
      hash,
      plugins: context.plugins,
      ...(context.validator ? { validator: context.validator } : {}),
    });
    const hit = context.force ? undefined : readCached(plan.cacheDir, model.id, variant.name, key);
    if (hit) context.record({ ...hit, input: model.file, ...(hit.output !== undefined ? { output: variant.output } : {}) });
    else pending.push({ variant, key, task: { variant: variant.name, passes: variant.passes, output: variant.output, options } });
  }
  if (pending.length === 0) return;

  context.emit({ type: 'model-start', model: model.id, variants: pending.length });
  try {
    await runWorkerTask(
      {
        model: model.id,
        input: model.file,
        ...(context.validator ? { validator: context.validator } : {}),
        ...(context.plugins.length ? { plugins: [...context.plugins] } : {}),
        variants: pending.map((p) => p.task),
      },
      {
        stage: (variant, stage) => context.emit({ type: 'stage', model: model.id, variant, stage }),
        entry: (entry) => {
          const item = pending.find((p) => p.variant.name === entry.variant);
          if (!item) return;
          const outcome = outcomeOf(model, fingerprint, item.variant, entry);
          context.record(outcome);
          if (entry.cacheable) storeBestEffort(() => writeCached(plan.cacheDir, outcome, item.key, entry.outputFiles ?? []));
        },
      },
      {
        ...(context.workerEntry ? { workerEntry: context.workerEntry } : {}),
        ...(context.timeout !== undefined ? { timeout: context.timeout } : {}),
      },
    );
  } finally {
    context.emit({ type: 'model-end', model: model.id });
  }
}

/** The cache only saves time: a record that cannot be written (a full disk, a read-only folder) is skipped. */
function storeBestEffort(write: () => void): void {
  try {
    write();
  } catch {
    // The next run converts and validates this entry again.
  }
}

function outcomeOf(model: PlannedModel, fingerprint: ModelFingerprint, variant: PlannedVariant, entry: WorkerEntry): EntryOutcome {
  return {
    model: model.id,
    variant: variant.name,
    status: entry.status,
    input: model.file,
    inputBytes: fingerprint.bytes,
    ...(entry.outputBytes !== undefined ? { output: variant.output, outputBytes: entry.outputBytes } : {}),
    ...(entry.conversion ? { conversion: entry.conversion } : {}),
    ...(entry.result ? { result: entry.result } : {}),
    ...(entry.error ? { error: entry.error } : {}),
    cached: false,
    seconds: entry.seconds,
  };
}

function errorOutcome(model: PlannedModel, variant: PlannedVariant, message: string): EntryOutcome {
  return {
    model: model.id,
    variant: variant.name,
    status: 'error',
    input: model.file,
    inputBytes: 0,
    error: { stage: 'worker', message },
    cached: false,
    seconds: 0,
  };
}
