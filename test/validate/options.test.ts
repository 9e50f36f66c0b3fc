/**
 * The one definition of validate's options (src/validate/options.ts): every option reaches the normalized options
 * with the same value whichever way it is given: as the library spells it, as a flag of `onnxpress validate`, or in
 * a pipeline file. The test reads the definition, so an option added there is checked here without an edit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateCommand, validateInputFromArgs, type ValidateArgs } from '../../src/cli/validate.js';
import { loadPipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { decodeTask, encodeTask } from '../../src/pipeline/task.js';
import {
  normalizeValidateOptions,
  PLANNED_OPTIONS,
  validateOptionEntries,
  VALIDATE_OPTIONS,
  type NormalizedValidateOptions,
  type OptionDef,
  type RawValidateOptions,
  type ValidateOptionName,
} from '../../src/validate/options.js';
import { validate } from '../../src/validate/validate.js';
import { tempDir, writeFile, writeTinyModel } from '../pipeline/helpers.js';

const MODELS = { baseline: 'a.onnx', candidate: 'b.onnx' };

/** What the library makes of `{ [name]: value }`: the value every other spelling must arrive at. */
function expected(name: ValidateOptionName, value: unknown, baseDir: string): unknown {
  return normalizeValidateOptions({ ...MODELS, [name]: value } as RawValidateOptions, { baseDir })[name];
}

/** The value a surface is sent: the example, or for a boolean the opposite of what that surface defaults to. */
function sample(def: OptionDef, surfaceDefault: unknown = def.default): unknown {
  return def.value.type === 'boolean' ? !surfaceDefault : def.example;
}

/** Command-line words giving `value` to an option (by the type of its value). */
function cliWords(def: OptionDef, value: unknown): string[] {
  if (!('flag' in def.cli)) return [];
  const flag = def.cli.flag;
  switch (def.value.type) {
    case 'boolean':
      return [value ? `--${flag}` : `--no-${flag}`];
    case 'dims':
      return [`--${flag}`, ...Object.entries(value as Record<string, number>).map(([k, v]) => `${k}=${v}`)];
    case 'paths':
    case 'thresholds':
      return [`--${flag}`, ...(value as string[])];
    case 'providers':
      return [`--${flag}`, (value as string[])[0]!];
    default:
      return [`--${flag}`, String(value)];
  }
}

/** How a pipeline file writes `value` for an option (by the type of its value), as YAML flow syntax. */
function yamlValue(def: OptionDef, value: unknown): string {
  switch (def.value.type) {
    case 'thresholds': {
      const pairs = (value as string[]).map((t) => t.split('=')).map(([k, v]) => `${JSON.stringify(k)}: ${v}`);
      return `{ '*': { ${pairs.join(', ')} } }`;
    }
    case 'providers':
    case 'paths':
      return JSON.stringify((value as string[])[0]);
    default:
      return JSON.stringify(value);
  }
}

const entries = validateOptionEntries();

describe('the definition', () => {
  it('gives every option a flag and a pipeline spelling, or says why not', () => {
    for (const [name, def] of entries) {
      if ('none' in def.cli) expect(def.cli.none.length, name).toBeGreaterThan(10);
      if ('none' in def.pipeline) expect(def.pipeline.none.length, name).toBeGreaterThan(10);
    }
    // The spellings users rely on, declared once.
    expect(VALIDATE_OPTIONS.iterations.cli).toMatchObject({ flag: 'iterations' });
    expect(VALIDATE_OPTIONS.iterations).toMatchObject({ group: 'latency', pipeline: { key: 'rounds' } });
    expect(VALIDATE_OPTIONS.providers).toMatchObject({ cli: { flag: 'provider' }, pipeline: { key: 'executionProvider' } });
    expect(VALIDATE_OPTIONS.thresholds.cli).toMatchObject({ flag: 'threshold' });
    expect([...PLANNED_OPTIONS].sort()).toEqual(['baseline', 'baselineName', 'candidate', 'candidateName', 'dims', 'inputs', 'labels']);
  });

  it('has an example for every option that differs from its default', () => {
    for (const [name, def] of entries) {
      const normalized = expected(name, def.example, '/base');
      const fallback = normalizeValidateOptions(MODELS, { baseDir: '/base' })[name];
      expect(normalized, name).not.toEqual(fallback);
    }
  });

  it('normalizes to plain JSON, and normalizing again changes nothing', () => {
    const input = Object.fromEntries(entries.map(([name, def]) => [name, def.example])) as unknown as RawValidateOptions;
    const once = normalizeValidateOptions(input, { baseDir: '/base' });
    expect(JSON.parse(JSON.stringify(once))).toEqual(once);
    expect(normalizeValidateOptions(once, { baseDir: '/elsewhere' })).toEqual(once);
    expect(once).toMatchObject({
      baseline: '/base/model.onnx',
      inputs: ['/base/test_data_set_0'],
      providers: ['webgpu'],
      thresholds: [
        { metric: 'cosine', limit: 0.99, direction: 'min', source: 'user' },
        { metric: 'top1', output: 'logits', limit: 0.9, direction: 'min', source: 'user' },
      ],
    });
  });

  it('fills every default', () => {
    const normalized = normalizeValidateOptions(MODELS, { baseDir: '/base' });
    // Only options that are neither required nor defaulted can be absent.
    const absent = entries.filter(([, def]) => def.default === undefined && !def.required).map(([name]) => name);
    expect(Object.keys(normalized).sort()).toEqual(
      entries
        .map(([name]) => name)
        .filter((n) => !absent.includes(n))
        .sort(),
    );
    expect(normalized).toMatchObject({
      baseline: '/base/a.onnx',
      candidate: '/base/b.onnx',
      baselineName: 'a.onnx',
      candidateName: 'b.onnx',
      inputs: [],
      seed: 0,
      dims: {},
      thresholds: [],
      defaultThresholds: true,
      latency: false,
      warmup: 5,
      threads: 2,
      interOpThreads: 1,
      graphOptimizationLevel: 'all',
      providers: ['cpu'],
      baselineProvider: ['cpu'],
      allowConsoleErrors: false,
      bootstrap: { resamples: 2000, seed: 1, confidence: 0.95 },
    } satisfies NormalizedValidateOptions);
    // iterations: absent means 50 rounds, or more for a model faster than 1 ms a round (decided while timing).
    expect(absent.sort()).toEqual(['browser', 'iterations', 'kind', 'labels', 'labelsOutput', 'samples', 'timeout']);
  });

  it("defaults the baseline's provider to the candidate's, and refuses a web provider mixed with others", () => {
    expect(normalizeValidateOptions({ ...MODELS, providers: 'web-webgpu' }).baselineProvider).toEqual(['web-webgpu']);
    expect(normalizeValidateOptions({ ...MODELS, providers: 'web-webgpu', baselineProvider: 'cpu' }).baselineProvider).toEqual(['cpu']);
    expect(() => normalizeValidateOptions({ ...MODELS, providers: ['web-webgpu', 'cpu'] })).toThrow(
      /web-webgpu cannot be combined with other providers/,
    );
  });
});

