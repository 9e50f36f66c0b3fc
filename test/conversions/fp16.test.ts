/** `convert --to fp16` through the built CLI, and the flag -> option mapping. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { encode } from '../../src/proto/codec.js';
import { serializeTensor } from '../../src/proto/serde.js';
import { fp16OptionsFrom } from '../../src/conversions/fp16.js';
import type { Fp16Summary } from '../../src/passes/fp16/summary.js';
import { ModelBuilder, tensorOf } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const F32 = DataType.FLOAT;

/** One model's result in `convert --json`. */
interface ConvertJson {
  inputBytes: number;
  outputBytes: number;
  summary: Fp16Summary;
}

function smallModel(): Model {
  const b = new ModelBuilder();
  const x = b.input('x', F32, [1, 4]);
  const w = b.initializer(
    'w',
    Float32Array.from({ length: 16 }, (_, i) => (i - 8) / 4),
    [4, 4],
  );
  const h = b.node('MatMul', [x, w], {}, { name: 'mm' });
  b.output(b.node('Relu', [h], {}, { name: 'relu' }), F32, [1, 4]);
  return b.build();
}

describe('fp16OptionsFrom', () => {
  const model = smallModel();
  it('maps flags: bare --keep-io-types keeps all, names and comma lists are split', async () => {
    expect((await fp16OptionsFrom(model, {})).keepIoTypes).toBe(false);
    expect((await fp16OptionsFrom(model, { keepIoTypes: [] })).keepIoTypes).toEqual([]);
    expect((await fp16OptionsFrom(model, { keepIoTypes: true })).keepIoTypes).toBe(true);
    expect((await fp16OptionsFrom(model, { keepIoTypes: ['a,b', 'c'] })).keepIoTypes).toEqual(['a', 'b', 'c']);
    expect(await fp16OptionsFrom(model, { blockOps: ['Relu,MatMul'], blockNodes: 'n1' })).toMatchObject({
      blockOps: ['Relu', 'MatMul'],
      blockNodes: ['n1'],
    });
    expect((await fp16OptionsFrom(model, { defaultBlockList: false })).defaultBlockList).toBe(false);
    expect((await fp16OptionsFrom(model, {})).guardConstants).toBe(true);
    expect((await fp16OptionsFrom(model, { guardConstants: false })).guardConstants).toBe(false);
  });

  it('--auto-block needs --inputs', async () => {
    await expect(fp16OptionsFrom(model, { autoBlock: true })).rejects.toThrow(/--auto-block needs --inputs/);
  });
});

