import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/pipeline/errors.js';
import { loadPipeline, parsePipeline } from '../../src/pipeline/normalize.js';
import { suggest } from '../../src/pipeline/schema.js';
import { FAKE_CONVERSIONS, tempDir, writeFile } from './helpers.js';

const FILE = '/project/pipelines/p.yaml';

function parse(text: string) {
  return parsePipeline(text, FILE, { conversions: FAKE_CONVERSIONS, displayFile: 'pipelines/p.yaml' });
}

function errorsOf(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    expect((e as PipelineError).code).toBe('E_PIPELINE');
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the pipeline to be rejected');
}

const VALID = `models: [a.onnx]
variants:
  fp16: { to: fp16, keepIoTypes: true }
  int8: { to: int8, perChannel: true }
`;

describe('pipeline file errors name the file, the line and the key', () => {
  it('an unknown key, with the key it resembles', () => {
    const text = `models:
  - a.onnx
variants:
  int8:
    to: int8
    perChanel: true
`;
    expect(errorsOf(text)).toEqual(['pipelines/p.yaml:6: variants.int8.perChanel: unknown key (did you mean perChannel?)']);
  });

  it('a kebab-case flag name points to its camelCase pipeline key', () => {
    expect(errorsOf(`models: [a.onnx]\nvariants:\n  f: { to: fp16, keep-io-types: true }\n`)).toEqual([
      'pipelines/p.yaml:3: variants.f.keep-io-types: unknown key (did you mean keepIoTypes?)',
    ]);
  });

  it('a wrong type, at the line of the value', () => {
    const text = `models: [a.onnx]
variants:
  int8:
    to: int8
    perChannel: yes
    minElements: many
`;
    expect(errorsOf(text)).toEqual([
      "pipelines/p.yaml:5: variants.int8.perChannel: expected true or false, got the string 'yes'",
      "pipelines/p.yaml:6: variants.int8.minElements: expected a number, got the string 'many'",
    ]);
  });

  it('a timeout below one second', () => {
    expect(errorsOf(`models: [a.onnx]\nvariants: { c: none }\ntimeout: 0.5\n`)).toEqual([
      'pipelines/p.yaml:3: timeout: expected a number >= 1, got the number 0.5',
    ]);
  });

  it('every problem at once, sorted by line', () => {
    const text = `name: x
modles: [a.onnx]
variants:
  q: { to: int9 }
validate:
  latency: { rounds: 0 }
report:
  formats: [json, pdf]
`;
    expect(errorsOf(text)).toEqual([
      'pipelines/p.yaml:1: models: missing required key',
      'pipelines/p.yaml:2: modles: unknown key (did you mean models?)',
      "pipelines/p.yaml:4: variants.q.to: 'int9' is not one of none, fp16, int8 (did you mean int8?)",
      'pipelines/p.yaml:6: validate.latency.rounds: expected a positive integer, got the number 0',
      "pipelines/p.yaml:8: report.formats[1]: 'pdf' is not one of json, md, html, junit",
    ]);
  });

  it('validate: keys come from the validation options, with their types', () => {
    const text = `models: [a.onnx]
variants: { q: int8 }
validate:
  executionProvider: [cpu]
  latency: { warmup: 2, iterations: 5 }
  threads: 0
  graphOptimizationLevel: fast
  samples: 1.5
  timeout: 10
`;
    const errors = errorsOf(text);
    expect(errors.slice(0, 5)).toEqual([
      'pipelines/p.yaml:4: validate.executionProvider: expected a string, got a list',
      'pipelines/p.yaml:5: validate.latency.iterations: unknown key (expected one of: rounds, warmup)',
      'pipelines/p.yaml:6: validate.threads: expected a positive integer, got the number 0',
      "pipelines/p.yaml:7: validate.graphOptimizationLevel: 'fast' is not one of disabled, basic, extended, all",
      'pipelines/p.yaml:8: validate.samples: expected a positive integer, got the number 1.5',
    ]);
    // The timeout of a variant is the pipeline's top-level `timeout`.
    expect(errors[5]).toMatch(/^pipelines\/p\.yaml:9: validate\.timeout: unknown key \(expected one of: .*\bexecutionProvider\b.*, runner\)$/);
    expect(errors).toHaveLength(6);
  });

  it('a variant without `to`, a choice outside the declared ones, a nested chain', () => {
    const text = `models: [a.onnx]
variants:
  a: { perChannel: true }
  b: { to: int8, format: qdd }
  c: { chain: [fp16, { chain: [int8] }] }
  d: 3
`;
    expect(errorsOf(text)).toEqual([
      "pipelines/p.yaml:3: variants.a: missing required key 'to'",
      "pipelines/p.yaml:4: variants.b.format: 'qdd' is not one of qoperator, qdq (did you mean qdq?)",
      'pipelines/p.yaml:5: variants.c.chain[1]: `chain` cannot be nested inside a chain step',
      'pipelines/p.yaml:6: variants.d: expected a conversion name or a mapping with `to` (or `chain`), got the number 3',
    ]);
  });

  it('thresholds: metric names from the validation metrics, variant names from the file', () => {
    const text = `models: [a.onnx]
variants: { int8: int8 }
validate:
  thresholds:
    int9: { cosine: 0.99 }
    int8:
      cosin: 0.99
      top1@logits: high
      accuracy-drop: 0.5%
      nan: 0.5
`;
    expect(errorsOf(text)).toEqual([
      'pipelines/p.yaml:5: validate.thresholds.int9: unknown key (did you mean int8?)',
      'pipelines/p.yaml:7: validate.thresholds.int8.cosin: unknown key (did you mean cosine?)',
      'pipelines/p.yaml:8: validate.thresholds.int8.top1@logits: threshold "top1@logits=high" has no numeric value',
      'pipelines/p.yaml:10: validate.thresholds.int8.nan: nan allows a count of elements, a non-negative integer; got "0.5"',
    ]);
  });

  it('models: an id with a glob, bad dims, an id that is not a file name', () => {
    const text = `models:
  - { path: 'zoo/*.onnx', id: zoo }
  - { path: b.onnx, dims: { batch: 0 } }
  - { path: c.onnx, id: 'a b' }
  - 7
variants: { c: none }
`;
    expect(errorsOf(text)).toEqual([
      'pipelines/p.yaml:2: models[0].id: an id names one model, but this entry is a glob',
      'pipelines/p.yaml:3: models[1].dims.batch: expected a positive integer, got the number 0',
      `pipelines/p.yaml:4: models[2].id: 'a b' must be letters, digits, ".", "_" or "-", starting with a letter or digit`,
      'pipelines/p.yaml:5: models[3]: expected a string or a mapping, got the number 7',
    ]);
  });

  it('YAML syntax errors and duplicate keys, with their line', () => {
    expect(errorsOf(`models: [a.onnx]\nvariants:\n  a: none\n  a: fp16\n`)).toEqual(['pipelines/p.yaml:4: a key appears twice in the same mapping']);
    expect(errorsOf(`models: [a.onnx\nvariants: {}\n`)[0]).toMatch(/^pipelines\/p\.yaml:\d+: syntax error: /);
    expect(errorsOf(`- a\n- b\n`)).toEqual(['pipelines/p.yaml:1: a pipeline file must be a mapping with models and variants']);
    expect(errorsOf('')).toEqual(['pipelines/p.yaml:1: a pipeline file must be a mapping with models and variants']);
  });

  it('JSON files, with lines too', () => {
    const text = `{
  "models": ["a.onnx"],
  "variants": {
    "q": { "to": "int8", "perChanel": true }
  }
}`;
    expect(errorsOf(text)).toEqual(['pipelines/p.yaml:4: variants.q.perChanel: unknown key (did you mean perChannel?)']);
  });

  it('suggests only near misses', () => {
    expect(suggest('perChanel', ['perChannel', 'format'])).toBe('perChannel');
    expect(suggest('PERCHANNEL', ['perChannel'])).toBe('perChannel');
    expect(suggest('latency', ['models', 'variants'])).toBeUndefined();
  });
});

