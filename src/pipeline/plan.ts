/**
 * What a run will do: the model files the pipeline names (globs expanded from the pipeline's folder),
 * a unique id for each, the variants, `--only` and `--shard` applied, and where every output goes.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { usageError } from '../errors.js';
import { normalizeValidateOptions, type NormalizedValidateOptions } from '../validate/options.js';
import { resolveThresholds } from '../validate/thresholds.js';
import type { ConversionKind, PipelineIdentity, Threshold } from '../validate/types.js';
import { PipelineError } from './errors.js';
import type { Issue } from './parse.js';
import { variantFileName } from '../variants/preset.js';
import type { ModelSpec, PassSpec, PipelineConfig } from './types.js';

/** A test-data folder, or random inputs (seeded by the `seed` of the variant's validation options). */
export type PlannedInputs = { source: 'test-data'; dir: string } | { source: 'random' };

export interface PlannedVariant {
  name: string;
  passes: PassSpec[];
  kind: ConversionKind;
  /** `<out>/<model>/<variant>.onnx` */
  output: string;
  /** The thresholds in force: the pipeline's for this variant, plus the kind's defaults unless turned off. */
  thresholds: Threshold[];
  /** What the validator receives for this model and variant (VariantSpec.validate, completed for the model). */
  validate: NormalizedValidateOptions;
}

export interface PlannedModel {
  id: string;
  file: string;
  inputs: PlannedInputs;
  labels?: string;
  dims: Record<string, number>;
  variants: PlannedVariant[];
}

export interface Shard {
  /** 1-based, as in `--shard 2/4`. */
  index: number;
  count: number;
}

export interface PlanOptions {
  /** Model ids or variant names to keep (`--only`). */
  only?: readonly string[];
  shard?: Shard;
}

export interface Plan {
  config: PipelineConfig;
  /** Sorted by id. */
  models: PlannedModel[];
  /** Every model id the pipeline names, before --only and --shard. */
  allModelIds: string[];
  cacheDir: string;
  /** The pipeline's identity for the summary report: its name, its content's hash, and the shard and filter of this run. */
  identity: PipelineIdentity;
}

export const CACHE_DIR_NAME = '.onnxpress-cache';

export function planPipeline(config: PipelineConfig, options: PlanOptions = {}): Plan {
  const listed = listModels(config);
  const allModelIds = listed.map((m) => m.id);
  const only = options.only ?? [];
  const variantNames = config.variants.map((v) => v.name);
  for (const name of only) {
    if (!allModelIds.includes(name) && !variantNames.includes(name)) {
      throw usageError(
        `--only ${name} names no model or variant of ${config.displayFile} (models: ${allModelIds.join(', ')}; variants: ${variantNames.join(', ')})`,
      );
    }
  }
  const onlyModels = only.filter((n) => allModelIds.includes(n));
  const onlyVariants = only.filter((n) => variantNames.includes(n));
  let models = onlyModels.length > 0 ? listed.filter((m) => onlyModels.includes(m.id)) : listed;
  if (options.shard) models = pickShard(models, options.shard, (m) => m.id);
  const variants = onlyVariants.length > 0 ? config.variants.filter((v) => onlyVariants.includes(v.name)) : config.variants;

  return {
    config,
    allModelIds,
    cacheDir: path.join(config.out, CACHE_DIR_NAME),
    identity: {
      ...config.identity,
      ...(options.shard ? { shard: { index: options.shard.index, count: options.shard.count } } : {}),
      ...(only.length > 0 ? { only: [...only] } : {}),
    },
    models: models.map((m) => ({
      id: m.id,
      file: m.file,
      inputs: m.inputs,
      ...(m.labels ? { labels: m.labels } : {}),
      dims: m.spec.dims,
      variants: variants.map((variant) => {
        const file = variant.fileSuffix !== undefined ? variantFileName(m.file, { suffix: variant.fileSuffix }) : `${variant.name}.onnx`;
        const output = path.join(config.out, m.id, file);
        const validate = normalizeValidateOptions(
          {
            ...variant.validate,
            baseline: m.file,
            baselineName: m.id,
            candidate: output,
            candidateName: variant.name,
            inputs: m.inputs.source === 'test-data' ? [m.inputs.dir] : [],
            ...(m.labels ? { labels: m.labels } : {}),
            dims: m.spec.dims,
          },
          { surface: 'pipeline', baseDir: config.baseDir },
        );
        const thresholds = resolveThresholds(variant.kind, validate.thresholds, { defaults: validate.defaultThresholds });
        return { name: variant.name, passes: variant.passes, kind: variant.kind, output, thresholds, validate };
      }),
    })),
  };
}

