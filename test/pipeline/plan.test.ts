import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/pipeline/errors.js';
import { parsePipeline } from '../../src/pipeline/normalize.js';
import { assignIds, parseShard, pickShard, planPipeline } from '../../src/pipeline/plan.js';
import { FAKE_CONVERSIONS, tempDir, writeFile } from './helpers.js';

/** A project: pipelines/p.yaml plus model files (their content does not matter to planning). */
function project(files: string[]) {
  const root = tempDir();
  for (const f of files) writeFile(path.join(root, f), 'x');
  const pipeline = (text: string) => {
    const file = writeFile(path.join(root, 'pipelines', 'p.yaml'), text);
    return parsePipeline(text, file, { conversions: FAKE_CONVERSIONS, displayFile: 'pipelines/p.yaml' });
  };
  return { root, pipeline };
}

function planErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected an error');
}

describe('listing models', () => {
  it('expands globs and folders from the pipeline file, names models after files or folders', () => {
    const { root, pipeline } = project([
      'zoo/resnet.onnx',
      'zoo/notes.txt',
      'corpus/char_gpt/model.onnx',
      'corpus/char_gpt/test_data_set_0/input_0.pb',
      'corpus/char_gpt/labels.pb',
      'corpus/digits/model.onnx',
      'single.onnx',
      // Outputs of an earlier run inside the globbed tree are not models to convert.
      'corpus/out/char_gpt/fp16.onnx',
    ]);
    const config = pipeline(`out: ../corpus/out
models:
  - ../zoo/*
  - ../corpus
  - { path: ../single.onnx, id: one, inputs: random }
variants: { a: none, b: fp16 }
validate: { seed: 3 }
`);
    const plan = planPipeline(config);
    expect(plan.models.map((m) => [m.id, path.relative(root, m.file)])).toEqual([
      ['char_gpt', 'corpus/char_gpt/model.onnx'],
      ['digits', 'corpus/digits/model.onnx'],
      ['one', 'single.onnx'],
      ['resnet', 'zoo/resnet.onnx'],
    ]);
    const gpt = plan.models[0]!;
    expect(gpt.inputs).toEqual({ source: 'test-data', dir: path.join(root, 'corpus/char_gpt/test_data_set_0') });
    expect(gpt.labels).toBe(path.join(root, 'corpus/char_gpt/labels.pb'));
    expect(plan.models[1]!.inputs).toEqual({ source: 'random' });
    expect(plan.models[1]!.labels).toBeUndefined();
    // What each variant's validator receives: the model's file, id, inputs and labels, the variant's output and name.
    expect(gpt.variants[1]!.validate).toMatchObject({
      baseline: gpt.file,
      baselineName: 'char_gpt',
      candidate: gpt.variants[1]!.output,
      candidateName: 'b',
      kind: gpt.variants[1]!.kind,
      inputs: [path.join(root, 'corpus/char_gpt/test_data_set_0')],
      labels: path.join(root, 'corpus/char_gpt/labels.pb'),
      seed: 3,
    });
    expect(plan.models[1]!.variants[0]!.validate).toMatchObject({ inputs: [], seed: 3 });
    expect(plan.models[1]!.variants[0]!.validate.labels).toBeUndefined();
    expect(gpt.variants.map((v) => path.relative(root, v.output))).toEqual(['corpus/out/char_gpt/a.onnx', 'corpus/out/char_gpt/b.onnx']);
    expect(plan.cacheDir).toBe(path.join(root, 'corpus/out/.onnxpress-cache'));
  });

  it('test data beside a model is not taken when other models share its folder', () => {
    const { pipeline } = project(['m/a.onnx', 'm/b.onnx', 'm/test_data_set_0/input_0.pb', 'm/labels.pb']);
    const plan = planPipeline(pipeline(`models: ['../m/*.onnx']\nvariants: { c: none }\n`));
    for (const m of plan.models) {
      expect(m.inputs.source).toBe('random');
      expect(m.labels).toBeUndefined();
    }
  });

  it('reports missing files, empty globs, duplicate ids and missing test data with their lines, before any work', () => {
    const { pipeline } = project(['a.onnx', 'b/model.onnx']);
    const config = pipeline(`models:
  - ../missing.onnx
  - ../nothing/*.onnx
  - { path: ../a.onnx, id: same }
  - { path: ../b/model.onnx, id: same, inputs: ../no-data }
  - ../a.onnx
variants: { c: none }
`);
    expect(planErrors(() => planPipeline(config))).toEqual([
      'pipelines/p.yaml:2: models[0]: no such file or folder: ../missing.onnx (from ' + config.baseDir + ')',
      `pipelines/p.yaml:3: models[1]: '../nothing/*.onnx' matches no .onnx file (from ${config.baseDir})`,
      "pipelines/p.yaml:5: models[3].id: id 'same' is also used by models[2] (line 4)",
      `pipelines/p.yaml:5: models[3].inputs: no such folder: ${path.resolve(config.baseDir, '../no-data')}`,
      'pipelines/p.yaml:6: models[4]: ../a.onnx is already listed by models[2] (line 4)',
    ]);
  });

  it('a file named explicitly keeps its settings when a glob matches it too', () => {
    const { pipeline } = project(['m/a.onnx', 'm/b.onnx']);
    const plan = planPipeline(pipeline(`models:\n  - '../m/*.onnx'\n  - { path: ../m/a.onnx, id: first, dims: { n: 4 } }\nvariants: { c: none }\n`));
    expect(plan.models.map((m) => [m.id, m.dims])).toEqual([
      ['b', {}],
      ['first', { n: 4 }],
    ]);
  });

  it('a path that looks like a glob but names a file is that file', () => {
    const { pipeline } = project(['m/model (1).onnx', 'm/model (2).onnx']);
    const plan = planPipeline(pipeline(`models: ['../m/model (1).onnx']\nvariants: { c: none }\n`));
    expect(plan.models.map((m) => [m.id, path.basename(m.file)])).toEqual([['model_1', 'model (1).onnx']]);
  });

  it('ids stay unique: colliding names take their folders, then a number', () => {
    const ids = assignIds(['/z/a/model.onnx', '/z/b/model.onnx', '/x/net.onnx', '/y/net.onnx', '/q/a/model.onnx', '/w/c d.onnx']);
    expect([...ids.values()]).toEqual(['z_a', 'b', 'x_net', 'y_net', 'q_a', 'c_d']);
    const twice = assignIds(['/a/m.onnx', '/b/x.onnx'], (f) => (f === '/b/x.onnx' ? 'm' : undefined));
    expect(twice.get('/a/m.onnx')).toBe('a_m');
    // Same name, no folder left to tell them apart: a number, given in sorted path order ('O' < 'o').
    const same = assignIds(['m.onnx', 'm.ONNX']);
    expect([same.get('m.ONNX'), same.get('m.onnx')]).toEqual(['m', 'm-2']);
  });
});

