/** Converting models: run the requested conversions' passes through the pass manager; files: load, convert, save. */
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { builtInConversions } from './conversions/builtins.js';
import type { ConversionRegistry } from './conversions/registry.js';
import type { ConversionDef, ConversionSummary } from './conversions/types.js';
import { passError, usageError } from './errors.js';
import type { Model } from './ir/model.js';
import { loadModel } from './io/load.js';
import { saveModel, type SaveResult } from './io/save.js';
import { PassManager, type PassRecord } from './passes/manager.js';

/** One conversion and its options (camelCase, as a pipeline file or yargs gives them). */
export interface ConversionStep {
  to: string;
  options?: Record<string, unknown>;
}

/**
 * The summary of a conversion made of these passes: the single pass's own summary when it has one, else the
 * notes of all of them.
 */
export function summarizePasses(def: ConversionDef, records: readonly PassRecord[]): ConversionSummary {
  if (def.summarize) return def.summarize(records);
  const only = records.length === 1 ? (records[0]!.summary as ConversionSummary | undefined) : undefined;
  if (only && typeof only === 'object' && typeof only.kind === 'string') return only;
  const notes = records.flatMap((r) => (r.summary as ConversionSummary | undefined)?.notes ?? []);
  return { kind: def.name, modified: records.some((r) => r.modified), notes, passes: records };
}

/**
 * Applies conversions in order to the model, in place. Each conversion builds its passes when its turn comes
 * (from the model as it is then); a failing pass is named with the passes that ran before it.
 */
export async function applyConversions(
  model: Model,
  steps: readonly ConversionStep[],
  registry: ConversionRegistry = builtInConversions(),
): Promise<ConversionSummary[]> {
  const defs = steps.map((step) => registry.get(step.to));
  const summaries: ConversionSummary[] = [];
  const ran: string[] = [];
  for (const [i, step] of steps.entries()) {
    const def = defs[i]!;
    const passes = await def.passes(step.options ?? {}, { model });
    const result = await new PassManager(passes).run(model, { ranBefore: ran });
    if (result.model !== model) throw passError(`conversion '${def.name}' returned a new model; conversions work in place`);
    ran.push(...result.summary.map((r) => r.name));
    summaries.push(summarizePasses(def, result.summary));
  }
  return summaries;
}

/** Converts `model` in place with one conversion (several in a row: applyConversions). */
export async function convertModel(
  model: Model,
  to: string,
  options: Record<string, unknown> = {},
  registry: ConversionRegistry = builtInConversions(),
): Promise<ConversionSummary> {
  const [summary] = await applyConversions(model, [{ to, options }], registry);
  return summary!;
}

export interface ConvertFileResult {
  input: string;
  output: string;
  inputBytes: number;
  save: SaveResult;
  summary: ConversionSummary;
}

export interface ConvertFileOptions {
  /** More files the output must not overwrite (the input never is). */
  protect?: readonly string[];
  registry?: ConversionRegistry;
}

export async function convertFile(
  input: string,
  output: string,
  to: string,
  options: Record<string, unknown> = {},
  settings: ConvertFileOptions = {},
): Promise<ConvertFileResult> {
  const model = loadModel(input);
  const summary = await convertModel(model, to, options, settings.registry);
  const save = saveModel(model, output, { protect: [input, ...(settings.protect ?? [])] });
  return { input, output: save.path, inputBytes: statSync(input).size, save, summary };
}

/** Output paths for inputs: `-o` for exactly one input, or the same file names in `--out-dir`. */
export function outputPaths(inputs: readonly string[], out: string | undefined, outDir: string | undefined): string[] {
  if (out && outDir) throw usageError('give either -o/--out or --out-dir, not both');
  if (out) {
    if (inputs.length !== 1) throw usageError(`-o names one output but ${inputs.length} models were given; use --out-dir`);
    return [resolve(out)];
  }
  if (!outDir) throw usageError('say where to write: -o FILE (one model) or --out-dir DIR');
  const names = new Set<string>();
  return inputs.map((input) => {
    const name = basename(input);
    if (names.has(name)) throw usageError(`two inputs are named ${name}; they would write the same file in ${outDir}`);
    names.add(name);
    return join(resolve(outDir), name);
  });
}
