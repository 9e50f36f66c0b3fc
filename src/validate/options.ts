/**
 * The options of a validation, defined once.
 *
 * `VALIDATE_OPTIONS` lists every option with its type, default, meaning and an example, and says how
 * `onnxpress validate` spells it (a flag) and how a pipeline file does (a key of `validate:`, a key of a model,
 * or a value the pipeline fills in itself). The CLI's flags (src/cli/validate.ts) and the `validate:` keys of
 * the pipeline schema (src/pipeline/schema.ts) are built from this table.
 *
 * Every entry point then calls `normalizeValidateOptions`: the CLI with its parsed flags, the library's
 * `validate(options)`, and pipelines for each variant of each model. What it returns,
 * `NormalizedValidateOptions`, is plain JSON: paths absolute, defaults filled in, thresholds parsed. It is what
 * the validation core takes, what travels to a pipeline's worker processes, and what a custom validator module
 * (`validate.runner`) receives. Normalizing it again gives the same object.
 *
 * Adding an option: a field in `NormalizedValidateOptions` and its entry in `VALIDATE_OPTIONS` (the compiler
 * asks for both), then its use in the core (validate.ts). The flag, the pipeline key and the normalization follow.
 *
 * This module is light on purpose: the CLI loads it at start-up to declare its flags.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { OnnxpressError, usageError } from '../errors.js';
import { NODE_PROVIDERS, runnerFor, WEB_PROVIDERS } from '../runtime/runners.js';
import { DEFAULT_BOOTSTRAP, type BootstrapOptions } from './stats.js';
import { isMetricName, parseThreshold, ThresholdSyntaxError } from './thresholds.js';
import type { ConversionKind, Threshold } from './types.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Validation options after `normalizeValidateOptions`: JSON-serializable, nothing left to default. */
export interface NormalizedValidateOptions {
  /** Absolute path of the reference model. */
  baseline: string;
  /** Absolute path of the model under test. */
  candidate: string;
  /** Names in reports (default: the file names). */
  baselineName: string;
  candidateName: string;
  /** Absolute paths of input files and folders (`NAME=` prefixes kept); empty: inputs are synthesized. */
  inputs: string[];
  /** Synthesized: this many samples; with input files: only the first this many. Absent: 1, or all of the files. */
  samples?: number;
  /** Seed of synthesized inputs. */
  seed: number;
  /** Values of symbolic dims of synthesized inputs, by name. */
  dims: Record<string, number>;
  /** Absolute path of a labels file: top-1 accuracy of `labelsOutput` (absent: the first output). */
  labels?: string;
  labelsOutput?: string;
  /** The user's thresholds; the kind's defaults fill in the rest when `defaultThresholds` is true. */
  thresholds: Threshold[];
  defaultThresholds: boolean;
  /** Decides the default thresholds; absent: inferred from the two models (inferKind). */
  kind?: ConversionKind;
  /**
   * Time both models: `warmup` untimed rounds, then `iterations` timed ones. Absent: 50, or, when the median round
   * takes under 1 ms, enough for 200 ms of timed work (200 to 2000 rounds, within about 2 s of wall time; defaultRounds in
   * stats.ts).
   */
  latency: boolean;
  iterations?: number;
  warmup: number;
  /** Intra-op and inter-op threads of each session, and its graph optimization level. */
  threads: number;
  interOpThreads: number;
  graphOptimizationLevel: GraphOptimizationLevel;
  /**
   * Execution providers of the candidate (and, without `baselineProvider`, of the baseline): onnxruntime-node's
   * (cpu, webgpu, cuda, ...) in order of preference, or one of onnxruntime-web's: wasm (in Node), web-webgpu or
   * web-wasm (in headless Chromium).
   */
  providers: string[];
  /** Execution providers of the baseline (default: the candidate's). */
  baselineProvider: string[];
  /** Chromium's executable for the web-* providers (absent: found on PATH). */
  browser?: string;
  /** WebGPU errors in a browser page's console are a note instead of an error. */
  allowConsoleErrors: boolean;
  /** Seconds the validation may take (absent: no limit). */
  timeout?: number;
  /** Resampling of the latency ratio's confidence interval. */
  bootstrap: Required<BootstrapOptions>;
}

