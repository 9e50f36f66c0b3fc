/**
 * From a pipeline file to a PipelineConfig: parse, check every key against the schema (collecting all
 * problems, each with its line), then fill in defaults and resolve paths relative to the file.
 * Nothing is converted or run before this succeeds.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import type { ConversionDef } from '../conversion-def.js';
import '../conversions.js';
import { conversionDefs } from '../convert.js';
import { OnnxpressError } from '../errors.js';
import { systemMessage } from '../io/read-bytes.js';
import type { ReportFormat } from '../report/index.js';
import { parseThreshold } from '../validate/thresholds.js';
import type { ConversionKind, Threshold } from '../validate/types.js';
import { PipelineError } from './errors.js';
import { entryOf, parsePipelineText, toPlain, type Issue, type Located } from './parse.js';
import { camelCase, Checker, pipelineSchema, REPORT_FORMAT_NAMES } from './schema.js';
import type { ModelSpec, PassSpec, PipelineConfig, ValidateSettings, VariantSpec } from './types.js';

export interface LoadOptions {
  /** The conversions variants may use (default: the registry). */
  conversions?: readonly ConversionDef[];
  /** How the file is named in messages (default: the path as given). */
  displayFile?: string;
}

/** Reads and checks a pipeline file; throws PipelineError listing every problem. */
export function loadPipeline(file: string, options: LoadOptions = {}): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OnnxpressError('E_READ', `cannot read the pipeline file: ${systemMessage(e)}`, { file, cause: e });
  }
  return parsePipeline(text, file, options);
}

/** Checks and normalizes the text of a pipeline file that lives at `file`. */
export function parsePipeline(text: string, file: string, options: LoadOptions = {}): PipelineConfig {
  const displayFile = options.displayFile ?? file;
  const conversions = options.conversions ?? conversionDefs();
  const { root, issues } = parsePipelineText(text);
  if (issues.length > 0) throw new PipelineError(displayFile, issues);
  if (root.kind !== 'map') throw new PipelineError(displayFile, [{ line: root.line, path: '', message: 'a pipeline file must be a mapping with models and variants' }]);

  const checker = new Checker();
  checker.check(pipelineSchema(conversions, variantNamesOf(root)), root, '');
  const extra: Issue[] = [];
  const baseDir = path.dirname(path.resolve(file));
  checkGlobIds(root, baseDir, extra);
  if (checker.issues.length + extra.length > 0) throw new PipelineError(displayFile, [...checker.issues, ...extra]);

  return normalize(toPlain(root) as RawPipeline, root, path.resolve(file), displayFile, conversions);
}

function variantNamesOf(root: Located): string[] {
  const variants = entryOf(root, 'variants')?.value;
  return variants?.kind === 'map' ? variants.entries.map((e) => e.key) : [];
}

/** A pattern with glob syntax, unless a file or folder has that very name (`model (1).onnx`). */
function isGlob(pattern: string, baseDir: string): boolean {
  return isDynamicPattern(pattern) && !existsSync(path.resolve(baseDir, pattern));
}

/** `id` names one model, so it cannot go with a glob. */
function checkGlobIds(root: Located, baseDir: string, issues: Issue[]): void {
  const models = entryOf(root, 'models')?.value;
  if (models?.kind !== 'list') return;
  models.items.forEach((item, i) => {
    const id = entryOf(item, 'id');
    const p = entryOf(item, 'path')?.value;
    if (id && p?.kind === 'scalar' && typeof p.value === 'string' && isGlob(p.value, baseDir)) {
      issues.push({ line: id.line, path: `models[${i}].id`, message: 'an id names one model, but this entry is a glob' });
    }
  });
}

// The shapes the schema has just checked.
type RawStep = string | ({ to: string } & Record<string, unknown>);
type RawVariant = RawStep | { chain: RawStep[] };
interface RawModel {
  path: string;
  id?: string;
  inputs?: string;
  labels?: string | boolean;
  dims?: Record<string, number>;
}
interface RawPipeline {
  name?: string;
  out?: string;
  models: (string | RawModel)[];
  variants: Record<string, RawVariant>;
  validate?: {
    executionProvider?: string;
    latency?: boolean | { warmup?: number; rounds?: number };
    seed?: number;
    defaultThresholds?: boolean;
    thresholds?: Record<string, Record<string, number | string>>;
    runner?: string;
  };
  report?: { dir?: string; formats?: ReportFormat[]; title?: string };
  timeout?: number;
}

