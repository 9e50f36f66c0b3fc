/**
 * From a pipeline file to a PipelineConfig: parse, check every key against the schema (collecting all
 * problems, each with its line), then fill in defaults and resolve paths relative to the file.
 * Nothing is converted or run before this succeeds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import type { ConversionDef } from '../conversions/types.js';
import { builtInConversions } from '../conversions/builtins.js';
import { ConversionRegistry } from '../conversions/registry.js';
import { readError } from '../errors.js';
import { systemMessage } from '../io/read-bytes.js';
import { REPORT_FORMATS, type ReportFormat } from '../report/index.js';
import { groupMembers, normalizeValidateOptions, PLANNED_OPTIONS, validateOptionEntries, type RawValidateOptions } from '../validate/options.js';
import type { ConversionKind } from '../validate/types.js';
import { PipelineError } from './errors.js';
import { entryOf, parsePipelineText, toPlain, type Issue, type Located } from './parse.js';
import { camelCase, Checker, pipelineSchema } from './schema.js';
import type { ModelSpec, PassSpec, PipelineConfig, VariantSpec } from './types.js';
import { PRESET_NAMES, presetNamed, selectVariants, type PresetVariant } from '../variants/preset.js';

export interface LoadOptions {
  /** The conversions variants may use (default: the built-ins). */
  conversions?: ConversionRegistry | readonly ConversionDef[];
  /** How the file is named in messages (default: the path as given). */
  displayFile?: string;
}

/** Reads and checks a pipeline file; throws PipelineError listing every problem. */
export function loadPipeline(file: string, options: LoadOptions = {}): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw readError(`cannot read the pipeline file: ${systemMessage(e)}`, { file, cause: e });
  }
  return parsePipeline(text, file, options);
}

/** Checks and normalizes the text of a pipeline file that lives at `file`. */
export function parsePipeline(text: string, file: string, options: LoadOptions = {}): PipelineConfig {
  const displayFile = options.displayFile ?? file;
  const given = options.conversions ?? builtInConversions();
  const conversions = given instanceof ConversionRegistry ? given.list() : given;
  const { root, issues } = parsePipelineText(text);
  if (issues.length > 0) throw new PipelineError(displayFile, issues);
  if (root.kind !== 'map')
    throw new PipelineError(displayFile, [{ line: root.line, path: '', message: 'a pipeline file must be a mapping with models and variants' }]);

  const checker = new Checker();
  checker.check(pipelineSchema(conversions, variantNamesOf(root)), root, '');
  const extra: Issue[] = [];
  const baseDir = path.dirname(path.resolve(file));
  checkGlobIds(root, baseDir, extra);
  checkPresets(root, conversions, extra);
  if (checker.issues.length + extra.length > 0) throw new PipelineError(displayFile, [...checker.issues, ...extra]);

  const raw = toPlain(root) as RawPipeline;
  const config = normalize(raw, root, path.resolve(file), displayFile, conversions);
  return { ...config, identity: { name: config.name, hash: contentHash(raw) } };
}

/** SHA-256 of a parsed file's content as JSON with sorted keys: formatting, comments and key order do not count. */
export function contentHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        // defineProperty, so that a key named __proto__ stays a key.
        Object.defineProperty(out, key, { value: canonical((v as Record<string, unknown>)[key]), enumerable: true });
      }
      return out;
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

function variantNamesOf(root: Located): string[] {
  const variants = entryOf(root, 'variants')?.value;
  return variants?.kind === 'map' ? variants.entries.flatMap((e) => presetVariantsOf(e.value)?.map((v) => v.dtype) ?? [e.key]) : [];
}

/** The variants a `preset:` entry stands for (its `only` applied), or undefined for any other entry. */
function presetVariantsOf(node: Located): PresetVariant[] | undefined {
  const preset = entryOf(node, 'preset')?.value;
  if (preset?.kind !== 'scalar' || typeof preset.value !== 'string' || !PRESET_NAMES.includes(preset.value)) return undefined;
  const only = entryOf(node, 'only')?.value;
  const names = only?.kind === 'list' ? only.items.flatMap((i) => (i.kind === 'scalar' && typeof i.value === 'string' ? [i.value] : [])) : [];
  try {
    return selectVariants(presetNamed(preset.value), names);
  } catch {
    return undefined; // the schema reports the wrong name
  }
}

/** A preset's variants take the names of their dtypes, which no other variant may have; each needs its conversions. */
function checkPresets(root: Located, conversions: readonly ConversionDef[], issues: Issue[]): void {
  const variants = entryOf(root, 'variants')?.value;
  if (variants?.kind !== 'map') return;
  const owner = new Map<string, string>();
  for (const entry of variants.entries) {
    const expanded = presetVariantsOf(entry.value);
    for (const name of expanded?.map((v) => v.dtype) ?? [entry.key]) {
      const other = owner.get(name);
      if (other !== undefined)
        issues.push({ line: entry.line, path: `variants.${entry.key}`, message: `makes a variant named '${name}', as ${other} does` });
      else owner.set(name, `variants.${entry.key}`);
    }
    const only = entryOf(entry.value, 'only');
    for (const variant of (only ? expanded : []) ?? []) {
      const missing = variant.steps.find((s) => !conversions.some((c) => c.name === s.to));
      if (missing)
        issues.push({
          line: only!.line,
          path: `variants.${entry.key}.only`,
          message: `${variant.dtype} needs the conversion '${missing.to}', which is not available`,
        });
    }
  }
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
type RawVariant = RawStep | { chain: RawStep[] } | { preset: string; only?: string[] };
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
  /** Keys of validation options as VALIDATE_OPTIONS spells them for pipelines, and `runner`. */
  validate?: Record<string, unknown> & { runner?: string };
  report?: { dir?: string; formats?: ReportFormat[]; title?: string };
  timeout?: number;
}