export type ValidateOptionName = keyof NormalizedValidateOptions;

/** The latency settings as the library nests them: `latency: { warmup, iterations }`. */
export interface LatencyOptions {
  /** Untimed rounds first; default 5. */
  warmup?: number;
  /** Timed rounds (each runs both models once); default 50, more when a round takes under 1 ms. */
  iterations?: number;
}

/**
 * Validation options as a caller gives them: every one optional but the two models, and each in any form its
 * type accepts (`providers: 'cpu'` or `['cpu']`, `dims: ['batch=2']` or `{ batch: 2 }`, thresholds as text or
 * parsed). A `NormalizedValidateOptions` is one too.
 */
export interface RawValidateOptions {
  baseline: string;
  candidate: string;
  baselineName?: string;
  candidateName?: string;
  inputs?: string | readonly string[];
  samples?: number;
  seed?: number;
  dims?: Readonly<Record<string, number>> | string | readonly string[];
  labels?: string;
  labelsOutput?: string;
  /** `'cosine=0.999'`, a list of such texts or of parsed thresholds, or a mapping `{ cosine: 0.999, 'top1@logits': '98%' }`. */
  thresholds?: string | readonly (Threshold | string)[] | Readonly<Record<string, number | string>>;
  defaultThresholds?: boolean;
  kind?: ConversionKind;
  /** true, false, or the latency settings (which turn it on). */
  latency?: boolean | LatencyOptions;
  iterations?: number;
  warmup?: number;
  threads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  providers?: string | readonly string[];
  baselineProvider?: string | readonly string[];
  browser?: string;
  allowConsoleErrors?: boolean;
  timeout?: number;
  bootstrap?: BootstrapOptions;
}

// ---------------------------------------------------------------------------------------------------------------
// The definition

/** The value an option takes; normalization and the CLI's and the pipeline schema's types follow from it. */
export type OptionValue =
  /** A file or folder; made absolute. */
  | { type: 'path' }
  /** Files or folders, each optionally `NAME=PATH`; made absolute. */
  | { type: 'paths' }
  | { type: 'string'; choices?: readonly string[] }
  | { type: 'integer'; min?: number }
  /** A number of seconds above 0. */
  | { type: 'seconds' }
  | { type: 'boolean' }
  /** NAME=VALUE pairs (text, comma-separated or a list) or a mapping. */
  | { type: 'dims' }
  /** METRIC[@OUTPUT]=VALUE texts (comma-separated or a list), parsed thresholds, or a mapping of METRIC[@OUTPUT] to VALUE. */
  | { type: 'thresholds' }
  /** One execution provider or a list. */
  | { type: 'providers' }
  /** `{ resamples, seed, confidence }`. */
  | { type: 'bootstrap' };

/** How `onnxpress validate` spells an option. The flag's yargs type follows from the option's value. */
export interface CliSpelling {
  /** Without the dashes. */
  flag: string;
  /** Allowed values, when the CLI restricts them more than the option does. */
  choices?: readonly string[];
  /** Declare the option's default to yargs (so --help shows it). */
  showDefault?: boolean;
}

/** What a pipeline fills in itself for each variant of each model. */
export type PipelineSource = 'model file' | 'model id' | 'variant output' | 'variant name' | 'variant kind';

/** How a pipeline file spells an option. */
export type PipelineSpelling =
  /**
   * A key of the `validate:` section (inside the group's mapping for a grouped option: `latency: { rounds }`).
   * `perVariant`: the value is a mapping of `'*'` and variant names to values, merged for each variant (the
   * variant's own after `'*'`). `default`: the value when the key is absent, when it differs from the option's.
   */
  | { key: string; perVariant?: true; default?: unknown }
  /** A key of each `models:` entry (its schema lives with the models). */
  | { modelKey: string }
  /** Not a key: the pipeline fills it in. */
  | { from: PipelineSource }
  /** Not offered, and why. */
  | { none: string };

