/** makeVariants from code, `--weight-type auto`, synthesized inputs of cached decoders, and the pipeline's `preset:` entries. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInConversions, BUILT_IN_CONVERSIONS } from '../../src/conversions/builtins.js';
import { autoWeightType } from '../../src/conversions/int8.js';
import { ConversionRegistry } from '../../src/conversions/registry.js';
import { saveModel } from '../../src/io/save.js';
import { parsePipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { modelInputs } from '../../src/validate/inputs.js';
import { resolveShape } from '../../src/validate/synthesize.js';
import { makeVariants } from '../../src/variants/variants.js';
import { PipelineError } from '../../src/pipeline/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { buildBert, buildGpt2, buildVit } from './models.js';

function bertFolder(): string {
  const dir = tempDir('onnxpress-variants-lib-');
  saveModel(buildBert(), path.join(dir, 'model.onnx'));
  return dir;
}

describe('makeVariants', () => {
  it('returns each variant with its file, size, kind and validation, and the summary it wrote', async () => {
    const dir = bertFolder();
    const seen: string[] = [];
    const result = await makeVariants(dir, {
      only: ['q8', 'q4'],
      onProgress: (e) => seen.push(e.phase === 'done' ? `done ${e.outcome.dtype}` : `${e.phase} ${e.dtype}`),
    });
    expect(result.exitCode).toBe(0);
    expect(seen).toEqual(['convert q8', 'validate q8', 'done q8', 'convert q4', 'validate q4', 'done q4']);
    expect(result.variants.map((v) => [v.dtype, path.basename(v.output), v.status, v.result?.kind])).toEqual([
      ['q8', 'model_quantized.onnx', 'pass', 'int8'],
      ['q4', 'model_q4.onnx', 'pass', 'q4'],
    ]);
    for (const v of result.variants) expect(v.outputBytes! / v.inputBytes).toBeLessThan(0.5);
    expect(result.summary?.entries.map((e) => [e.model, e.variant, e.status])).toEqual([
      ['model.onnx', 'q8', 'pass'],
      ['model.onnx', 'q4', 'pass'],
    ]);
    expect(result.reports.map((f) => path.basename(f))).toEqual(['report.json', 'report.md', 'report.html', 'junit.xml']);
  });

  it('checks validation options and the registry before converting anything; a variant that fails is an error entry', async () => {
    const dir = bertFolder();
    await expect(makeVariants(dir, { validate: { threads: 0 } })).rejects.toThrow(/threads must be a positive integer/);
    // A dim the model does not have is found when the inputs are made: that variant is an error, the run exits 2.
    await expect(makeVariants(dir, { validate: { dims: { nope: 3 } }, only: ['fp16'] })).resolves.toMatchObject({ exitCode: 2 });
    const without = new ConversionRegistry(BUILT_IN_CONVERSIONS.filter((c) => c.name !== 'q4f16'));
    await expect(makeVariants(dir, { only: ['q4f16'], registry: without })).rejects.toThrow(/q4f16: conversion 'q4f16' is not available/);
    expect(readdirSync(dir).filter((f) => f !== 'model.onnx' && f.endsWith('.onnx'))).toEqual(['model_fp16.onnx']);
    // Without `only`, a variant whose conversion is missing is left out and said so.
    const result = await makeVariants(dir, { registry: without, validate: false, only: [] });
    expect(result.skipped).toEqual([{ dtype: 'q4f16', reason: expect.stringMatching(/conversion 'q4f16' is not available/) as string }]);
    expect(result.variants.map((v) => v.dtype)).toEqual(['fp16', 'q8', 'int8', 'uint8', 'q4']);
    expect(existsSync(path.join(dir, 'model_q4f16.onnx'))).toBe(false);
  });
});

describe('--weight-type auto (transformers.js q8)', () => {
  it('is uint8 for a model with Conv, int8 otherwise', () => {
    expect(autoWeightType(buildVit())).toBe('uint8');
    expect(autoWeightType(buildBert())).toBe('int8');
    expect(builtInConversions().get('int8').options['weight-type']!.choices).toContain('auto');
  });
});

describe('synthesized inputs of a decoder with a KV cache', () => {
  it('gives a dim named as a sum (past_sequence_length + sequence_length) the sum of its terms', () => {
    const inputs = modelInputs(buildGpt2());
    const shape = (name: string, dims = {}) =>
      resolveShape(
        inputs.find((i) => i.name === name)!,
        dims,
      );
    expect(shape('attention_mask')).toEqual([1, 32]);
    expect(shape('past_key_values.0.key')).toEqual([1, 2, 16, 32]);
    expect(shape('attention_mask', { past_sequence_length: 0, sequence_length: 5 })).toEqual([1, 5]);
  });
});

describe('pipeline files: a `preset:` variant entry', () => {
  const text = (variants: string) => `models: [model.onnx]\nvariants:\n${variants}\nvalidate: { latency: false }\n`;

  it('stands for the preset variants, named by dtype, written as <model stem><suffix>.onnx', () => {
    const dir = bertFolder();
    const file = path.join(dir, 'p.yaml');
    const config = parsePipeline(text('  web: { preset: transformers.js, only: [q8, q4f16] }\n  plain: { to: int8, perChannel: true }'), file);
    expect(config.variants.map((v) => [v.name, v.kind, v.fileSuffix, v.passes.map((p) => p.to)])).toEqual([
      ['q8', 'int8', '_quantized', ['int8']],
      ['q4f16', 'q4', '_q4f16', ['q4f16']],
      ['plain', 'int8', undefined, ['int8']],
    ]);
    expect(config.variants[0]!.passes[0]!.options.weightType).toBe('auto');
    const plan = planPipeline(config);
    expect(plan.models[0]!.variants.map((v) => path.relative(config.out, v.output))).toEqual([
      path.join(plan.models[0]!.id, 'model_quantized.onnx'),
      path.join(plan.models[0]!.id, 'model_q4f16.onnx'),
      path.join(plan.models[0]!.id, 'plain.onnx'),
    ]);
    // Thresholds and --only name the variants by dtype.
    const withThresholds = parsePipeline(
      'models: [model.onnx]\nvariants:\n  web: { preset: transformers.js }\nvalidate:\n  thresholds: { q4: { cosine: 0.995 } }\n',
      file,
    );
    const [q4] = planPipeline(withThresholds, { only: ['q4'] }).models[0]!.variants;
    expect(q4!.name).toBe('q4');
    expect(q4!.thresholds).toContainEqual(expect.objectContaining({ metric: 'cosine', limit: 0.995 }));
  });

  it('reports names taken twice, unknown dtypes and missing conversions with their lines', () => {
    const file = path.join(bertFolder(), 'p.yaml');
    const problems = (variants: string, conversions = builtInConversions()) => {
      try {
        parsePipeline(text(variants), file, { conversions });
      } catch (e) {
        return (e as PipelineError).message;
      }
      return '';
    };
    expect(problems('  int8: int8\n  web: { preset: transformers.js }')).toMatch(
      /:4: variants\.web: makes a variant named 'int8', as variants\.int8 does/,
    );
    expect(problems('  web: { preset: transformers.js, only: [q3] }')).toMatch(
      /variants\.web\.only\[0\]: 'q3' is not one of fp16, q8, int8, uint8, q4, q4f16/,
    );
    expect(problems('  web: { preset: transformers.jz }')).toMatch(/variants\.web\.preset: 'transformers\.jz' is not one of transformers\.js/);
    const without = new ConversionRegistry(BUILT_IN_CONVERSIONS.filter((c) => c.name !== 'q4f16'));
    expect(problems('  web: { preset: transformers.js, only: [q4f16] }', without)).toMatch(/variants\.web\.only: q4f16 needs the conversion 'q4f16'/);
    expect(parsePipeline(text('  web: { preset: transformers.js }'), file, { conversions: without }).variants.map((v) => v.name)).toEqual([
      'fp16',
      'q8',
      'int8',
      'uint8',
      'q4',
    ]);
  });

  it('runs: onnxpress run writes the transformers.js names under <out>/<model>/', async () => {
    const dir = bertFolder();
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, `out: out\n${text('  web: { preset: transformers.js, only: [fp16, q4] }')}`);
    const r = await runCli(['run', file, '--jobs', '1', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const id = readdirSync(path.join(dir, 'out')).find((f) => !f.startsWith('.') && !f.includes('.'))!;
    expect(
      readdirSync(path.join(dir, 'out', id))
        .filter((f) => f.endsWith('.onnx'))
        .sort(),
    ).toEqual(['model_fp16.onnx', 'model_q4.onnx']);
  });
});
