/** `onnxpress variants`: file names, folders, --only, --out-dir, reports, exit codes, and never writing over an input. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../../src/io/save.js';
import { isVariantFile, selectVariants, TRANSFORMERS_JS_PRESET, variantFileName } from '../../src/variants/preset.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { buildBert } from './models.js';

const ALL_FILES = ['_fp16', '_quantized', '_int8', '_uint8', '_q4', '_q4f16'];

function folderWith(...files: string[]): string {
  const dir = tempDir('onnxpress-variants-');
  for (const file of files) saveModel(buildBert(), path.join(dir, file));
  return dir;
}

function onnxFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort();
}

describe('the transformers.js preset', () => {
  it('names files as transformers.js loads them, after the input stem', () => {
    expect(TRANSFORMERS_JS_PRESET.variants.map((v) => [v.dtype, variantFileName('/x/encoder_model.onnx', v)])).toEqual([
      ['fp16', 'encoder_model_fp16.onnx'],
      ['q8', 'encoder_model_quantized.onnx'],
      ['int8', 'encoder_model_int8.onnx'],
      ['uint8', 'encoder_model_uint8.onnx'],
      ['q4', 'encoder_model_q4.onnx'],
      ['q4f16', 'encoder_model_q4f16.onnx'],
    ]);
  });

  it('knows variant files by their suffix', () => {
    for (const f of ['model_fp16.onnx', 'model_quantized.onnx', 'decoder_model_merged_q4f16.onnx', 'model_bnb4.onnx', 'model_uint8.ONNX']) {
      expect(isVariantFile(f), f).toBe(true);
    }
    for (const f of ['model.onnx', 'encoder_model.onnx', 'fp16.onnx', '_q4.onnx', 'model_q4x.onnx']) expect(isVariantFile(f), f).toBe(false);
  });

  it('selects variants by dtype or file suffix, in the preset order, and refuses unknown ones', () => {
    expect(selectVariants(TRANSFORMERS_JS_PRESET, ['q4,quantized', 'fp16']).map((v) => v.dtype)).toEqual(['fp16', 'q8', 'q4']);
    expect(() => selectVariants(TRANSFORMERS_JS_PRESET, ['q3'])).toThrow(
      /--only q3: the transformers.js preset makes fp16, q8, int8, uint8, q4, q4f16/,
    );
  });
});

describe('onnxpress variants', () => {
  it('writes the file set beside the model, validates each, and writes one report in all formats (exit 0)', async () => {
    const dir = folderWith('encoder_model.onnx');
    const input = path.join(dir, 'encoder_model.onnx');
    const before = readFileSync(input);
    const r = await runCli(['variants', input, '--preset', 'transformers.js']);
    expect(r.stderr).toBe('');
    expect(r.exitCode, r.stdout).toBe(0);
    expect(onnxFiles(dir)).toEqual(['encoder_model.onnx', ...ALL_FILES.map((s) => `encoder_model${s}.onnx`)].sort());
    expect(readFileSync(input).equals(before)).toBe(true);
    for (const f of ['report.json', 'report.md', 'report.html', 'junit.xml']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      schema: string;
      entries: { model: string; variant: string; status: string; result: { kind: string; candidate: { name: string } } }[];
    };
    expect(report.schema).toBe('onnxpress/summary');
    expect(report.entries.map((e) => [e.variant, e.status, e.result.kind, e.result.candidate.name])).toEqual([
      ['fp16', 'pass', 'fp16', 'encoder_model_fp16.onnx'],
      ['q8', 'pass', 'int8', 'encoder_model_quantized.onnx'],
      ['int8', 'pass', 'int8', 'encoder_model_int8.onnx'],
      ['uint8', 'pass', 'int8', 'encoder_model_uint8.onnx'],
      ['q4', 'pass', 'q4', 'encoder_model_q4.onnx'],
      ['q4f16', 'pass', 'q4', 'encoder_model_q4f16.onnx'],
    ]);
    expect(r.stdout).toMatch(/^PASS {2}encoder_model\.onnx -> .*encoder_model_q4\.onnx \(q4\): .*cosine 0\.99/m);
    expect(r.stdout).toContain('6 variants of 1 model: 6 passed, 0 failed, 0 errors');
  });

  it('does every model of a folder that is not a variant itself, and runs again over its own outputs', async () => {
    const dir = folderWith('encoder_model.onnx', 'decoder_model.onnx');
    const first = await runCli(['variants', dir, '--only', 'fp16,q4', '--no-validate']);
    expect(first.exitCode, first.stderr).toBe(0);
    const made = ['decoder_model_fp16.onnx', 'decoder_model_q4.onnx', 'encoder_model_fp16.onnx', 'encoder_model_q4.onnx'];
    expect(onnxFiles(dir)).toEqual(['decoder_model.onnx', 'encoder_model.onnx', ...made].sort());
    expect(first.stdout).toContain('4 made, 0 errors (not validated)');
    expect(existsSync(path.join(dir, 'report.json'))).toBe(false);
    // The variants now in the folder are not models to make variants of.
    const again = await runCli(['variants', dir, '--only', 'fp16,q4', '--no-validate', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout) as { models: string[]; variants: { output: string }[] };
    expect(out.models.map((m) => path.basename(m))).toEqual(['decoder_model.onnx', 'encoder_model.onnx']);
    expect(out.variants.map((v) => path.basename(v.output)).sort()).toEqual(made);
    expect(onnxFiles(dir)).toHaveLength(6);
  });

  it('--only takes dtypes or suffixes; --out-dir writes elsewhere with the report there', async () => {
    const dir = folderWith('model.onnx');
    const out = path.join(tempDir(), 'web');
    const r = await runCli([
      'variants',
      path.join(dir, 'model.onnx'),
      '--only',
      'quantized',
      '--only',
      'uint8',
      '--out-dir',
      out,
      '--format',
      'json,md',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(onnxFiles(dir)).toEqual(['model.onnx']);
    expect(readdirSync(out).sort()).toEqual(['model_quantized.onnx', 'model_uint8.onnx', 'report.json', 'report.md']);
  });

  it('exits 1 when a threshold fails, and says which', async () => {
    const dir = folderWith('model.onnx');
    const r = await runCli(['variants', dir, '--only', 'q4', '--threshold', 'cosine=0.9999999']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}model\.onnx -> .*model_q4\.onnx \(q4\)/m);
    expect(r.stdout).toMatch(/FAILED cosine@logits: /);
  });

  it('refuses, before any work, to write over an input (exit 2), and leaves it as it was', async () => {
    // model_fp16.onnx given as a model of its own: model.onnx's FP16 variant would write over it.
    const dir = folderWith('model.onnx', 'model_fp16.onnx');
    const victim = path.join(dir, 'model_fp16.onnx');
    const before = readFileSync(victim);
    const r = await runCli(['variants', path.join(dir, 'model.onnx'), victim, '--only', 'fp16', '--no-validate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^onnxpress: .*refusing to write .*model_fp16\.onnx over an input/);
    expect(readFileSync(victim).equals(before)).toBe(true);
    expect(onnxFiles(dir)).toEqual(['model.onnx', 'model_fp16.onnx']);

    // Nor over the external data of an input.
    const data = tempDir();
    saveModel(buildBert(), path.join(data, 'model.onnx'), { externalThreshold: 1024, externalFileName: 'model_q4.onnx_data' });
    const over = await runCli(['variants', data, '--only', 'q4', '--no-validate']);
    expect(over.exitCode).toBe(2);
    expect(over.stderr).toMatch(/refusing to write .*model_q4\.onnx_data over an input/);
    expect(onnxFiles(data)).toEqual(['model.onnx']);
  });

  it('refuses two models that would write the same file, an unknown --only, and an empty folder (exit 2)', async () => {
    const a = folderWith('model.onnx');
    const b = folderWith('model.onnx');
    const out = tempDir();
    const same = await runCli(['variants', path.join(a, 'model.onnx'), path.join(b, 'model.onnx'), '--out-dir', out, '--no-validate']);
    expect(same.exitCode).toBe(2);
    expect(same.stderr).toMatch(/would both write .*model_fp16\.onnx/);
    expect(readdirSync(out)).toEqual([]);

    const only = await runCli(['variants', a, '--only', 'q3']);
    expect(only.exitCode).toBe(2);
    expect(only.stderr).toContain('--only q3: the transformers.js preset makes fp16, q8, int8, uint8, q4, q4f16');

    const empty = tempDir();
    saveModel(buildBert(), path.join(empty, 'model_q4.onnx'));
    const none = await runCli(['variants', empty]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/holds no model to make variants of/);
  });

  it('writes external data beside a variant as transformers.js names it (<file>_data)', async () => {
    // A model with external data gives variants with their own data files (a model past 2 GiB is split the same way).
    const dir = tempDir();
    saveModel(buildBert(), path.join(dir, 'model.onnx'), { externalThreshold: 1024, externalFileName: 'model.onnx_data' });
    const r = await runCli(['variants', dir, '--only', 'fp16,q4', '--json', '--no-validate']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: { externalDataFile?: string }[] };
    expect(out.variants.map((v) => v.externalDataFile)).toEqual([path.join(dir, 'model_fp16.onnx_data'), path.join(dir, 'model_q4.onnx_data')]);
    for (const f of ['model_fp16.onnx_data', 'model_q4.onnx_data']) expect(statSync(path.join(dir, f)).size).toBeGreaterThan(0);
  });
});
