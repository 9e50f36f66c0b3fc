/**
 * `makeVariants`: a preset's file set (transformers.js: model_fp16.onnx, model_quantized.onnx, ...) for one model or
 * a folder of them, each variant validated against its original, with one summary report. The CLI's `variants`
 * command calls it.
 */
import { existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import type { ConversionSummary } from '../conversions/types.js';
import { applyConversions, type ConversionStep } from '../convert.js';
import { inputError, isOnnxpressError, messageOf, usageError } from '../errors.js';
import { constantTensors } from '../ir/constants.js';
import { loadModel } from '../io/load.js';
import { DEFAULT_EXTERNAL_THRESHOLD, saveModel } from '../io/save.js';
import { lintForTarget, type LintFinding, type Target } from '../runtime/op-support/lint.js';
import { REPORT_FORMATS, writeReports, type ReportFormat } from '../report/index.js';
import { CONVERSION_KINDS, normalizeValidateOptions, type NormalizedValidateOptions, type RawValidateOptions } from '../validate/options.js';
import { buildSummary, exitCodeFor, type SummaryInput } from '../validate/result.js';
import type { ConversionKind, ValidationResult, ValidationSummary } from '../validate/types.js';
import { validate } from '../validate/validate.js';
import { isVariantFile, presetNamed, selectVariants, TRANSFORMERS_JS_PRESET, variantFileName, type PresetVariant } from './preset.js';

/** Validation options that apply to every variant; the models, their names and the kind are set per variant. */
export type VariantsValidateOptions = Omit<RawValidateOptions, 'baseline' | 'candidate' | 'baselineName' | 'candidateName' | 'kind' | 'inputs'>;

export interface MakeVariantsOptions {
  /** The preset (default 'transformers.js'). */
  preset?: string;
  /** Where the variants go (default: beside each model). */
  outDir?: string;
  /** The variants to make, by dtype (`fp16`, `q8`, ...) or file suffix (`quantized`); default: all of the preset's. */
  only?: readonly string[];
  /** Input data for validation (see validate's `inputs`); default: synthesized for each model. */
  inputs?: string | readonly string[];
  /** More validation options for every variant, or false to convert without validating (and without a report). */
  validate?: VariantsValidateOptions | boolean;
  /** The report folder (default: the output folder, when every variant goes to one). */
  reportDir?: string;
  /** Report formats (default: all). */
  formats?: readonly ReportFormat[];
  /** The conversions (default: the built-ins). */
  registry?: ConversionRegistry;
  /**
   * Lint each variant for where it will run before writing it (runtime/op-support): an op without a kernel there
   * makes the variant an error and nothing is written, unless `allowUnsupportedOps`; the lint is in its outcome.
   */
  target?: Target;
  allowUnsupportedOps?: boolean;
  onProgress?: (event: VariantsProgress) => void;
}

export type VariantsProgress =
  { phase: 'convert' | 'validate'; model: string; dtype: string; output: string } | { phase: 'done'; outcome: VariantOutcome };

export type VariantStatus = 'pass' | 'fail' | 'error' | 'converted';

export interface VariantOutcome {
  /** The input model (absolute path) and its name in the report. */
  model: string;
  modelName: string;
  dtype: string;
  /** The variant's file (absolute path). */
  output: string;
  /** pass/fail: validated; converted: not validated (validate: false); error: see `error`. */
  status: VariantStatus;
  /** Bytes of the input and of the output, each with its external data. */
  inputBytes: number;
  outputBytes?: number;
  externalDataFile?: string;
  conversion?: ConversionSummary[];
  /** The target lint of the variant (with `target`), when it found something. */
  lint?: LintFinding[];
  result?: ValidationResult;
  error?: { stage: 'convert' | 'validate'; message: string; code?: string };
}

export interface VariantsResult {
  preset: string;
  /** The input models, absolute. */
  models: string[];
  variants: VariantOutcome[];
  /** Variants of the preset left out because their conversion is not in the registry (only when `only` was not given). */
  skipped: { dtype: string; reason: string }[];
  /** Present when the variants were validated. */
  summary?: ValidationSummary;
  /** Report files written. */
  reports: string[];
  /** 0: every variant made (and passed); 1: a threshold failed; 2: a variant could not be made or validated. */
  exitCode: 0 | 1 | 2;
}

interface PlannedVariant {
  variant: PresetVariant;
  output: string;
  kind: ConversionKind;
}

interface PlannedModel {
  file: string;
  name: string;
  variants: PlannedVariant[];
}

/**
 * Makes the preset's variants of `input` (a model file, a folder of them, or a list of either) and validates each
 * against its original. Every check that can fail without converting (the paths, `only`, the validation options,
 * files that would be written over an input) is done first and throws an E_USAGE error; a variant that fails to
 * convert or validate is an error entry in the result and the others go on.
 */
export async function makeVariants(input: string | readonly string[], options: MakeVariantsOptions = {}): Promise<VariantsResult> {
  const registry = options.registry ?? builtInConversions();
  const preset = presetNamed(options.preset ?? TRANSFORMERS_JS_PRESET.name);
  const chosen = selectVariants(preset, options.only ?? []);
  const skipped: VariantsResult['skipped'] = [];
  const available = chosen.filter((v) => {
    const missing = v.steps.find((s) => !registry.has(s.to));
    if (!missing) return true;
    const reason = `conversion '${missing.to}' is not available (known: ${registry.names().join(', ')})`;
    if ((options.only ?? []).length > 0) throw usageError(`${v.dtype}: ${reason}`);
    skipped.push({ dtype: v.dtype, reason });
    return false;
  });

  const files = listModels(typeof input === 'string' ? [input] : input);
  const names = modelNames(files);
  const plan: PlannedModel[] = files.map((file) => {
    const dir = options.outDir !== undefined ? path.resolve(options.outDir) : path.dirname(file);
    return {
      file,
      name: names.get(file)!,
      variants: available.map((variant) => ({ variant, output: path.join(dir, variantFileName(file, variant)), kind: kindOf(variant, registry) })),
    };
  });
  checkOutputs(plan, new Set(files.map(realOrResolved)));
  // Then, with the models read, against the external data files they use too.
  const protect = protectedFiles(files);
  checkOutputs(plan, protect);

  const validating = options.validate !== false;
  const extra: VariantsValidateOptions = typeof options.validate === 'object' ? options.validate : {};
  const reportDir = validating ? reportFolder(plan, options.reportDir) : undefined;
  const validateOptions = (model: PlannedModel, planned: PlannedVariant): NormalizedValidateOptions =>
    normalizeValidateOptions({
      ...extra,
      ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
      baseline: model.file,
      baselineName: model.name,
      candidate: planned.output,
      candidateName: path.basename(planned.output),
      kind: planned.kind,
    });
  // Wrong validation options are found before anything is converted.
  const first = plan[0]?.variants[0];
  if (validating && first) validateOptions(plan[0]!, first);

  const outcomes: VariantOutcome[] = [];
  for (const model of plan) {
    const inputBytes = bytesWithExternalData(model.file);
    for (const planned of model.variants) {
      const base = { model: model.file, modelName: model.name, dtype: planned.variant.dtype, output: planned.output, inputBytes };
      options.onProgress?.({ phase: 'convert', model: model.file, dtype: base.dtype, output: planned.output });
      let outcome: VariantOutcome;
      try {
        outcome = { ...base, status: 'converted', ...(await convertOne(model.file, planned, registry, protect, options)) };
      } catch (e) {
        outcome = { ...base, status: 'error', error: errorOf('convert', e) };
      }
      if (validating && outcome.status === 'converted') {
        options.onProgress?.({ phase: 'validate', model: model.file, dtype: base.dtype, output: planned.output });
        try {
          const result = await validate(validateOptions(model, planned));
          outcome = { ...outcome, status: result.passed ? 'pass' : 'fail', result };
        } catch (e) {
          outcome = { ...outcome, status: 'error', error: errorOf('validate', e) };
        }
      }
      outcomes.push(outcome);
      options.onProgress?.({ phase: 'done', outcome });
    }
  }

  let summary: ValidationSummary | undefined;
  let reports: string[] = [];
  if (validating && reportDir !== undefined) {
    summary = buildSummary(outcomes.map(summaryInput), { title: `${preset.name} variants: ${plan.map((m) => m.name).join(', ')}` });
    reports = await writeReports(reportDir, summary, options.formats ?? REPORT_FORMATS);
  }
  const exitCode = summary ? exitCodeFor(summary) : outcomes.some((o) => o.status === 'error') ? 2 : 0;
  return { preset: preset.name, models: files, variants: outcomes, skipped, ...(summary ? { summary } : {}), reports, exitCode };
}

/** The models the arguments name: files as given, and every `*.onnx` of a folder that is not itself a variant. */
export function listModels(inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw usageError('name a model file or a folder of models');
  const out: string[] = [];
  for (const given of inputs) {
    const absolute = path.resolve(given);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch {
      throw inputError('no such file or folder', { file: given });
    }
    if (!isDirectory) {
      out.push(absolute);
      continue;
    }
    const models = readdirSync(absolute)
      .filter((name) => name.toLowerCase().endsWith('.onnx') && !isVariantFile(name))
      .map((name) => path.join(absolute, name))
      .filter((file) => statSync(file).isFile())
      .sort();
    if (models.length === 0)
      throw inputError('the folder holds no model to make variants of (*.onnx files that are not variants themselves)', { file: given });
    out.push(...models);
  }
  return [...new Set(out)];
}

/** Names in reports: the file name, or the path from the current folder where two models share a file name. */
function modelNames(files: readonly string[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const f of files) count.set(path.basename(f), (count.get(path.basename(f)) ?? 0) + 1);
  return new Map(files.map((f) => [f, count.get(path.basename(f))! > 1 ? path.relative(process.cwd(), f) || f : path.basename(f)]));
}

/** The kind whose default thresholds apply: the conversions' own when they agree on one validation knows. */
function kindOf(variant: PresetVariant, registry: ConversionRegistry): ConversionKind {
  const kinds = new Set(variant.steps.map((s) => registry.get(s.to).kind ?? 'other'));
  const [only] = kinds;
  return kinds.size === 1 && CONVERSION_KINDS.includes(only!) ? only! : 'other';
}

/** The steps with each conversion's option defaults filled in, as `convert` and pipelines run them. */
function withDefaults(steps: readonly ConversionStep[], registry: ConversionRegistry): ConversionStep[] {
  return steps.map((step) => {
    const options: Record<string, unknown> = {};
    for (const [flag, option] of Object.entries(registry.get(step.to).options)) {
      if (option.default !== undefined) options[flag.replace(/-([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase())] = option.default;
    }
    return { to: step.to, options: { ...options, ...step.options } };
  });
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Every input model and the external data files it reads (real paths): none of them may be written. */
function protectedFiles(files: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const file of files) {
    out.add(realOrResolved(file));
    const model = loadModel(file, { deferWeights: true });
    for (const { tensor } of constantTensors(model)) {
      if (tensor.storage.kind === 'external') out.add(realOrResolved(path.resolve(path.dirname(file), tensor.storage.ref.location)));
    }
  }
  return out;
}

/** Refuses, before any work, outputs that would be written over an input (or its data), or twice. */
function checkOutputs(plan: readonly PlannedModel[], protect: ReadonlySet<string>): void {
  const seen = new Map<string, string>();
  for (const model of plan) {
    for (const { output } of model.variants) {
      for (const file of [output, `${output}_data`]) {
        if (protect.has(realOrResolved(file))) {
          throw usageError(`refusing to write ${file} over an input (a model or its external data); choose another --out-dir`, { file: model.file });
        }
      }
      const key = realOrResolved(output);
      const other = seen.get(key);
      if (other !== undefined) throw usageError(`${other} and ${model.file} would both write ${output}; give them different output folders`);
      seen.set(key, model.file);
    }
  }
}

function reportFolder(plan: readonly PlannedModel[], given: string | undefined): string | undefined {
  if (given !== undefined) return path.resolve(given);
  const folders = [...new Set(plan.flatMap((m) => m.variants.map((v) => path.dirname(v.output))))];
  if (folders.length > 1)
    throw usageError(`the variants go to ${folders.length} folders; say where the report goes with --report DIR (or use --out-dir)`);
  return folders[0];
}

async function convertOne(
  input: string,
  planned: PlannedVariant,
  registry: ConversionRegistry,
  protect: ReadonlySet<string>,
  lintOptions: Pick<MakeVariantsOptions, 'target' | 'allowUnsupportedOps'> = {},
): Promise<Pick<VariantOutcome, 'outputBytes' | 'externalDataFile' | 'conversion' | 'lint'>> {
  const model = loadModel(input);
  // A model with external data gives variants with their own: transformers.js' use_external_data_format (one
  // setting for every dtype) makes it fetch `<variant file>_data`. Others get one only past protobuf's 2 GiB.
  const external = constantTensors(model).some(({ tensor }) => tensor.storage.kind === 'external');
  const conversion = await applyConversions(model, withDefaults(planned.variant.steps, registry), registry);
  const lint = lintOptions.target ? lintForTarget(model, lintOptions.target) : [];
  const unsupported = lint.filter((f) => f.severity === 'error');
  if (unsupported.length > 0 && !lintOptions.allowUnsupportedOps) {
    throw usageError(
      `the variant has ops without a kernel in target ${lintOptions.target}: ${unsupported.map((f) => f.message).join('; ')}; nothing was written`,
      { file: input, hint: 'leave out --target, or write it anyway with --allow-unsupported-ops' },
    );
  }
  const dataName = `${path.basename(planned.output)}_data`;
  const saved = saveModel(model, planned.output, {
    protect: [...protect],
    externalFileName: dataName,
    ...(external ? { externalThreshold: DEFAULT_EXTERNAL_THRESHOLD } : {}),
  });
  // A data file left by an earlier run would otherwise look like part of this output.
  const stale = path.join(path.dirname(saved.path), dataName);
  if (!saved.externalDataFile && existsSync(stale) && !protect.has(realOrResolved(stale))) rmSync(stale, { force: true });
  const outputBytes = statSync(saved.path).size + (saved.externalDataFile ? statSync(saved.externalDataFile).size : 0);
  return {
    outputBytes,
    conversion,
    ...(saved.externalDataFile ? { externalDataFile: saved.externalDataFile } : {}),
    ...(lint.length > 0 ? { lint } : {}),
  };
}

/** A model file's size with the external data files it reads. */
function bytesWithExternalData(file: string): number {
  const data = new Set<string>();
  for (const { tensor } of constantTensors(loadModel(file, { deferWeights: true }))) {
    if (tensor.storage.kind === 'external') data.add(path.resolve(path.dirname(file), tensor.storage.ref.location));
  }
  return [file, ...data].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
}

function errorOf(stage: 'convert' | 'validate', e: unknown): NonNullable<VariantOutcome['error']> {
  const code = isOnnxpressError(e) ? e.code : undefined;
  return { stage, message: messageOf(e), ...(code ? { code } : {}) };
}

function summaryInput(outcome: VariantOutcome): SummaryInput {
  const base = { model: outcome.modelName, variant: outcome.dtype };
  if (outcome.result) return { ...base, result: outcome.result };
  const error = outcome.error;
  const message = error ? `${error.stage === 'convert' ? 'conversion' : 'validation'} failed: ${error.message}` : 'no result';
  return { ...base, error: { message, ...(error?.code ? { code: error.code } : {}) } };
}