function normalize(
  raw: RawPipeline,
  root: Located,
  file: string,
  displayFile: string,
  conversions: readonly ConversionDef[],
): Omit<PipelineConfig, 'identity'> {
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

  const variants: VariantSpec[] = Object.entries(raw.variants).flatMap(([variantName, v]): VariantSpec[] => {
    if (typeof v === 'object' && 'preset' in v) {
      return presetVariants(v as { preset: string; only?: string[] }, variantLines.get(variantName) ?? 1, raw.validate ?? {}, baseDir, conversions);
    }
    const steps: RawStep[] = typeof v === 'object' && 'chain' in v ? (v.chain as RawStep[]) : [v];
    const passes = steps.map((step) => passOf(step, conversions));
    const kind = kindOf(passes, conversions);
    return [
      {
        name: variantName,
        passes,
        kind,
        validate: variantValidateOptions(raw.validate ?? {}, variantName, kind, baseDir),
        line: variantLines.get(variantName) ?? 1,
      },
    ];
  });

  return {
    file,
    displayFile,
    baseDir,
    name,
    out,
    models,
    variants,
    validate: raw.validate?.runner !== undefined ? { runner: resolve(raw.validate.runner) } : {},
    report: {
      dir: raw.report?.dir !== undefined ? resolve(raw.report.dir) : out,
      formats: raw.report?.formats ? [...new Set(raw.report.formats)] : [...REPORT_FORMATS],
      title: raw.report?.title ?? name,
    },
    ...(raw.timeout !== undefined ? { timeout: raw.timeout } : {}),
  };
}

/**
 * A `preset:` entry's variants, named by dtype, each written as `<model stem><suffix>.onnx`. Without `only`, a
 * variant whose conversion is not available is left out (with `only`, checkPresets has reported it).
 */
function presetVariants(
  entry: { preset: string; only?: string[] },
  line: number,
  section: Record<string, unknown>,
  baseDir: string,
  conversions: readonly ConversionDef[],
): VariantSpec[] {
  const available = (v: PresetVariant) => v.steps.every((s) => conversions.some((c) => c.name === s.to));
  return selectVariants(presetNamed(entry.preset), entry.only ?? [])
    .filter(available)
    .map((variant) => {
      const passes = variant.steps.map((step) => passOf({ ...step.options, to: step.to }, conversions));
      const kind = kindOf(passes, conversions);
      return {
        name: variant.dtype,
        passes,
        kind,
        fileSuffix: variant.suffix,
        validate: variantValidateOptions(section, variant.dtype, kind, baseDir),
        line,
      };
    });
}

function linesOf(node: Located | undefined): number[] {
  return node?.kind === 'list' ? node.items.map((item) => item.line) : [];
}

function passOf(step: RawStep, conversions: readonly ConversionDef[]): PassSpec {
  const { to, threshold, ...given } = typeof step === 'string' ? { to: step, threshold: undefined } : step;
  const def = conversions.find((c) => c.name === to)!;
  const options: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(def.options)) {
    if (option.default !== undefined) options[camelCase(flag)] = option.default;
  }
  Object.assign(options, given);
  const thresholds =
    threshold && typeof threshold === 'object' ? Object.entries(threshold).map(([metric, limit]) => `${metric}=${String(limit)}`) : undefined;
  return { to, options: sortKeys(options), ...(thresholds ? { thresholds } : {}) };
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A variant's kind picks its default thresholds: the kind its conversions (other than `none`) share, if they share
 * one; `q4` for block-wise quantization followed by fp16 (q4f16 written as a chain, whose error is q4's); else
 * `other`.
 */
export function kindOf(passes: readonly PassSpec[], conversions: readonly ConversionDef[]): ConversionKind {
  const names = new Set(passes.map((p) => p.to).filter((n) => n !== 'none'));
  const kinds = new Set([...names].map((name) => conversions.find((c) => c.name === name)?.kind ?? 'other'));
  if (kinds.size === 1) return [...kinds][0]!;
  if (kinds.size === 2 && kinds.has('q4') && kinds.has('fp16')) return 'q4';
  return 'other';
}

/**
 * One variant's validation options from the `validate:` section: each option under the key VALIDATE_OPTIONS
 * gives it (a grouped one inside its group's mapping; a per-variant one as `'*'` merged with the variant's own),
 * the pipeline's default where the option has one, and the variant's kind; then normalized like any other.
 * What the plan fills in per model (the files, names, inputs, labels, dims) is left out.
 */
function variantValidateOptions(section: Record<string, unknown>, variant: string, kind: ConversionKind, baseDir: string): VariantSpec['validate'] {
  const mapping = (v: unknown): Record<string, unknown> | undefined =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const groups = groupMembers();
  const given: Record<string, unknown> = { kind };
  for (const [name, def] of validateOptionEntries()) {
    if (!('key' in def.pipeline)) continue;
    const spelling = def.pipeline;
    let value = def.group ? mapping(section[def.group])?.[spelling.key] : section[spelling.key];
    if (groups.has(name) && mapping(value)) value = true;
    if (spelling.perVariant && value !== undefined) value = { ...mapping(mapping(value)?.['*']), ...mapping(mapping(value)?.[variant]) };
    value ??= spelling.default;
    if (value !== undefined) given[name] = value;
  }
  return normalizeValidateOptions(given as Omit<RawValidateOptions, (typeof PLANNED_OPTIONS)[number]>, {
    leave: PLANNED_OPTIONS,
    surface: 'pipeline',
    baseDir,
  });
}
