/**
 * `convert --opset N` (before any conversion, or alone with `--to none`), `--to upgrade --opset N`, and INT8
 * upgrading an old model by itself, through the built CLI.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInConversions } from '../../../src/conversions/builtins.js';
import { applyConversions } from '../../../src/convert.js';
import { DataType } from '../../../src/ir/dtypes.js';
import { loadModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import { loadPipeline } from '../../../src/pipeline/normalize.js';
import { ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { runCli } from '../../helpers/cli.js';
import { cosine, maxAbsDiff } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { tempDir } from '../../helpers/temp.js';
import { opCounts, randomFloats } from '../quantize/helpers.js';

const dir = tempDir('onnxpress-upgrade-cli-');

/** An opset-9 model as old exporters wrote them: Clip and Slice with attributes, Upsample, weights in Constant nodes. */
function writeOld(name: string, options: { crop?: boolean } = {}): string {
  const b = new ModelBuilder({ opset: 9, irVersion: 4 });
  const x = b.input('x', DataType.FLOAT, [1, 2, 4, 8]);
  const weight = b.node('Constant', [], { value: tensorOf('w', randomFloats(8 * 8, 91, 0.5), [8, 8]) });
  let h = b.node('MatMul', [x, weight], {}, { name: 'mm' });
  h = b.node('Clip', [h], { min: -0.5, max: 0.5 }, { name: 'clip' });
  h = b.node('Slice', [h], { starts: [1], ends: [7], axes: [3] }, { name: 'slice' });
  const scales = b.initializer('scales', Float32Array.of(1, 1, 2, 2), [4]);
  h = b.node('Upsample', [h, scales], { mode: 'nearest' }, { name: 'up' });
  if (options.crop) h = b.node('Crop', [h], { border: [0, 0, 0, 0] }, { name: 'crop' });
  b.output(h, DataType.FLOAT, [1, 2, 8, 12]);
  const path = join(dir, name);
  saveModel(b.build(), path);
  return path;
}

const feeds = { x: floatTensor(randomFloats(64, 92), [1, 2, 4, 8]) };
const first = async (path: string): Promise<number[]> => Array.from(Object.values(await runModel(path, feeds))[0]!.data as Float32Array);

describe('convert --opset', () => {
  it('--to none --opset 13 only upgrades: the ops that changed are rewritten and the outputs are the same', async () => {
    const input = writeOld('old.onnx');
    const output = join(dir, 'old.op13.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'none', '--opset', '13']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /upgraded from opset 9 to 13: rewrote Slice 1 \(opset 10\), Upsample 1 \(opset 10\), Clip 1 \(opset 11\), Resize 1 \(opset 11\)/,
    );
    expect(r.stdout).toMatch(/IR version 4 -> 7/);
    const model = loadModel(output);
    expect(model.opsetVersion('')).toBe(13);
    expect(opCounts(model)).toEqual({ Constant: 1, MatMul: 1, Clip: 1, Slice: 1, Resize: 1 });
    expect(maxAbsDiff(await first(output), await first(input))).toBe(0);
  });

  it('--to upgrade --opset 21 is the same as a conversion of its own; without --opset it says what it needs', async () => {
    const input = writeOld('old2.onnx');
    const output = join(dir, 'old2.op21.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'upgrade', '--opset', '21', '--json']);
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.stdout) as { summary: { kind: string; from: number; to: number } }[];
    expect(result!.summary).toMatchObject({ kind: 'upgrade', from: 9, to: 21 });
    expect(maxAbsDiff(await first(output), await first(input))).toBe(0);

    const missing = await runCli(['convert', input, '-o', join(dir, 'x.onnx'), '--to', 'upgrade']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--to upgrade needs --opset N/);
    const tooNew = await runCli(['convert', input, '-o', join(dir, 'x.onnx'), '--to', 'none', '--opset', '30']);
    expect(tooNew.exitCode).toBe(2);
    expect(tooNew.stderr).toMatch(/--opset must be an opset from 7 to 23/);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });

  it('--opset runs before the conversion: --to int8 --opset 13 gives an opset-13 INT8 model', async () => {
    const input = writeOld('old3.onnx');
    const output = join(dir, 'old3.int8.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'int8', '--opset', '13']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/upgraded from opset 9 to 13/);
    const model = loadModel(output);
    expect(model.opsetVersion('')).toBe(13);
    expect(opCounts(model).MatMulInteger).toBe(1);
    expect(cosine(await first(output), await first(input))).toBeGreaterThan(0.99);
  });

  it('names the op it cannot upgrade and the file, sends nobody to Python, and writes nothing', async () => {
    const input = writeOld('crop.onnx', { crop: true });
    const output = join(dir, 'crop.op13.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'none', '--opset', '13']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(input);
    expect(r.stderr).toMatch(/cannot upgrade from opset 9 to 13: Crop \(node 'crop'\)/);
    expect(r.stderr).not.toMatch(/python|onnx\.version_converter/i);
    expect(existsSync(output)).toBe(false);
  });
});

describe('convert --to int8 on an old opset', () => {
  it('upgrades the model to the opset the integer ops need by itself, and says so', async () => {
    const input = writeOld('old4.onnx');
    const output = join(dir, 'old4.int8.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'int8']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /the quantized ops need opset 11: upgraded from opset 9 to 11: rewrote Slice 1 \(opset 10\), Upsample 1 \(opset 10\), Clip 1 \(opset 11\), Resize 1 \(opset 11\)/,
    );
    const model = loadModel(output);
    expect(model.opsetVersion('')).toBe(11);
    expect(cosine(await first(output), await first(input))).toBeGreaterThan(0.99);
  });

  it('refuses a model it cannot upgrade with the op named, and no Python advice', async () => {
    const input = writeOld('crop2.onnx', { crop: true });
    const r = await runCli(['convert', input, '-o', join(dir, 'crop2.int8.onnx'), '--to', 'int8']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/int8 quantization needs opset 11 and the model imports opset 9: .*Crop \(node 'crop'\)/);
    expect(r.stderr).not.toMatch(/python|onnx\.version_converter/i);
  });
});

describe('pipelines', () => {
  it('chain the upgrade before another conversion: { chain: [{ to: upgrade, opset: 13 }, int8] }', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'name: p\nmodels: [old.onnx]\nvariants:\n  up13-int8: { chain: [{ to: upgrade, opset: 13 }, int8] }\n');
    const config = loadPipeline(file, { conversions: builtInConversions() });
    const steps = config.variants[0]!.passes;
    expect(steps.map((p) => p.to)).toEqual(['upgrade', 'int8']);
    const model = loadModel(writeOld('chain.onnx'));
    const summaries = await applyConversions(model, steps, builtInConversions());
    expect(summaries[0]!.notes?.[0]).toMatch(/upgraded from opset 9 to 13/);
    expect(model.opsetVersion('')).toBe(13);
    expect(opCounts(model).MatMulInteger).toBe(1);
  });
});