/** Parses `I/N` (1 <= I <= N). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw usageError(`--shard ${text}: expected I/N with 1 <= I <= N, e.g. --shard 1/3`);
  }
  return { index, count };
}

/**
 * The items of one shard: sorted by key, item k goes to shard (k mod N) + 1. Shards are disjoint, their union
 * is everything, and they differ in size by at most one.
 */
export function pickShard<T>(items: readonly T[], shard: Shard, keyOf: (item: T) => string): T[] {
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  return sorted.filter((_item, k) => k % shard.count === shard.index - 1);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ListedModel {
  id: string;
  file: string;
  spec: ModelSpec;
  inputs: PlannedInputs;
  labels?: string;
}

/** Every model file the pipeline names, with its id, sorted by id; throws PipelineError on missing files. */
export function listModels(config: PipelineConfig): ListedModel[] {
  const issues: Issue[] = [];
  const owner = new Map<string, ModelSpec>();
  const issue = (spec: ModelSpec, message: string, key = '') =>
    issues.push({ line: spec.line, path: key ? `${spec.path}.${key}` : spec.path, message });

  // Files named explicitly claim them first; a glob that matches them again adds nothing.
  for (const spec of config.models.filter((s) => !s.isGlob)) {
    for (const file of expandPath(config, spec, issue)) {
      const earlier = owner.get(file);
      if (earlier) issue(spec, `${spec.pattern} is already listed by ${earlier.path} (line ${earlier.line})`);
      else owner.set(file, spec);
    }
  }
  for (const spec of config.models.filter((s) => s.isGlob)) {
    const files = expandGlob(config, spec.pattern);
    if (files.length === 0) issue(spec, `'${spec.pattern}' matches no .onnx file (from ${config.baseDir})`);
    for (const file of files) if (!owner.has(file)) owner.set(file, spec);
  }

  const files = [...owner.keys()];
  const ids = assignIds(files, (file) => owner.get(file)!.id);
  const seen = new Map<string, ModelSpec>();
  for (const spec of owner.values()) {
    if (spec.id === undefined) continue;
    const other = seen.get(spec.id);
    if (other) issue(spec, `id '${spec.id}' is also used by ${other.path} (line ${other.line})`, 'id');
    seen.set(spec.id, spec);
  }

  const listed = files.map((file) => {
    const spec = owner.get(file)!;
    return { id: ids.get(file)!, file, spec, inputs: inputsFor(file, spec, issue), ...labelsFor(file, spec, issue) };
  });
  if (issues.length > 0) throw new PipelineError(config.displayFile, issues);
  return listed.sort((a, b) => compare(a.id, b.id));
}

function expandPath(config: PipelineConfig, spec: ModelSpec, issue: (spec: ModelSpec, message: string) => void): string[] {
  const absolute = path.resolve(config.baseDir, spec.pattern);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    issue(spec, `no such file or folder: ${spec.pattern} (from ${config.baseDir})`);
    return [];
  }
  if (!isDirectory) return [absolute];
  const files = expandGlob(config, '**/*.onnx', absolute);
  if (files.length === 0) issue(spec, `the folder ${spec.pattern} holds no .onnx file`);
  return files;
}