describe('--only and --shard', () => {
  const names = Array.from({ length: 11 }, (_v, i) => `m${String(i).padStart(2, '0')}.onnx`);

  it('--only keeps the named models and/or variants and rejects names that match nothing', () => {
    const { pipeline } = project(names.map((n) => `models/${n}`));
    const config = pipeline(`models: ['../models/*.onnx']\nvariants: { a: none, b: fp16, c: int8 }\n`);
    const byModel = planPipeline(config, { only: ['m03', 'm07'] });
    expect(byModel.models.map((m) => m.id)).toEqual(['m03', 'm07']);
    expect(byModel.models[0]!.variants.map((v) => v.name)).toEqual(['a', 'b', 'c']);
    const both = planPipeline(config, { only: ['m03', 'c'] });
    expect(both.models.map((m) => [m.id, m.variants.map((v) => v.name)])).toEqual([['m03', ['c']]]);
    expect(planPipeline(config, { only: ['b'] }).models).toHaveLength(11);
    expect(() => planPipeline(config, { only: ['m99'] })).toThrow(/--only m99 names no model or variant of pipelines\/p\.yaml/);
  });

  it('shards are disjoint, cover every model, are balanced, and do not depend on the order models are listed in', () => {
    const ids = names.map((n) => n.replace('.onnx', ''));
    for (let count = 1; count <= 5; count++) {
      const shards = Array.from({ length: count }, (_v, i) => pickShard(ids, { index: i + 1, count }, (id) => id));
      const all = shards.flat();
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort()).toEqual([...ids].sort());
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const reversed = Array.from({ length: count }, (_v, i) => pickShard([...ids].reverse(), { index: i + 1, count }, (id) => id));
      expect(reversed).toEqual(shards);
    }
    // Hand-worked: sorted ids m00..m10, 3 shards, item k goes to shard k mod 3 + 1.
    expect(pickShard(ids, { index: 2, count: 3 }, (id) => id)).toEqual(['m01', 'm04', 'm07', 'm10']);
  });

  it('--shard applies to the models of a plan', () => {
    const { pipeline } = project(names.map((n) => `models/${n}`));
    const config = pipeline(`models: ['../models/*.onnx']\nvariants: { a: none }\n`);
    const seen = [1, 2, 3, 4].flatMap((index) => planPipeline(config, { shard: { index, count: 4 } }).models.map((m) => m.id));
    expect(seen.sort()).toEqual(planPipeline(config).allModelIds);
  });

  it('parses I/N and rejects the rest', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', '2', 'a/b', '-1/2']) expect(() => parseShard(bad)).toThrow(/expected I\/N/);
  });
});

describe('thresholds per variant', () => {
  it('merge the pipeline thresholds with the defaults of the variant kind', () => {
    const { pipeline } = project(['a.onnx']);
    const config = pipeline(`models: [../a.onnx]
variants: { h: fp16, q: int8, c: none }
validate:
  thresholds:
    '*': { cosine: 0.9 }
    q: { cosine: 0.95, top1: 0.5 }
`);
    const [model] = planPipeline(config).models;
    const find = (variant: string, metric: string) => model!.variants.find((v) => v.name === variant)!.thresholds.find((t) => t.metric === metric);
    expect(find('q', 'cosine')).toMatchObject({ limit: 0.95, source: 'user' });
    expect(find('q', 'top1')).toMatchObject({ limit: 0.5, source: 'user' });
    expect(find('q', 'accuracy-drop')).toMatchObject({ limit: 0.01, source: 'default' });
    expect(find('h', 'cosine')).toMatchObject({ limit: 0.9, source: 'user' });
    expect(find('h', 'top1')).toMatchObject({ limit: 0.99, source: 'default' });
    expect(
      model!.variants
        .find((v) => v.name === 'c')!
        .thresholds.map((t) => t.metric)
        .sort(),
    ).toEqual(['cosine', 'nan']);

    const noDefaults = pipeline(
      `models: [../a.onnx]\nvariants: { q: int8 }\nvalidate: { defaultThresholds: false, thresholds: { q: { cosine: 0.5 } } }\n`,
    );
    expect(planPipeline(noDefaults).models[0]!.variants[0]!.thresholds).toEqual([{ metric: 'cosine', limit: 0.5, direction: 'min', source: 'user' }]);
  });
});