describe('every option with a flag', () => {
  const cwd = process.cwd();
  const withFlag = entries.filter(([, def]) => 'flag' in def.cli);

  it.each(withFlag.map(([name, def]) => [name, def] as const))('%s arrives from the command line with the same value', (name, def) => {
    const value = sample(def);
    const given: Record<string, unknown> = { ...MODELS, [name]: value };
    const words = Object.entries(given).flatMap(([n, v]) => cliWords(VALIDATE_OPTIONS[n as ValidateOptionName], v));
    const args = validateCommand.builder(yargs([])).strict().parseSync(words) as unknown as ValidateArgs;
    const normalized = normalizeValidateOptions(validateInputFromArgs(args), { surface: 'cli' });
    expect(normalized[name]).toEqual(expected(name, value, cwd));
  });

  it('all of them at once', () => {
    const words = withFlag.flatMap(([, def]) => cliWords(def, sample(def)));
    const args = validateCommand.builder(yargs([])).strict().parseSync(words) as unknown as ValidateArgs;
    const normalized = normalizeValidateOptions(validateInputFromArgs(args), { surface: 'cli' });
    for (const [name, def] of withFlag) expect(normalized[name], name).toEqual(expected(name, sample(def), cwd));
  });
});

describe('every option a pipeline spells', () => {
  it('arrives in the options the validator receives, with the same value; the others are filled in by the pipeline', () => {
    const root = tempDir();
    const dir = path.join(root, 'pipelines');
    const model = writeTinyModel(path.join(root, 'models/m.onnx'));
    const validateKeys: string[] = [];
    const groups: Record<string, string[]> = {};
    const modelKeys: string[] = [];
    const sent = new Map<ValidateOptionName, unknown>();
    for (const [name, def] of entries) {
      const spelling = def.pipeline;
      if ('key' in spelling) {
        const value = sample(def, spelling.default ?? def.default);
        sent.set(name, value);
        const line = `${spelling.key}: ${yamlValue(def, value)}`;
        if (def.group) (groups[def.group] ??= []).push(line);
        else validateKeys.push(line);
      } else if ('modelKey' in spelling) {
        const value = def.example;
        sent.set(name, value);
        modelKeys.push(`${spelling.modelKey}: ${yamlValue(def, value)}`);
      }
    }
    // Grouped options go inside their group's mapping, which turns the group on.
    for (const [group, lines] of Object.entries(groups)) {
      const at = validateKeys.findIndex((l) => l.startsWith(`${group}:`));
      validateKeys.splice(at, 1, `${group}: { ${lines.join(', ')} }`);
      sent.set(group as ValidateOptionName, true);
    }
    // What model keys name must exist.
    mkdirSync(path.join(dir, String((VALIDATE_OPTIONS.inputs.example as string[])[0])), { recursive: true });
    writeFileSync(path.join(dir, String(VALIDATE_OPTIONS.labels.example)), 'labels');
    const file = writeFile(
      path.join(dir, 'p.yaml'),
      `models:\n  - { path: ../models/m.onnx, id: mine, ${modelKeys.join(', ')} }\nvariants: { q: int8 }\nvalidate:\n${validateKeys.map((l) => `  ${l}`).join('\n')}\n`,
    );
    const plan = planPipeline(loadPipeline(file));
    const variant = plan.models[0]!.variants[0]!;
    const options = variant.validate;

    for (const [name, value] of sent) expect(options[name], name).toEqual(expected(name, value, dir));
    const filled: Record<string, unknown> = {
      'model file': model,
      'model id': 'mine',
      'variant output': variant.output,
      'variant name': 'q',
      'variant kind': 'int8',
    };
    for (const [name, def] of entries) {
      if ('from' in def.pipeline) expect(options[name], name).toEqual(filled[def.pipeline.from]);
      if ('none' in def.pipeline) expect(options[name], name).toEqual(normalizeValidateOptions(MODELS)[name]);
    }
    // It travels to the worker as it is.
    const task = decodeTask(encodeTask({ model: 'mine', input: model, variants: [{ variant: 'q', passes: [], output: variant.output, options }] }));
    expect(task.variants[0]!.options).toEqual(options);
  });
});

