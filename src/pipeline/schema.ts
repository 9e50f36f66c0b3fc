/**
 * The shape of a pipeline file, as data, and the checker that walks a parsed file against it.
 * Variant options come from the conversion registry (each ConversionDef's flags, in camelCase), and
 * threshold names from the validation metrics, so the schema is built per run by `pipelineSchema`.
 * docs/pipelines.md describes the same keys (a test keeps the two in step).
 */
import type { ConversionDef, ConversionOption } from '../conversions/types.js';
import { REPORT_FORMATS } from '../report/index.js';
import { groupMembers, validateOptionEntries, type OptionDef } from '../validate/options.js';
import { METRICS, isMetricName, parseThreshold } from '../validate/thresholds.js';
import { PRESET_NAMES, PRESETS } from '../variants/preset.js';
import { hasLadder } from '../search/ladder.js';
import type { Issue, Located } from './parse.js';

interface Base {
  describe: string;
}
export interface StringSpec extends Base {
  type: 'string';
  choices?: readonly string[];
  pattern?: { regex: RegExp; hint: string };
}
export interface BooleanSpec extends Base {
  type: 'boolean';
}
export interface NumberSpec extends Base {
  type: 'number';
  integer?: boolean;
  min?: number;
}
export interface FieldSpec {
  spec: Spec;
  required?: boolean;
}
export interface ObjectSpec extends Base {
  type: 'object';
  fields: Readonly<Record<string, FieldSpec>>;
}
/** A mapping whose keys the user names (variant names, dimension names). */
export interface RecordSpec extends Base {
  type: 'record';
  keyChoices?: readonly string[];
  keyPattern?: { regex: RegExp; hint: string };
  values: Spec;
  nonEmpty?: boolean;
}
export interface ListSpec extends Base {
  type: 'list';
  items: Spec;
  nonEmpty?: boolean;
}
/** The first option whose shape matches the value applies. */
export interface OneOfSpec extends Base {
  type: 'oneOf';
  options: readonly Spec[];
}
/** Checks that depend on the value itself (a variant's options depend on its `to`). */
export interface CustomSpec extends Base {
  type: 'custom';
  expected: string;
  shape: 'map' | 'any';
  check(node: Located, path: string, checker: Checker): void;
}
export type Spec = StringSpec | BooleanSpec | NumberSpec | ObjectSpec | RecordSpec | ListSpec | OneOfSpec | CustomSpec;

export class Checker {
  readonly issues: Issue[] = [];

  report(line: number, path: string, message: string): void {
    this.issues.push({ line, path, message });
  }

  /** Checks `node` against `spec`; `keyLine` is the line of the key that holds it (for "missing key" errors). */
  check(spec: Spec, node: Located, path: string, keyLine = node.line): void {
    switch (spec.type) {
      case 'string':
        return this.checkString(spec, node, path);
      case 'boolean':
        if (node.kind !== 'scalar' || typeof node.value !== 'boolean') this.wrongType(spec, node, path);
        return;
      case 'number':
        return this.checkNumber(spec, node, path);
      case 'object':
        return this.checkObject(spec, node, path, keyLine);
      case 'record':
        return this.checkRecord(spec, node, path);
      case 'list':
        if (node.kind !== 'list') return this.wrongType(spec, node, path);
        if (spec.nonEmpty && node.items.length === 0) this.report(node.line, path, 'must list at least one item');
        node.items.forEach((item, i) => this.check(spec.items, item, `${path}[${i}]`));
        return;
      case 'oneOf': {
        const option = spec.options.find((o) => fitsShape(o, node));
        if (!option) return this.wrongType(spec, node, path);
        return this.check(option, node, path, keyLine);
      }
      case 'custom':
        if (spec.shape === 'map' && node.kind !== 'map') return this.wrongType(spec, node, path);
        return spec.check(node, path, this);
    }
  }

  wrongType(spec: Spec, node: Located, path: string): void {
    this.report(node.line, path, `expected ${expectedOf(spec)}, got ${describeValue(node)}`);
  }

