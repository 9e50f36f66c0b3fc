/** One worker task: convert a model into each variant, validate each, and report every outcome as it is known. */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { applyConversions } from '../convert.js';
import type { ConversionSummary } from '../conversions/types.js';
import { isOnnxpressError, messageOf, usageError } from '../errors.js';
import { searchConversion } from '../search/search.js';
import { parseThresholds } from '../validate/thresholds.js';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import type { ConvertedVariant, VariantTask, WorkerMessage, WorkerTask } from './task.js';
import type { EntryStage } from './types.js';
import { loadValidator, type ValidateFn } from './validator.js';

export async function convertVariant(input: string, task: VariantTask, registry: ConversionRegistry): Promise<ConvertedVariant> {
  if (task.passes.some((p) => p.thresholds)) return searchVariant(input, task, registry);
  const model = loadModel(input);
  const conversion = await applyConversions(model, task.passes, registry);
  mkdirSync(path.dirname(task.output), { recursive: true });
  const saved = saveModel(model, task.output, { protect: [input] });
  // A data file left by an earlier run would otherwise look like part of this output.
  if (!saved.externalDataFile) rmSync(`${saved.path}.data`, { force: true });
  const outputFiles = [saved.path, ...(saved.externalDataFile ? [saved.externalDataFile] : [])];
  const outputBytes = outputFiles.reduce((sum, file) => sum + statSync(file).size, 0);
  return { conversion, outputBytes, outputFiles };
}

/** A step with `threshold:`: the accuracy-guided search, on the inputs and labels the variant is validated with. */
async function searchVariant(input: string, task: VariantTask, registry: ConversionRegistry): Promise<ConvertedVariant> {
  const [step, ...more] = task.passes;
  if (!step || more.length > 0) throw usageError(`variant '${task.variant}': threshold: applies to a single conversion, not to a chain`);
  if (task.options.inputs.length === 0) {
    throw usageError(`variant '${task.variant}': threshold: needs the model's inputs (test_data_set_N beside it, or inputs: in models)`);
  }
  mkdirSync(path.dirname(task.output), { recursive: true });
  const result = await searchConversion({
    input,
    output: task.output,
    to: step.to,
    options: step.options,
    thresholds: parseThresholds(step.thresholds ?? []),
    inputs: task.options.inputs,
    ...(task.options.labels !== undefined ? { labels: task.options.labels } : {}),
    registry,
  });
  const kept = result.kept.map((k) => `${k.node} (${k.rung})`).join(', ') || 'none';
  const summary: ConversionSummary = {
    kind: step.to,
    modified: true,
    notes: [
      `searched ${result.steps.length} conversions with ${result.validations} validations: ${result.passed ? 'meets' : 'does NOT meet'} ${result.checks.map((c) => c.message).join('; ')}`,
      `kept at higher precision: ${kept}`,
    ],
    search: { passed: result.passed, kept: result.kept, validations: result.validations, steps: result.steps.length },
  };
  return { conversion: [summary], outputBytes: result.outputBytes, outputFiles: [result.output, ...result.reproduce.map((r) => r.file)] };
}

/**
 * Whether the same model, settings and versions would fail the same way: true for what the model or the
 * runtime rejects, false for what the machine ran out of (system errors such as ENOMEM or EMFILE).
 */
function deterministic(e: unknown): boolean {
  return !(e !== null && typeof e === 'object' && 'syscall' in e);
}

function errorOf(stage: EntryStage, e: unknown): { stage: EntryStage; message: string; code?: string } {
  const code = (e as { code?: unknown } | undefined)?.code;
  const message = isOnnxpressError(e) ? e.message : `${e instanceof Error && e.name !== 'Error' ? `${e.name}: ` : ''}${messageOf(e)}`;
  return { stage, message, ...(typeof code === 'string' ? { code } : {}) };
}

export async function runTask(task: WorkerTask, send: (message: WorkerMessage) => void): Promise<void> {
  let validate: ValidateFn | undefined;
  let registry: ConversionRegistry | undefined;
  for (const variant of task.variants) {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    send({ type: 'stage', variant: variant.variant, stage: 'convert' });
    let converted: ConvertedVariant;
    try {
      registry ??= await builtInConversions().withModules(task.plugins ?? []);
      converted = await convertVariant(task.input, variant, registry);
    } catch (e) {
      const entry = { variant: variant.variant, status: 'error' as const, error: errorOf('convert', e), seconds: seconds() };
      send({ type: 'entry', entry: { ...entry, cacheable: deterministic(e) } });
      continue;
    }
    send({ type: 'stage', variant: variant.variant, stage: 'validate', converted });
    const done = { variant: variant.variant, ...converted };
    try {
      validate ??= await loadValidator(task.validator);
    } catch (e) {
      send({ type: 'entry', entry: { ...done, status: 'error', error: errorOf('validate', e), seconds: seconds(), cacheable: false } });
      continue;
    }
    try {
      const result = await validate(variant.options);
      send({ type: 'entry', entry: { ...done, status: result.passed ? 'pass' : 'fail', result, seconds: seconds(), cacheable: true } });
    } catch (e) {
      const error = errorOf('validate', e);
      send({ type: 'entry', entry: { ...done, status: 'error', error, seconds: seconds(), cacheable: deterministic(e) } });
    }
  }
}