function normalize(raw: RawPipeline, root: Located, file: string, displayFile: string, conversions: readonly ConversionDef[]): PipelineConfig {
  const baseDir = path.dirname(file);
  const resolve = (p: string) => path.resolve(baseDir, p);
  const name = raw.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  const out = resolve(raw.out ?? path.join('out', name.replace(/[^A-Za-z0-9._-]+/g, '_')));
  const modelLines = linesOf(entryOf(root, 'models')?.value);
  const variantLines = new Map((entryOf(root, 'variants')?.value as Extract<Located, { kind: 'map' }>).entries.map((e) => [e.key, e.line]));

  const models: ModelSpec[] = raw.models.map((item, i) => {
    const m: RawModel = typeof item === 'string' ? { path: item } : item;
    return {
      pattern: m.path,
      isGlob: isGlob(m.path, baseDir),
      ...(m.id !== undefined ? { id: m.id } : {}),
      ...(m.inputs !== undefined ? { inputs: m.inputs === 'random' ? 'random' : resolve(m.inputs) } : {}),
      ...(m.labels === false ? { labels: false as const } : typeof m.labels === 'string' ? { labels: resolve(m.labels) } : {}),
      dims: { ...(m.dims ?? {}) },
      path: `models[${i}]`,
      line: modelLines[i] ?? 1,
    };
  });

  const variants: VariantSpec[] = Object.entries(raw.variants).map(([variantName, v]) => {
    const steps: RawStep[] = typeof v === 'object' && 'chain' in v ? (v.chain as RawStep[]) : [v as RawStep];
    const passes = steps.map((step) => passOf(step, conversions));
    return { name: variantName, passes, kind: kindOf(passes), line: variantLines.get(variantName) ?? 1 };
  });

  return {
    file,
    displayFile,
    baseDir,
    name,
    out,
    models,
    variants,
    validate: validateSettings(raw.validate ?? {}, resolve),
    report: {
      dir: raw.report?.dir !== undefined ? resolve(raw.report.dir) : out,
      formats: raw.report?.formats ? [...new Set(raw.report.formats)] : [...REPORT_FORMAT_NAMES],
      title: raw.report?.title ?? name,
    },
    ...(raw.timeout !== undefined ? { timeout: raw.timeout } : {}),
  };
}

function linesOf(node: Located | undefined): number[] {
  return node?.kind === 'list' ? node.items.map((item) => item.line) : [];
}

function passOf(step: RawStep, conversions: readonly ConversionDef[]): PassSpec {
  const { to, ...given } = typeof step === 'string' ? { to: step } : step;
  const def = conversions.find((c) => c.name === to)!;
  const options: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(def.options)) {
    if (option.default !== undefined) options[camelCase(flag)] = option.default;
  }
  Object.assign(options, given);
  return { to, options: sortKeys(options) };
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A variant's kind picks its default thresholds: fp16 or int8 when that is the only conversion that changes the model. */
export function kindOf(passes: readonly PassSpec[]): ConversionKind {
  const names = new Set(passes.map((p) => p.to).filter((n) => n !== 'none'));
  if (names.size !== 1) return 'other';
  const only = [...names][0];
  return only === 'fp16' || only === 'int8' ? only : 'other';
}

function validateSettings(raw: NonNullable<RawPipeline['validate']>, resolve: (p: string) => string): ValidateSettings {
  const parse = (limits: Record<string, number | string> | undefined): Threshold[] =>
    Object.entries(limits ?? {}).map(([key, value]) => parseThreshold(`${key}=${value}`));
  const byVariant: Record<string, Threshold[]> = {};
  for (const [key, limits] of Object.entries(raw.thresholds ?? {})) if (key !== '*') byVariant[key] = parse(limits);
  const latency = raw.latency === undefined || raw.latency === true ? {} : raw.latency === false ? false : { ...raw.latency };
  return {
    executionProvider: raw.executionProvider ?? 'cpu',
    latency,
    seed: raw.seed ?? 0,
    defaultThresholds: raw.defaultThresholds ?? true,
    thresholds: { all: parse(raw.thresholds?.['*']), byVariant },
    ...(raw.runner !== undefined ? { runner: resolve(raw.runner) } : {}),
  };
}