export interface OptionDef<T = unknown> {
  /** One sentence, as `onnxpress validate --help` shows it. */
  describe: string;
  value: OptionValue;
  /** The value when absent: a constant, or computed from the options normalized before it. Absent: stays absent. */
  default?: T | ((normalized: Partial<NormalizedValidateOptions>) => T);
  required?: boolean;
  /** Part of a group option's value in nested spellings: `latency: { warmup, iterations }`. */
  group?: 'latency';
  /** How library messages name it (default: its name). */
  label?: string;
  /** A value other than the default, as the library spells it: documentation, and what the options test sends. */
  example: unknown;
  cli: CliSpelling | { none: string };
  pipeline: PipelineSpelling;
}

export type OptionTable = { readonly [K in ValidateOptionName]-?: OptionDef<NormalizedValidateOptions[K]> };

export const DEFAULT_THREADS = 2;
export const DEFAULT_WARMUP = 5;
export const DEFAULT_ITERATIONS = 50;

export const CONVERSION_KINDS: readonly ConversionKind[] = ['fp16', 'int8', 'q4', 'other'];
export const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];
/** The execution providers `onnxpress validate --provider` offers (the library and pipelines take any name). */
export const CLI_EXECUTION_PROVIDERS = [...NODE_PROVIDERS, ...WEB_PROVIDERS] as const;

