import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { OnnxpressError } from '../../src/errors.js';
import { loadModel, parseModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runModel } from '../helpers/ort.js';
import { tempDir } from '../helpers/temp.js';

/** y = x @ W1 @ W2 with two 64x64 weights and one tiny bias. */
function twoLayerModel() {
  const b = new ModelBuilder();
  const x = b.input('x', DataType.FLOAT, [1, 64]);
  const w1 = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i) / 8);
  const w2 = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i * 0.7) / 8);
  const h = b.node('MatMul', [x, b.initializer('W1', w1, [64, 64])]);
  const y = b.node('MatMul', [h, b.initializer('W2', w2, [64, 64])]);
  const z = b.node('Add', [y, b.initializer('bias', Float32Array.from([0.5]), [1])]);
  b.output(z, DataType.FLOAT, [1, 64]);
  return b.build();
}

async function runFile(path: string): Promise<Float32Array> {
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3),
    [1, 64],
  );
  return Object.values(await runModel(path, { x }))[0]!.data as Float32Array;
}

describe('external data', () => {
  it('writes tensors above a threshold to one data file that ONNX Runtime reads, and reads it back lazily', async () => {
    const dir = tempDir();
    const inline = join(dir, 'inline.onnx');
    const split = join(dir, 'split.onnx');
    saveModel(twoLayerModel(), inline);
    const result = saveModel(twoLayerModel(), split, { externalThreshold: 1024 });
    expect(result.externalDataFile).toBe(join(dir, 'split.onnx.data'));
    expect(statSync(split).size).toBeLessThan(2000);
    expect(statSync(result.externalDataFile!).size).toBeGreaterThanOrEqual(2 * 64 * 64 * 4);

    const expected = await runFile(inline);
    expect(await runFile(split)).toEqual(expected);

    const loaded = loadModel(split);
    const w1 = loaded.graph.initializers.get('W1')!.initializer!;
    expect(w1.storage.kind).toBe('external');
    expect(loaded.graph.initializers.get('bias')!.initializer!.storage.kind).toBe('raw');
    const original = twoLayerModel().graph.initializers.get('W1')!.initializer!;
    expect(Array.from(w1.toTypedArray() as Float32Array)).toEqual(Array.from(original.toTypedArray() as Float32Array));
  });

  it('re-saving a model with untouched external data elsewhere is byte-identical and copies the data file', async () => {
    const dir = tempDir();
    const src = join(dir, 'm.onnx');
    saveModel(twoLayerModel(), src, { externalThreshold: 1024 });
    const outDir = tempDir();
    const out = join(outDir, 'm.onnx');
    saveModel(loadModel(src), out);
    expect(readFileSync(out)).toEqual(readFileSync(src));
    expect(readFileSync(join(outDir, 'm.onnx.data'))).toEqual(readFileSync(join(dir, 'm.onnx.data')));
    expect(await runFile(out)).toEqual(await runFile(src));
  });

  it('inlines or re-splits external tensors on request', async () => {
    const dir = tempDir();
    const src = join(dir, 'm.onnx');
    saveModel(twoLayerModel(), src, { externalThreshold: 1024 });
    const inlined = join(dir, 'inlined.onnx');
    saveModel(loadModel(src), inlined, { externalThreshold: Number.POSITIVE_INFINITY });
    expect(loadModel(inlined).graph.initializers.get('W1')!.initializer!.storage.kind).toBe('raw');
    expect(await runFile(inlined)).toEqual(await runFile(src));
  });

  it('splits a model automatically when it would pass the protobuf limit', () => {
    const dir = tempDir();
    const out = join(dir, 'auto.onnx');
    const result = saveModel(twoLayerModel(), out, { protobufLimit: 20_000 });
    expect(result.externalDataFile).toBe(join(dir, 'auto.onnx.data'));
    const loaded = loadModel(out);
    expect(loaded.graph.initializers.get('W1')!.initializer!.storage.kind).toBe('external');
  });

  // Each location is 11 characters, like 'm.onnx.data', so patching the bytes keeps the protobuf valid.
  it.each([
    ['/etc/passwd', /absolute path/],
    ['../outside_', /leaves the model folder/],
    ['sub/../../x', /leaves the model folder/],
  ])('refuses the location %s', (location, message) => {
    const dir = tempDir();
    const src = join(dir, 'm.onnx');
    saveModel(twoLayerModel(), src, { externalThreshold: 1024 });
    const patched = Buffer.from(readFileSync(src).toString('latin1').replaceAll('m.onnx.data', location), 'latin1');
    expect(() => parseModel(patched, { path: src })).toThrow(OnnxpressError);
    expect(() => parseModel(patched, { path: src })).toThrow(message);
  });

  it('names the tensor when its external bytes lie past the end of the data file', () => {
    const dir = tempDir();
    const src = join(dir, 'm.onnx');
    saveModel(twoLayerModel(), src, { externalThreshold: 1024 });
    writeFileSync(join(dir, 'm.onnx.data'), Buffer.alloc(100));
    // Checked when the model is read, so every command reports it, not only those that read weights.
    expect(() => loadModel(src)).toThrow(/tensor 'W1'.*past the end/);
  });

  it('never writes over its input or the input data file', () => {
    const dir = tempDir();
    const src = join(dir, 'm.onnx');
    saveModel(twoLayerModel(), src, { externalThreshold: 1024 });
    const before = readFileSync(src);
    expect(() => saveModel(loadModel(src), src)).toThrow(/refusing to write over an input/);
    expect(() => saveModel(loadModel(src), join(dir, 'other.onnx'), { externalThreshold: 1024, externalFileName: 'm.onnx.data' })).toThrow(
      /over an input file/,
    );
    expect(readFileSync(src)).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.onnx.data']);
  });
});