describe('a valid pipeline is normalized', () => {
  it('fills defaults and resolves paths from the pipeline file, not the working directory', () => {
    const config = parse(VALID);
    expect(config.name).toBe('p');
    expect(config.baseDir).toBe('/project/pipelines');
    expect(config.out).toBe('/project/pipelines/out/p');
    expect(config.report).toEqual({ dir: '/project/pipelines/out/p', formats: ['json', 'md', 'html', 'junit'], title: 'p' });
    expect(config.validate).toEqual({});
    // Each variant's validation options, normalized: the pipeline's defaults (latency on), then the options'.
    expect(config.variants[0]!.validate).toMatchObject({
      seed: 0,
      thresholds: [],
      defaultThresholds: true,
      kind: config.variants[0]!.kind,
      latency: true,
      warmup: 5,
      threads: 2,
      interOpThreads: 1,
      graphOptimizationLevel: 'all',
      providers: ['cpu'],
      bootstrap: { resamples: 2000, seed: 1, confidence: 0.95 },
    });
    expect(config.variants.map((v) => [v.name, v.kind, v.line])).toEqual([
      ['fp16', 'fp16', 3],
      ['int8', 'int8', 4],
    ]);
    // Options the user left out take the conversion's declared defaults (as on the command line).
    expect(config.variants[1]!.passes).toEqual([{ to: 'int8', options: { format: 'qoperator', minElements: 0, perChannel: true } }]);
  });

  it('chains, shorthand variants, thresholds, per-model settings', () => {
    const config = parse(`name: demo
out: ../build
models:
  - ../models/*.onnx
  - { path: x/model.onnx, id: x, inputs: data/x, labels: false, dims: { batch: 2 } }
  - { path: y.onnx, inputs: random, labels: y-labels.pb }
variants:
  copy: none
  both: { chain: [fp16, { to: int8, format: qdq }] }
validate:
  latency: false
  seed: 7
  thresholds:
    '*': { nan: 0 }
    both: { cosine: 0.99, top1@logits: 95% }
report: { dir: reports, formats: [md, md, html] }
`);
    expect(config.out).toBe('/project/build');
    expect(config.report.dir).toBe('/project/pipelines/reports');
    expect(config.report.formats).toEqual(['md', 'html']);
    expect(config.models).toMatchObject([
      { pattern: '../models/*.onnx', isGlob: true, line: 4 },
      { pattern: 'x/model.onnx', isGlob: false, id: 'x', inputs: '/project/pipelines/data/x', labels: false, dims: { batch: 2 }, line: 5 },
      { pattern: 'y.onnx', inputs: 'random', labels: '/project/pipelines/y-labels.pb', line: 6 },
    ]);
    const both = config.variants.find((v) => v.name === 'both')!;
    expect(both.passes.map((p) => p.to)).toEqual(['fp16', 'int8']);
    expect(both.kind).toBe('other');
    expect(config.variants.find((v) => v.name === 'copy')!.kind).toBe('other');
    expect(both.validate).toMatchObject({ latency: false, seed: 7, kind: 'other' });
    expect(config.variants.find((v) => v.name === 'copy')!.validate.thresholds).toEqual([
      { metric: 'nan', limit: 0, direction: 'max', source: 'user' },
    ]);
    // A variant's own thresholds after those of '*'.
    expect(both.validate.thresholds).toEqual([
      { metric: 'nan', limit: 0, direction: 'max', source: 'user' },
      { metric: 'cosine', limit: 0.99, direction: 'min', source: 'user' },
      { metric: 'top1', output: 'logits', limit: 0.95, direction: 'min', source: 'user' },
    ]);
  });

  it('reads a JSON pipeline file from disk, and says when the file is missing', () => {
    const dir = tempDir();
    const file = writeFile(path.join(dir, 'p.json'), JSON.stringify({ models: ['m.onnx'], variants: { copy: 'none' } }));
    expect(loadPipeline(file, { conversions: FAKE_CONVERSIONS }).models[0]!.pattern).toBe('m.onnx');
    expect(() => loadPipeline(path.join(dir, 'nope.yaml'))).toThrow(/nope\.yaml: cannot read the pipeline file: no such file/);
  });
});