/** Every validation option. The order is the order of `onnxpress validate --help`. */
export const VALIDATE_OPTIONS: OptionTable = {
  baseline: {
    describe: 'The reference model (.onnx)',
    value: { type: 'path' },
    required: true,
    example: 'model.onnx',
    cli: { flag: 'baseline' },
    pipeline: { from: 'model file' },
  },
  candidate: {
    describe: 'The model under test (.onnx)',
    value: { type: 'path' },
    required: true,
    example: 'model.int8.onnx',
    cli: { flag: 'candidate' },
    pipeline: { from: 'variant output' },
  },
  baselineName: {
    describe: "The baseline's name in reports (default: its file name)",
    value: { type: 'string' },
    default: (o) => path.basename(o.baseline ?? ''),
    example: 'float32',
    cli: { flag: 'baseline-name' },
    pipeline: { from: 'model id' },
  },
  candidateName: {
    describe: "The candidate's name in reports (default: its file name)",
    value: { type: 'string' },
    default: (o) => path.basename(o.candidate ?? ''),
    example: 'int8',
    cli: { flag: 'candidate-name' },
    pipeline: { from: 'variant name' },
  },
  inputs: {
    describe: 'Input data: test-data folders (input_K.pb, test_data_set_N/), .pb, .npy ([NAME=]FILE) or .json files; default: synthesized',
    value: { type: 'paths' },
    default: [],
    example: ['test_data_set_0'],
    cli: { flag: 'inputs' },
    pipeline: { modelKey: 'inputs' },
  },
  labels: {
    describe: 'Labels for top-1 accuracy: .pb (TensorProto), .npy or .json',
    value: { type: 'path' },
    example: 'labels.pb',
    cli: { flag: 'labels' },
    pipeline: { modelKey: 'labels' },
  },
  labelsOutput: {
    describe: 'The output the labels score (default: the first output)',
    value: { type: 'string' },
    example: 'logits',
    cli: { flag: 'labels-output' },
    pipeline: { key: 'labelsOutput' },
  },
  dims: {
    describe: 'Symbolic dims of synthesized inputs: NAME=VALUE (defaults: batch 1, sequence-like 16, others 1)',
    value: { type: 'dims' },
    default: {},
    example: { batch: 2 },
    cli: { flag: 'dims' },
    pipeline: { modelKey: 'dims' },
  },
  samples: {
    describe: 'Synthesized input sets to run (default 1); with --inputs, use only the first N',
    value: { type: 'integer', min: 1 },
    example: 3,
    cli: { flag: 'samples' },
    pipeline: { key: 'samples' },
  },
  seed: {
    describe: 'Seed of synthesized inputs (default 0)',
    value: { type: 'integer' },
    default: 0,
    example: 7,
    cli: { flag: 'seed' },
    pipeline: { key: 'seed' },
  },
  thresholds: {
    describe: 'METRIC[@OUTPUT]=VALUE, e.g. cosine=0.999, top1=0.98, latency-ratio=1.1',
    value: { type: 'thresholds' },
    default: [],
    example: ['cosine=0.99', 'top1@logits=0.9'],
    cli: { flag: 'threshold' },
    pipeline: { key: 'thresholds', perVariant: true },
  },
  defaultThresholds: {
    describe: "Apply the kind's default thresholds where --threshold sets none (--no-default-thresholds: only yours)",
    value: { type: 'boolean' },
    default: true,
    example: false,
    cli: { flag: 'default-thresholds', showDefault: true },
    pipeline: { key: 'defaultThresholds' },
  },
  kind: {
    describe: 'Conversion kind for default thresholds (default: inferred)',
    value: { type: 'string', choices: CONVERSION_KINDS },
    example: 'int8',
    cli: { flag: 'kind' },
    pipeline: { from: 'variant kind' },
  },
  latency: {
    describe: 'Also measure latency, interleaving the two models',
    value: { type: 'boolean' },
    default: false,
    example: true,
    cli: { flag: 'latency', showDefault: true },
    pipeline: { key: 'latency', default: true },
  },
  iterations: {
    describe: 'Timed rounds with --latency (default 50; for a model whose round takes under 1 ms, 200 to 2000)',
    value: { type: 'integer', min: 1 },
    group: 'latency',
    example: 7,
    cli: { flag: 'iterations' },
    pipeline: { key: 'rounds' },
  },
  warmup: {
    describe: 'Untimed rounds before them',
    value: { type: 'integer', min: 0 },
    default: DEFAULT_WARMUP,
    group: 'latency',
    example: 2,
    cli: { flag: 'warmup', showDefault: true },
    pipeline: { key: 'warmup' },
  },
  threads: {
    describe: 'Intra-op threads of each session',
    value: { type: 'integer', min: 1 },
    default: DEFAULT_THREADS,
    example: 3,
    cli: { flag: 'threads', showDefault: true },
    pipeline: { key: 'threads' },
  },
  interOpThreads: {
    describe: 'Inter-op threads of each session',
    value: { type: 'integer', min: 1 },
    default: 1,
    label: 'inter-op threads',
    example: 2,
    cli: { flag: 'inter-op-threads', showDefault: true },
    pipeline: { key: 'interOpThreads' },
  },
  graphOptimizationLevel: {
    describe: 'Graph optimizations ONNX Runtime applies when it creates each session',
    value: { type: 'string', choices: GRAPH_OPTIMIZATION_LEVELS },
    default: 'all',
    example: 'basic',
    cli: { flag: 'graph-optimization-level', showDefault: true },
    pipeline: { key: 'graphOptimizationLevel' },
  },
  providers: {
    describe:
      'Execution provider: onnxruntime-node (cpu, webgpu, cuda), onnxruntime-web in Node (wasm) or in headless Chromium (web-webgpu, web-wasm)',
    value: { type: 'providers' },
    default: ['cpu'],
    example: ['webgpu'],
    cli: { flag: 'provider', choices: CLI_EXECUTION_PROVIDERS, showDefault: true },
    pipeline: { key: 'executionProvider' },
  },
  baselineProvider: {
    describe: "The baseline's execution provider (default: the candidate's), e.g. cpu to compare a browser candidate with the server",
    value: { type: 'providers' },
    default: (o) => [...(o.providers ?? ['cpu'])],
    label: 'baseline provider',
    example: ['wasm'],
    cli: { flag: 'baseline-provider', choices: CLI_EXECUTION_PROVIDERS },
    pipeline: { key: 'baselineExecutionProvider' },
  },
  browser: {
    describe: 'Chromium executable for the web-* providers (default: chromium on PATH)',
    value: { type: 'path' },
    example: '/usr/bin/chromium',
    cli: { flag: 'browser' },
    pipeline: { key: 'browser' },
  },
  allowConsoleErrors: {
    describe: 'Keep a browser run whose page console reported WebGPU errors (as notes) instead of failing it with exit code 2',
    value: { type: 'boolean' },
    default: false,
    label: 'allow console errors',
    example: true,
    cli: { flag: 'allow-console-errors', showDefault: true },
    pipeline: { key: 'allowConsoleErrors' },
  },
  timeout: {
    describe: 'Seconds the validation may take; ONNX Runtime still running then is stopped and the exit code is 2 (default: no limit)',
    value: { type: 'seconds' },
    example: 30,
    cli: { flag: 'timeout' },
    pipeline: { none: "the pipeline's top-level `timeout` limits converting and validating a variant together" },
  },
  bootstrap: {
    describe: "Resamples, seed and confidence of the latency ratio's bootstrap interval",
    value: { type: 'bootstrap' },
    default: { ...DEFAULT_BOOTSTRAP },
    example: { resamples: 500, seed: 3, confidence: 0.9 },
    cli: { none: 'library only: the defaults (2000 resamples, 95%) suit a report' },
    pipeline: { none: 'library only: the defaults (2000 resamples, 95%) suit a report' },
  },
};