  private checkString(spec: StringSpec, node: Located, path: string): void {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') return this.wrongType(spec, node, path);
    const value = node.value;
    if (spec.choices && !spec.choices.includes(value)) {
      const hint = suggest(value, spec.choices);
      this.report(node.line, path, `'${value}' is not one of ${spec.choices.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
    } else if (value.trim() === '') {
      this.report(node.line, path, 'must not be empty');
    } else if (spec.pattern && !spec.pattern.regex.test(value)) {
      this.report(node.line, path, `'${value}' ${spec.pattern.hint}`);
    }
  }

  private checkNumber(spec: NumberSpec, node: Located, path: string): void {
    if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isFinite(node.value)) return this.wrongType(spec, node, path);
    if ((spec.integer && !Number.isInteger(node.value)) || (spec.min !== undefined && node.value < spec.min)) this.wrongType(spec, node, path);
  }

  private checkObject(spec: ObjectSpec, node: Located, path: string, keyLine: number): void {
    if (node.kind !== 'map') return this.wrongType(spec, node, path);
    const known = Object.keys(spec.fields);
    for (const entry of node.entries) {
      const field = spec.fields[entry.key];
      const where = join(path, entry.key);
      if (!field || !Object.hasOwn(spec.fields, entry.key)) {
        this.report(entry.line, where, unknownKeyMessage(entry.key, known));
        continue;
      }
      this.check(field.spec, entry.value, where, entry.line);
    }
    for (const [key, field] of Object.entries(spec.fields)) {
      if (field.required && !node.entries.some((e) => e.key === key)) {
        this.report(node.entries.length > 0 ? keyLine : node.line, path || key, path ? `missing required key '${key}'` : 'missing required key');
      }
    }
  }

  private checkRecord(spec: RecordSpec, node: Located, path: string): void {
    if (node.kind !== 'map') return this.wrongType(spec, node, path);
    if (spec.nonEmpty && node.entries.length === 0) this.report(node.line, path, 'must have at least one entry');
    for (const entry of node.entries) {
      const where = join(path, entry.key);
      if (spec.keyChoices && !spec.keyChoices.includes(entry.key)) {
        this.report(entry.line, where, unknownKeyMessage(entry.key, spec.keyChoices));
        continue;
      }
      if (spec.keyPattern && !spec.keyPattern.regex.test(entry.key)) {
        this.report(entry.line, where, `'${entry.key}' ${spec.keyPattern.hint}`);
        continue;
      }
      this.check(spec.values, entry.value, where, entry.line);
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function fitsShape(spec: Spec, node: Located): boolean {
  switch (spec.type) {
    case 'string':
      return node.kind === 'scalar' && typeof node.value === 'string';
    case 'boolean':
      return node.kind === 'scalar' && typeof node.value === 'boolean';
    case 'number':
      return node.kind === 'scalar' && typeof node.value === 'number';
    case 'object':
    case 'record':
      return node.kind === 'map';
    case 'list':
      return node.kind === 'list';
    case 'oneOf':
      return spec.options.some((o) => fitsShape(o, node));
    case 'custom':
      return spec.shape === 'any' || node.kind === 'map';
  }
}

export function expectedOf(spec: Spec): string {
  switch (spec.type) {
    case 'string':
      return spec.choices ? `one of ${spec.choices.join(', ')}` : 'a string';
    case 'boolean':
      return 'true or false';
    case 'number':
      if (spec.integer) return spec.min === 1 ? 'a positive integer' : spec.min === 0 ? 'a non-negative integer' : 'an integer';
      return spec.min !== undefined ? `a number >= ${spec.min}` : 'a number';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'list':
      return 'a list';
    case 'oneOf':
      return spec.options.map(expectedOf).join(' or ');
    case 'custom':
      return spec.expected;
  }
}

export function describeValue(node: Located): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'list') return 'a list';
  const v = node.value;
  if (v === null) return 'nothing (null)';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'boolean') return String(v);
  return `the number ${v}`;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = suggest(key, known);
  if (hint) return `unknown key (did you mean ${hint}?)`;
  return known.length > 0 ? `unknown key (expected one of: ${known.join(', ')})` : 'unknown key (none are allowed here)';
}

export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The candidate the user probably meant: same letters ignoring case and dashes, or within a small edit distance. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const folded = candidates.find((c) => fold(c) === fold(word));
  if (folded) return folded;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------------------------------------------
// The pipeline file

/** Variant names become file names (`<out>/<model>/<variant>.onnx`). */
export const NAME_PATTERN = {
  regex: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  hint: 'must be letters, digits, ".", "_" or "-", starting with a letter or digit',
};

function optionSpec(option: ConversionOption): Spec {
  const describe = option.describe;
  switch (option.type) {
    case 'boolean':
      return { type: 'boolean', describe };
    case 'number':
      return { type: 'number', describe };
    case 'string':
      return { type: 'string', describe, ...(option.choices ? { choices: option.choices } : {}) };
    case 'array': {
      const item: StringSpec = { type: 'string', describe, ...(option.choices ? { choices: option.choices } : {}) };
      // A list, one string (conversions split comma-separated lists as the CLI does), or true: the flag given
      // without values (fp16's keepIoTypes: true keeps every graph input and output).
      return { type: 'oneOf', describe, options: [{ type: 'list', describe, items: item }, item, { type: 'boolean', describe }] };
    }
  }
}

/** The keys of one conversion step: `to` and the conversion's options in camelCase. */
export function conversionStepSpec(def: ConversionDef, names: readonly string[]): ObjectSpec {
  const fields: Record<string, FieldSpec> = { to: { spec: { type: 'string', describe: 'the conversion', choices: names }, required: true } };
  for (const [flag, option] of Object.entries(def.options)) fields[camelCase(flag)] = { spec: optionSpec(option) };
  // An accuracy-guided conversion (`convert --threshold`): limits the converted model must meet on the model's inputs.
  if (hasLadder(def.name)) fields.threshold = { spec: thresholdValues };
  return { type: 'object', describe: `options of ${def.name}`, fields };
}

function stepSpec(conversions: readonly ConversionDef[]): Spec {
  const names = conversions.map((c) => c.name);
  const byName: Spec = { type: 'string', describe: 'a conversion name', choices: names };
  const asMap: CustomSpec = {
    type: 'custom',
    shape: 'map',
    expected: 'a mapping with `to`',
    describe: 'one conversion and its options',
    check(node, path, checker) {
      if (node.kind !== 'map') return;
      const to = node.entries.find((e) => e.key === 'to');
      const toValue = to?.value.kind === 'scalar' ? to.value.value : undefined;
      const def = conversions.find((c) => c.name === toValue);
      if (to && !def) {
        checker.check(byName, to.value, `${path}.to`);
        return;
      }
      if (!to && node.entries.some((e) => e.key === 'chain')) {
        checker.report(node.line, path, '`chain` cannot be nested inside a chain step');
        return;
      }
      // Without a valid `to`, check against the union of all options so that unknown keys are still reported.
      const spec = def ? conversionStepSpec(def, names) : unionStepSpec(conversions, names);
      checker.check(spec, node, path);
    },
  };
  return { type: 'oneOf', describe: 'a conversion', options: [byName, asMap] };
}

function unionStepSpec(conversions: readonly ConversionDef[], names: readonly string[]): ObjectSpec {
  const fields: Record<string, FieldSpec> = {};
  for (const def of conversions) Object.assign(fields, conversionStepSpec(def, names).fields);
  fields.to = { spec: { type: 'string', describe: 'the conversion', choices: names }, required: true };
  return { type: 'object', describe: 'a conversion step', fields };
}

/** A `preset:` variant entry: it stands for the preset's variants (docs/pipelines.md, "Presets"). */
export const PRESET_VARIANT_SPEC: ObjectSpec = {
  type: 'object',
  describe: "a preset's variants",
  fields: {
    preset: { spec: { type: 'string', describe: 'the preset', choices: PRESET_NAMES }, required: true },
    only: {
      spec: {
        type: 'list',
        describe: 'only these of its variants',
        nonEmpty: true,
        items: { type: 'string', describe: 'a dtype', choices: [...new Set(Object.values(PRESETS).flatMap((p) => p.variants.map((v) => v.dtype)))] },
      },
    },
  },
};

function variantSpec(conversions: readonly ConversionDef[]): Spec {
  const step = stepSpec(conversions);
  const chain: ObjectSpec = {
    type: 'object',
    describe: 'conversions applied in order',
    fields: { chain: { spec: { type: 'list', describe: 'the steps', items: step, nonEmpty: true }, required: true } },
  };
  const variant: CustomSpec = {
    type: 'custom',
    shape: 'any',
    expected: 'a conversion name or a mapping with `to` (or `chain`)',
    describe: "a named conversion with options, a chain of them, or a preset's variants",
    check(node, path, checker) {
      if (node.kind === 'map' && node.entries.some((e) => e.key === 'preset')) checker.check(PRESET_VARIANT_SPEC, node, path);
      else if (node.kind === 'map' && node.entries.some((e) => e.key === 'chain')) checker.check(chain, node, path);
      else if (node.kind === 'map' || (node.kind === 'scalar' && typeof node.value === 'string')) checker.check(step, node, path);
      else checker.wrongType(variant, node, path);
    },
  };
  return variant;
}

const thresholdValues: CustomSpec = {
  type: 'custom',
  shape: 'map',
  expected: 'a mapping of metric names to limits',
  describe: 'limits by metric (`cosine: 0.999`, `top1@logits: 0.95`, `accuracy-drop: 0.5%`)',
  check(node, path, checker) {
    if (node.kind !== 'map') return;
    for (const entry of node.entries) {
      const where = `${path}.${entry.key}`;
      const metric = entry.key.split('@')[0]!.toLowerCase();
      if (!isMetricName(metric)) {
        checker.report(entry.line, where, unknownKeyMessage(entry.key, Object.keys(METRICS)));
        continue;
      }
      const v = entry.value;
      if (v.kind !== 'scalar' || (typeof v.value !== 'number' && typeof v.value !== 'string')) {
        checker.report(v.line, where, `expected a number or a percentage such as '0.5%', got ${describeValue(v)}`);
        continue;
      }
      try {
        parseThreshold(`${entry.key}=${v.value}`);
      } catch (e) {
        checker.report(v.line, where, (e as Error).message);
      }
    }
  },
};

/**
 * The `validate:` section: a key for every validation option a pipeline spells as one (VALIDATE_OPTIONS in
 * src/validate/options.ts; grouped options inside their group's mapping, `latency: { warmup, rounds }`), and
 * `runner`.
 */
function validateSectionSpec(variantNames: readonly string[]): ObjectSpec {
  const groups = groupMembers();
  const byName = new Map(validateOptionEntries());
  const keyOf = (def: OptionDef): string | undefined => ('key' in def.pipeline ? def.pipeline.key : undefined);
  const fields: Record<string, FieldSpec> = {};
  for (const [name, def] of byName) {
    const key = keyOf(def);
    if (key === undefined || def.group) continue;
    const members = groups.get(name);
    if (!members) {
      fields[key] = { spec: optionValueSpec(def, variantNames) };
      continue;
    }
    // A group option: true or false, or a mapping of its members' keys (which turns it on).
    const memberFields: Record<string, FieldSpec> = {};
    for (const member of members) {
      const memberDef = byName.get(member)!;
      const memberKey = keyOf(memberDef);
      if (memberKey !== undefined) memberFields[memberKey] = { spec: optionValueSpec(memberDef, variantNames) };
    }
    fields[key] = {
      spec: {
        type: 'oneOf',
        describe: def.describe,
        options: [optionValueSpec(def, variantNames), { type: 'object', describe: `${key} settings`, fields: memberFields }],
      },
    };
  }
  fields.runner = { spec: { type: 'string', describe: 'an ES module whose `validate` export validates one variant' } };
  return { type: 'object', describe: 'validation settings', fields };
}

/** How a pipeline file writes the value of one validation option. */
function optionValueSpec(def: OptionDef, variantNames: readonly string[]): Spec {
  const describe = def.describe;
  const value = def.value;
  switch (value.type) {
    case 'boolean':
      return { type: 'boolean', describe };
    case 'integer':
      return { type: 'number', describe, integer: true, ...(value.min !== undefined ? { min: value.min } : {}) };
    case 'seconds':
      return { type: 'number', describe, min: 1 };
    case 'string':
      return { type: 'string', describe, ...(value.choices ? { choices: value.choices } : {}) };
    case 'path':
    case 'providers':
      return { type: 'string', describe };
    case 'paths':
      return { type: 'list', describe, items: { type: 'string', describe } };
    case 'dims':
      return { type: 'record', describe, values: { type: 'number', describe: 'size', integer: true, min: 1 } };
    case 'bootstrap':
      return {
        type: 'object',
        describe,
        fields: Object.fromEntries(['resamples', 'seed', 'confidence'].map((k) => [k, { spec: { type: 'number', describe: k } }])),
      };
    case 'thresholds': {
      const values = thresholdValues;
      const perVariant = 'key' in def.pipeline && def.pipeline.perVariant;
      return perVariant
        ? { type: 'record', describe: "thresholds for every variant ('*') or one", keyChoices: ['*', ...variantNames], values }
        : values;
    }
  }
}

/** The whole pipeline file. `variantNames` are the names under `variants:` (thresholds may name them). */
export function pipelineSchema(conversions: readonly ConversionDef[], variantNames: readonly string[]): ObjectSpec {
  const path = (describe: string): StringSpec => ({ type: 'string', describe });
  const model: ObjectSpec = {
    type: 'object',
    describe: 'a model and how to validate it',
    fields: {
      path: { spec: path('a model file, a folder (every .onnx below it) or a glob'), required: true },
      id: { spec: { type: 'string', describe: 'the name in reports and output paths', pattern: NAME_PATTERN } },
      inputs: { spec: path("a test-data folder of input_N.pb files, or 'random'") },
      labels: {
        spec: { type: 'oneOf', describe: 'labels', options: [path('a labels.pb file'), { type: 'boolean', describe: 'false: no accuracy' }] },
      },
      dims: {
        spec: {
          type: 'record',
          describe: 'values for symbolic input dimensions',
          values: { type: 'number', describe: 'size', integer: true, min: 1 },
        },
      },
    },
  };
  return {
    type: 'object',
    describe: 'a pipeline',
    fields: {
      name: { spec: { type: 'string', describe: 'the pipeline name' } },
      out: { spec: path('where variants go: <out>/<model>/<variant>.onnx') },
      models: {
        spec: {
          type: 'list',
          describe: 'models',
          nonEmpty: true,
          items: { type: 'oneOf', describe: 'a model', options: [path('a model path or glob'), model] },
        },
        required: true,
      },
      variants: {
        spec: { type: 'record', describe: 'variants by name', keyPattern: NAME_PATTERN, values: variantSpec(conversions), nonEmpty: true },
        required: true,
      },
      validate: { spec: validateSectionSpec(variantNames) },
      timeout: { spec: { type: 'number', describe: 'seconds one variant may take to convert and validate', min: 1 } },
      report: {
        spec: {
          type: 'object',
          describe: 'report settings',
          fields: {
            dir: { spec: path('where reports go') },
            formats: {
              spec: { type: 'list', describe: 'formats', nonEmpty: true, items: { type: 'string', describe: 'a format', choices: REPORT_FORMATS } },
            },
            title: { spec: { type: 'string', describe: 'the summary title' } },
          },
        },
      },
    },
  };
}