/** Matches below `cwd` (default: the pipeline's folder), leaving out onnxpress's own outputs. */
function expandGlob(config: PipelineConfig, pattern: string, cwd = config.baseDir): string[] {
  const outPrefix = config.out + path.sep;
  return globSync(pattern, { cwd, absolute: true, onlyFiles: true })
    .map((p) => path.resolve(p))
    .filter((p) => p.toLowerCase().endsWith('.onnx') && !p.startsWith(outPrefix) && !p.split(path.sep).includes(CACHE_DIR_NAME))
    .sort(compare);
}

function inputsFor(file: string, spec: ModelSpec, issue: (s: ModelSpec, m: string, k?: string) => void): PlannedInputs {
  const random: PlannedInputs = { source: 'random' };
  if (spec.inputs === 'random') return random;
  if (spec.inputs !== undefined) {
    if (!isDirectory(spec.inputs)) issue(spec, `no such folder: ${spec.inputs}`, 'inputs');
    return { source: 'test-data', dir: spec.inputs };
  }
  const auto = path.join(path.dirname(file), 'test_data_set_0');
  return onlyModelInFolder(file) && isDirectory(auto) ? { source: 'test-data', dir: auto } : random;
}

function labelsFor(file: string, spec: ModelSpec, issue: (s: ModelSpec, m: string, k?: string) => void): { labels?: string } {
  if (spec.labels === false) return {};
  if (spec.labels !== undefined) {
    if (!existsSync(spec.labels)) issue(spec, `no such file: ${spec.labels}`, 'labels');
    return { labels: spec.labels };
  }
  const auto = path.join(path.dirname(file), 'labels.pb');
  return onlyModelInFolder(file) && existsSync(auto) ? { labels: auto } : {};
}

/** Test data and labels beside a model are taken as its own only when no other model shares the folder. */
function onlyModelInFolder(file: string): boolean {
  return readdirSync(path.dirname(file)).filter((name) => name.toLowerCase().endsWith('.onnx')).length === 1;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const GENERIC_STEMS = new Set(['model', 'model_quantized', 'model_optimized']);

/**
 * Ids from names: the file name without `.onnx`, or the folder name for a generic `model.onnx`. Files whose ids
 * collide take more of their folder path (`a_model`, `b_model`), and a number as the last resort.
 */
export function assignIds(files: readonly string[], explicit: (file: string) => string | undefined = () => undefined): Map<string, string> {
  const ids = new Map<string, string>();
  const depth = new Map<string, number>();
  const derived = files.filter((f) => explicit(f) === undefined);
  for (const f of files) {
    const fixed = explicit(f);
    if (fixed !== undefined) ids.set(f, fixed);
  }
  for (const f of derived) depth.set(f, 0);
  for (let round = 0; round < 64; round++) {
    for (const f of derived) ids.set(f, derivedId(f, depth.get(f)!));
    const groups = new Map<string, string[]>();
    for (const f of files) groups.set(ids.get(f)!, [...(groups.get(ids.get(f)!) ?? []), f]);
    let changed = false;
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      for (const f of group) {
        if (!depth.has(f)) continue;
        const next = depth.get(f)! + 1;
        if (derivedId(f, next) !== derivedId(f, depth.get(f)!)) {
          depth.set(f, next);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const taken = new Set<string>();
  for (const f of files.filter((file) => explicit(file) !== undefined)) taken.add(ids.get(f)!);
  for (const f of [...derived].sort(compare)) {
    const base = ids.get(f)!;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    ids.set(f, id);
    taken.add(id);
  }
  return ids;
}

function derivedId(file: string, depth: number): string {
  const stem = path.basename(file).replace(/\.onnx$/i, '');
  const folders = path
    .dirname(file)
    .split(/[\\/]+/)
    .filter(Boolean);
  const generic = GENERIC_STEMS.has(stem.toLowerCase());
  const take = Math.min(folders.length, depth + (generic ? 1 : 0));
  const parts = [...folders.slice(folders.length - take), ...(generic && take > 0 ? [] : [stem])];
  return sanitize(parts.join('_'));
}

function sanitize(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+|[._-]+$/g, '');
  return clean === '' ? 'model' : clean;
}