/** The options in definition order. */
export function validateOptionEntries(): [ValidateOptionName, OptionDef][] {
  return Object.entries(VALIDATE_OPTIONS) as [ValidateOptionName, OptionDef][];
}

/** The options a pipeline fills in per model when it plans (the model's and the variant's files and names, inputs). */
export type PlannedOptionName = 'baseline' | 'candidate' | 'baselineName' | 'candidateName' | 'inputs' | 'labels' | 'dims';

export const PLANNED_OPTIONS: readonly PlannedOptionName[] = validateOptionEntries()
  .filter(([, def]) => 'modelKey' in def.pipeline || ('from' in def.pipeline && def.pipeline.from !== 'variant kind'))
  .map(([name]) => name as PlannedOptionName);

// ---------------------------------------------------------------------------------------------------------------
// Normalization

export interface NormalizeContext {
  /** Relative paths start here (default: the current directory). */
  baseDir?: string;
  /** Messages name options as this surface spells them (default 'api': by their field names). */
  surface?: 'api' | 'cli' | 'pipeline';
}

/**
 * Checks the options and returns them normalized: every path absolute, every default filled in, thresholds,
 * dims and providers in one form. Throws E_USAGE naming the option (as `context.surface` spells it) when a value
 * is wrong or a required one is missing; unknown options are reported once, in one warning, and ignored.
 *
 * With `leave`, those options are neither read nor required and the result lacks them (pipelines normalize each
 * variant's `validate:` settings before they know the models).
 */
export function normalizeValidateOptions(input: RawValidateOptions, context?: NormalizeContext): NormalizedValidateOptions;
export function normalizeValidateOptions<L extends ValidateOptionName>(
  input: Omit<RawValidateOptions, L>,
  context: NormalizeContext & { leave: readonly L[] },
): Omit<NormalizedValidateOptions, L>;
export function normalizeValidateOptions(
  input: Partial<RawValidateOptions>,
  context: NormalizeContext & { leave?: readonly ValidateOptionName[] } = {},
): Partial<NormalizedValidateOptions> {
  const ctx: Context = { baseDir: context.baseDir ?? process.cwd(), surface: context.surface ?? 'api' };
  const leave = new Set<string>(context.leave ?? []);
  const given = ungroup(input, ctx);
  const unknown = Object.keys(given).filter((key) => !Object.hasOwn(VALIDATE_OPTIONS, key));
  if (unknown.length > 0) {
    process.emitWarning(`unknown validate options ignored: ${unknown.join(', ')} (known: ${Object.keys(VALIDATE_OPTIONS).join(', ')})`, {
      code: 'ONNXPRESS_UNKNOWN_OPTION',
    });
  }
  const out: Record<string, unknown> = {};
  for (const [name, def] of validateOptionEntries()) {
    if (leave.has(name)) continue;
    const value = given[name];
    if (value !== undefined) {
      out[name] = normalizeValue(name, def, value, ctx);
    } else if (def.default !== undefined) {
      out[name] = clone(typeof def.default === 'function' ? (def.default as (o: Partial<NormalizedValidateOptions>) => unknown)(out) : def.default);
    } else if (def.required) {
      throw usage(`${nameIn(name, ctx)} is required`);
    }
  }
  return out;
}