describe('normalizeValidateOptions', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes the latency settings nested, as the library always has, or flat', () => {
    const nested = normalizeValidateOptions({ ...MODELS, latency: { warmup: 2, iterations: 7 } });
    expect(nested).toMatchObject({ latency: true, warmup: 2, iterations: 7 });
    expect(normalizeValidateOptions({ ...MODELS, latency: true, warmup: 2, iterations: 7 })).toEqual(nested);
    expect(normalizeValidateOptions({ ...MODELS, latency: {} })).toMatchObject({ latency: true, warmup: 5 });
    expect(normalizeValidateOptions({ ...MODELS, latency: {} }).iterations).toBeUndefined();
    expect(() => normalizeValidateOptions({ ...MODELS, latency: { iterations: 7 }, iterations: 8 })).toThrow(
      /latency\.iterations is 7 but iterations is 8/,
    );
  });

  it('reports unknown options once, in one warning, and ignores them', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const options = normalizeValidateOptions({ ...MODELS, iteratons: 3, latency: { rounds: 2 } } as unknown as RawValidateOptions);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^unknown validate options ignored: iteratons, latency\.rounds \(known: baseline, /);
    expect(options).toMatchObject({ latency: true });
    expect(options.iterations).toBeUndefined();
  });

  it('names a wrong option as the caller spells it', () => {
    const wrong = (input: Partial<RawValidateOptions>, surface?: 'cli') => () => normalizeValidateOptions({ ...MODELS, ...input }, { surface });
    expect(wrong({ threads: 0 })).toThrow(/^threads must be a positive integer, got 0$/);
    expect(wrong({ threads: 0 }, 'cli')).toThrow(/^--threads must be a positive integer, got 0$/);
    expect(wrong({ interOpThreads: 1.5 })).toThrow(/^inter-op threads must be a positive integer, got 1.5$/);
    expect(wrong({ warmup: -1 })).toThrow(/^warmup must be a non-negative integer, got -1$/);
    expect(wrong({ timeout: 0 })).toThrow(/^timeout 0: expected a number of seconds above 0$/);
    expect(wrong({ dims: ['batch=x'] }, 'cli')).toThrow(/^--dims batch=x: expected NAME=VALUE with a non-negative integer VALUE$/);
    expect(wrong({ thresholds: ['cosin=0.9'] }, 'cli')).toThrow(/^--threshold: unknown threshold metric "cosin"/);
    expect(wrong({ providers: [] })).toThrow(/^name at least one execution provider$/);
    expect(wrong({ kind: 'fp8' as never })).toThrow(/^kind fp8: expected one of fp16, int8, q4, other$/);
    expect(() => normalizeValidateOptions({ baseline: 'a.onnx' } as RawValidateOptions)).toThrow(/^candidate is required$/);
  });

  it('keeps the NAME= of an input file, and reads dims and thresholds in each of their forms', () => {
    const options = normalizeValidateOptions(
      { ...MODELS, inputs: ['ids=x.npy', 'data'], dims: 'batch=2, seq=8', thresholds: { cosine: 0.99, 'accuracy-drop': '1%' } },
      { baseDir: '/b' },
    );
    expect(options.inputs).toEqual(['ids=/b/x.npy', '/b/data']);
    expect(options.dims).toEqual({ batch: 2, seq: 8 });
    expect(options.thresholds.map((t) => [t.metric, t.limit])).toEqual([
      ['cosine', 0.99],
      ['accuracy-drop', 0.01],
    ]);
    expect(normalizeValidateOptions({ ...MODELS, thresholds: 'cosine=0.9,top1@logits=0.5' }).thresholds).toHaveLength(2);
  });

  it('runs before validate() touches a model', async () => {
    await expect(validate({ baseline: 'no-such.onnx', candidate: 'no-such.onnx', threads: 0 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'threads must be a positive integer, got 0',
    });
  });
});