describe('convert --to fp16 (CLI)', () => {
  it('converts with --keep-io-types and prints the summary as JSON', async () => {
    const dir = tempDir();
    saveModel(smallModel(), join(dir, 'm.onnx'));
    const r = await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'out.onnx'), '--to', 'fp16', '--keep-io-types', '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.stdout) as [ConvertJson];
    expect(result.summary).toMatchObject({ kind: 'fp16', modified: true, converted: { initializers: 1 } });
    expect(result.summary.kept.io).toContain('x');
    const out = loadModel(join(dir, 'out.onnx'));
    expect(out.graph.initializers.get('w')!.initializer!.dataType).toBe(DataType.FLOAT16);
    expect(out.graph.inputs[0]!.type).toMatchObject({ elemType: F32 });
    expect(result.summary.converted.initializerBytes).toEqual({ before: 64, after: 32 });
  });

  it('--block-ops and --keep-io-types NAMES', async () => {
    const dir = tempDir();
    saveModel(smallModel(), join(dir, 'm.onnx'));
    const r = await runCli([
      'convert',
      join(dir, 'm.onnx'),
      '-o',
      join(dir, 'out.onnx'),
      '--to',
      'fp16',
      '--block-ops',
      'Relu',
      '--keep-io-types',
      'x',
      '--json',
    ]);
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.stdout) as [ConvertJson];
    expect(result.summary.kept.nodes).toEqual([expect.objectContaining({ name: 'relu', reason: 'block-ops' })]);
    const out = loadModel(join(dir, 'out.onnx'));
    expect(out.graph.inputs[0]!.type).toMatchObject({ elemType: F32 });
    expect(out.graph.outputs[0]!.type).toMatchObject({ elemType: DataType.FLOAT16 });
  });

  it('--auto-block --inputs reads test_data_set folders', async () => {
    const dir = tempDir();
    saveModel(smallModel(), join(dir, 'm.onnx'));
    const set = join(dir, 'data', 'test_data_set_0');
    mkdirSync(set, { recursive: true });
    // x = 1e5 overflows float16 already at the input: the readers of x stay float32.
    writeFileSync(join(set, 'input_0.pb'), encode(serializeTensor(tensorOf('x', new Float32Array([1e5, 1, 2, 3]), [1, 4]), {}), 'TensorProto'));
    const r = await runCli([
      'convert',
      join(dir, 'm.onnx'),
      '-o',
      join(dir, 'out.onnx'),
      '--to',
      'fp16',
      '--keep-io-types',
      '--auto-block',
      '--inputs',
      join(dir, 'data'),
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const [result] = JSON.parse(r.stdout) as [ConvertJson];
    expect(result.summary.autoBlock!.overflowing).toContainEqual({ value: 'x', maxAbs: 1e5 });
    expect(result.summary.kept.nodes.map((k) => k.name)).toContain('mm');
  });

  it('--auto-block without --inputs is a usage error', async () => {
    const dir = tempDir();
    saveModel(smallModel(), join(dir, 'm.onnx'));
    const r = await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'out.onnx'), '--to', 'fp16', '--auto-block']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--auto-block needs --inputs/);
    expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
  });

  it('an already-float16 model is written unchanged, with a note', async () => {
    const dir = tempDir();
    saveModel(smallModel(), join(dir, 'm.onnx'));
    await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'half.onnx'), '--to', 'fp16']);
    const r = await runCli(['convert', join(dir, 'half.onnx'), '-o', join(dir, 'again.onnx'), '--to', 'fp16', '--json']);
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.stdout) as [ConvertJson];
    expect(result.summary.modified).toBe(false);
    expect(result.summary.notes[0]).toMatch(/already float16/);
    expect(readFileSync(join(dir, 'again.onnx'))).toEqual(readFileSync(join(dir, 'half.onnx')));
  });

  it('a custom op of unknown output type stops with a clear message and writes nothing', async () => {
    const dir = tempDir();
    const b = new ModelBuilder({ opsets: { 'com.example': 1 } });
    const x = b.input('x', F32, [2]);
    const y = b.node('Mystery', [x], {}, { domain: 'com.example', name: 'mystery' });
    b.output(b.node('Add', [y, b.initializer('w', new Float32Array([1, 2]), [2])]), F32, [2]);
    saveModel(b.build(), join(dir, 'm.onnx'));
    const r = await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'out.onnx'), '--to', 'fp16']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/fp16: cannot convert this model safely, nothing was changed/);
    expect(r.stderr).toMatch(/Mystery/);
    expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
  });

  it('says in text what it kept float32 for a constant float16 cannot hold, and suggests --auto-block; --no-guard-constants clamps', async () => {
    const dir = tempDir();
    const b = new ModelBuilder();
    const x = b.input('x', F32, [1, 2, 2, 2]);
    const c = (name: string, values: number[]) => b.initializer(name, Float32Array.from(values), [2]);
    const bn = b.node('BatchNormalization', [x, c('s', [1, 1]), c('b', [0, 0]), c('mean', [0, 0]), c('var', [1, 9.8e7])], {}, { name: 'bn' });
    b.output(b.node('Relu', [bn]), F32, [1, 2, 2, 2]);
    saveModel(b.build(), join(dir, 'm.onnx'));

    const r = await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'out.onnx'), '--to', 'fp16']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /kept 1 node\(s\) float32 because float16 cannot hold constants they compute from: BatchNormalization 'bn': 'var' holds 1 value\(s\) beyond \+-65504 \(largest 9.8e\+7\)/,
    );
    expect(r.stdout).toMatch(/--auto-block --inputs DIR/);
    expect(loadModel(join(dir, 'out.onnx')).graph.initializers.get('var')!.initializer!.dataType).toBe(F32);

    const old = await runCli(['convert', join(dir, 'm.onnx'), '-o', join(dir, 'old.onnx'), '--to', 'fp16', '--no-guard-constants']);
    expect(old.exitCode).toBe(0);
    expect(old.stdout).toMatch(/1 value\(s\) beyond \+-65504 clamped in 1 tensor\(s\); if outputs drift, try --auto-block --inputs DIR/);
    expect(old.stdout).not.toMatch(/kept/);
  });
});