/** A timeout as given (undefined: no limit); throws E_USAGE unless it is a number of seconds above 0. */
export function checkTimeout(seconds: number | undefined, what = 'timeout'): number | undefined {
  if (seconds !== undefined && !(typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0)) {
    throw usage(`${what} ${String(seconds)}: expected a number of seconds above 0`);
  }
  return seconds;
}

interface Context {
  baseDir: string;
  surface: 'api' | 'cli' | 'pipeline';
}

/** How a message names an option: `--flag` on the CLI, the key in a pipeline, else its label or name. */
function nameIn(name: ValidateOptionName, ctx: Context): string {
  const def: OptionDef = VALIDATE_OPTIONS[name];
  if (ctx.surface === 'cli' && 'flag' in def.cli) return `--${def.cli.flag}`;
  if (ctx.surface === 'pipeline' && 'key' in def.pipeline) return def.group ? `${def.group}.${def.pipeline.key}` : def.pipeline.key;
  return def.label ?? name;
}

function usage(message: string): OnnxpressError {
  return usageError(message);
}

/** `latency: { warmup, iterations }` into `latency: true, warmup, iterations` (a value given both ways must agree). */
function ungroup(input: Record<string, unknown>, ctx: Context): Record<string, unknown> {
  const out = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  for (const [group, members] of groupMembers()) {
    const value = out[group];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if (member === undefined) continue;
      // Not a member: reported with the unknown options.
      if (!members.includes(key as ValidateOptionName)) out[`${group}.${key}`] = member;
      else if (out[key] !== undefined && out[key] !== member) {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- values as the user gave them, printed as String() prints them
        throw usage(`${group}.${key} is ${String(member)} but ${nameIn(key as ValidateOptionName, ctx)} is ${String(out[key])}`);
      } else out[key] = member;
    }
    out[group] = true;
  }
  return out;
}

/** Group options and the names of their members: `latency` -> [iterations, warmup]. */
export function groupMembers(): Map<ValidateOptionName, ValidateOptionName[]> {
  const groups = new Map<ValidateOptionName, ValidateOptionName[]>();
  for (const [name, def] of validateOptionEntries()) if (def.group) groups.set(def.group, [...(groups.get(def.group) ?? []), name]);
  return groups;
}

function normalizeValue(name: ValidateOptionName, def: OptionDef, value: unknown, ctx: Context): unknown {
  const what = nameIn(name, ctx);
  const kind = def.value;
  switch (kind.type) {
    case 'path':
      return path.resolve(ctx.baseDir, text(value, what));
    case 'paths':
      return list(value, what).map((item) => absoluteInput(text(item, what), ctx.baseDir));
    case 'string': {
      const s = text(value, what);
      if (kind.choices && !kind.choices.includes(s)) throw usage(`${what} ${s}: expected one of ${kind.choices.join(', ')}`);
      return s;
    }
    case 'integer': {
      const min = kind.min;
      const ok = typeof value === 'number' && Number.isSafeInteger(value) && (min === undefined || value >= min);
      if (!ok) {
        const expected =
          min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : min === undefined ? 'an integer' : `an integer >= ${min}`;
        throw usage(`${what} must be ${expected}, got ${String(value)}`);
      }
      return value;
    }
    case 'seconds':
      return checkTimeout(value as number, what);
    case 'boolean':
      if (typeof value !== 'boolean') throw usage(`${what} must be true or false, got ${String(value)}`);
      return value;
    case 'dims':
      return normalizeDims(value, what);
    case 'thresholds':
      return normalizeThresholds(value, what);
    case 'providers': {
      const providers = list(value, what).map((p) => text(p, what));
      if (providers.length === 0) throw usage('name at least one execution provider');
      try {
        runnerFor(providers);
      } catch (e) {
        throw usage(`${what} ${(e as Error).message}`);
      }
      return providers;
    }
    case 'bootstrap':
      return normalizeBootstrap(value, what);
  }
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw usage(`${what}: expected a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return [...(value as unknown[])];
  throw usage(`${what}: expected a string or a list of strings, got ${JSON.stringify(value)}`);
}

/** An input path made absolute, keeping a `NAME=` prefix (see splitNamedPath in inputs.ts). */
function absoluteInput(arg: string, baseDir: string): string {
  const match = /^([^=/\\]+)=(.+)$/.exec(arg);
  if (!match || existsSync(path.resolve(baseDir, arg))) return path.resolve(baseDir, arg);
  return `${match[1]}=${path.resolve(baseDir, match[2]!)}`;
}

function normalizeDims(value: unknown, what: string): Record<string, number> {
  const dims: Record<string, number> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, size] of Object.entries(value as Record<string, unknown>)) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw usage(`${what} ${name}=${String(size)}: expected NAME=VALUE with a non-negative integer VALUE`);
      }
      dims[name] = size;
    }
    return dims;
  }
  for (const pair of list(value, what).flatMap((p) => text(p, what).split(','))) {
    const match = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(pair);
    if (!match) throw usage(`${what} ${pair}: expected NAME=VALUE with a non-negative integer VALUE`);
    dims[match[1]!] = Number(match[2]);
  }
  return dims;
}

function normalizeThresholds(value: unknown, what: string): Threshold[] {
  const items =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? (value as unknown[])
        : value !== null && typeof value === 'object'
          ? Object.entries(value).map(([key, limit]) => `${key}=${String(limit)}`)
          : undefined;
  if (!items) throw usage(`${what}: expected METRIC[@OUTPUT]=VALUE texts or thresholds, got ${JSON.stringify(value)}`);
  return items.flatMap((item): Threshold[] => {
    if (typeof item === 'string') {
      try {
        return item.split(/\s*,\s*(?=[a-z0-9-]+(?:@[^=]+)?=)/i).map(parseThreshold);
      } catch (e) {
        if (e instanceof ThresholdSyntaxError) throw usage(`${what}: ${e.message}`);
        throw e;
      }
    }
    const t = item as Partial<Threshold> | null;
    if (
      !t ||
      typeof t !== 'object' ||
      !isMetricName(String(t.metric)) ||
      typeof t.limit !== 'number' ||
      (t.direction !== 'min' && t.direction !== 'max')
    ) {
      throw usage(`${what}: ${JSON.stringify(item)} is not a threshold (see parseThreshold)`);
    }
    return [{ ...(t as Threshold) }];
  });
}

function normalizeBootstrap(value: unknown, what: string): Required<BootstrapOptions> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw usage(`${what}: expected { resamples, seed, confidence }`);
  const given = value as BootstrapOptions;
  const out = { ...DEFAULT_BOOTSTRAP, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<BootstrapOptions>;
  if (!Number.isSafeInteger(out.resamples) || out.resamples < 1) throw usage(`${what}.resamples must be a positive integer, got ${out.resamples}`);
  if (!Number.isSafeInteger(out.seed)) throw usage(`${what}.seed must be an integer, got ${out.seed}`);
  if (!(out.confidence > 0 && out.confidence < 1)) throw usage(`${what}.confidence must be between 0 and 1, got ${out.confidence}`);
  return out;
}

function clone<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}
