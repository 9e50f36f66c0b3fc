/**
 * `--to q4f16` (q4 then FP16 in one run, transformers.js's q4f16 recipe) and `--to fp16` on a q4 model, against
 * onnxruntime's own q4f16 files (ort/q4f16.onnx = MatMulNBitsQuantizer, then convert_float_to_float16 with
 * keep_io_types), measured here in onnxruntime-node on the same inputs: each file at most theirs + 1%, output
 * cosine to float32 no worse than theirs by more than 0.0005, char_gpt's accuracy at least theirs (0.6897), every
 * model loads and runs; and the packed weights and float16 scales are theirs bit for bit.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyConversions } from '../../src/convert.js';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { elemTypeOf } from '../../src/ir/types.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../helpers/corpus.js';
import { cosine, top1Accuracy } from '../helpers/metrics.js';
import { floatTensor, readTensorPb, readTestDataFeeds, runModel } from '../helpers/ort.js';
import { tempDir } from '../helpers/temp.js';
import { opCounts, randomFloats } from '../passes/quantize/helpers.js';

const out = tempDir('onnxpress-q4f16-');
const modelDir = (name: string): string => join(CORPUS, 'models', name);
const ortFile = (name: string, file: string): string => join(modelDir(name), 'ort', `${file}.onnx`);

interface Measured {
  bytes: number;
  cosine: number;
  accuracy: number | undefined;
  type: string;
  finite: boolean;
}

/** Runs a file on test_data_set_0: size, cosine of the first output to float32's reference, accuracy where there are labels. */
async function measure(name: string, path: string): Promise<Measured> {
  const dir = modelDir(name);
  const expected = readTensorPb(join(dir, 'test_data_set_0', 'output_0.pb')).tensor;
  const first = Object.values(await runModel(path, readTestDataFeeds(join(dir, 'test_data_set_0'))))[0]!;
  const labels = existsSync(join(dir, 'labels.pb')) ? readTensorPb(join(dir, 'labels.pb')).tensor : undefined;
  const data = first.data as Float32Array;
  return {
    bytes: statSync(path).size,
    cosine: cosine(data, expected.data as Float32Array),
    accuracy: labels ? top1Accuracy(first, labels) : undefined,
    type: first.type,
    finite: data.every(Number.isFinite),
  };
}

/** Each MatMulNBits' packed weight and scales, by the weight's name (the names follow onnxruntime's). */
function nbitsTensors(model: Model): Map<string, { dataType: DataType; bytes: Buffer }[]> {
  const out = new Map<string, { dataType: DataType; bytes: Buffer }[]>();
  for (const node of model.graph.allNodes()) {
    if (node.opType !== 'MatMulNBits') continue;
    const tensors = [node.input(1)!, node.input(2)!].map((v) => ({
      dataType: v.initializer!.dataType,
      bytes: Buffer.from(v.initializer!.rawBytes()),
    }));
    out.set(node.input(1)!.name, tensors);
  }
  return out;
}

function expectSameWeights(ours: Model, theirs: Model, label: string): void {
  const mine = nbitsTensors(ours);
  const reference = nbitsTensors(theirs);
  expect([...mine.keys()].sort(), label).toEqual([...reference.keys()].sort());
  for (const [name, [b, scales]] of reference) {
    const [ourB, ourScales] = mine.get(name)!;
    expect(ourB!.dataType, `${label} ${name}`).toBe(DataType.UINT8);
    expect(ourB!.bytes.equals(b!.bytes), `${label} ${name}`).toBe(true);
    expect(ourScales!.dataType, `${label} ${name}_scales`).toBe(DataType.FLOAT16);
    expect(scales!.dataType).toBe(DataType.FLOAT16);
    expect(ourScales!.bytes.equals(scales!.bytes), `${label} ${name} scales`).toBe(true);
  }
}

async function convertTo(name: string, source: string, variant: string, steps: { to: string; options?: Record<string, unknown> }[]) {
  const model = loadModel(source);
  const summaries = await applyConversions(model, steps);
  const path = join(out, `${name}.${variant}.onnx`);
  saveModel(model, path);
  return { model, summary: summaries[0]!, path };
}

describe.skipIf(!HAVE_CORPUS)("q4f16 on the corpus, against onnxruntime's q4f16 files", () => {
  for (const name of CORPUS_MODELS) {
    it(`${name}: --to q4f16 is no larger than onnxruntime's q4f16, as close to float32, the same weights and float16 scales`, async () => {
      const { model, summary, path } = await convertTo(name, join(modelDir(name), 'model.onnx'), 'q4f16', [{ to: 'q4f16' }]);
      expect(summary.kind).toBe('q4f16');
      const ours = await measure(name, path);
      const theirs = await measure(name, ortFile(name, 'q4f16'));
      expect(ours.bytes).toBeLessThanOrEqual(theirs.bytes * 1.01);
      expect(ours.cosine).toBeGreaterThanOrEqual(theirs.cosine - 0.0005);
      expect(ours.finite).toBe(true);
      // Graph inputs and outputs stay float32 (keep_io_types), as in transformers.js's q4f16 files.
      expect(ours.type).toBe('float32');
      if (theirs.accuracy !== undefined) expect(ours.accuracy!).toBeGreaterThanOrEqual(theirs.accuracy - 1e-9);
      expectSameWeights(model, loadModel(ortFile(name, 'q4f16')), name);
    });
  }

  it("char_gpt q4f16 keeps at least onnxruntime's q4f16 accuracy (0.6897: 2825 of 4096 next bytes)", async () => {
    const { path } = await convertTo('char_gpt', join(modelDir('char_gpt'), 'model.onnx'), 'q4f16-accuracy', [{ to: 'q4f16' }]);
    const theirs = (await measure('char_gpt', ortFile('char_gpt', 'q4f16'))).accuracy!;
    expect(theirs).toBeCloseTo(0.6897, 4);
    expect((await measure('char_gpt', path)).accuracy).toBeGreaterThanOrEqual(theirs);
  });

  it("--to fp16 --keep-io-types on onnxruntime's q4 files gives onnxruntime's q4f16 weights, and runs as close", async () => {
    for (const name of CORPUS_MODELS) {
      const { model, path } = await convertTo(name, ortFile(name, 'q4'), 'ort-q4-fp16', [{ to: 'fp16', options: { keepIoTypes: true } }]);
      const ours = await measure(name, path);
      const theirs = await measure(name, ortFile(name, 'q4f16'));
      expect(ours.finite, name).toBe(true);
      expect(ours.bytes, name).toBeLessThanOrEqual(theirs.bytes * 1.01);
      expect(ours.cosine, name).toBeGreaterThanOrEqual(theirs.cosine - 0.0005);
      expectSameWeights(model, loadModel(ortFile(name, 'q4f16')), name);
    }
  });

  it('--auto-block measures the float32 model and keeps its names through q4 (MatMulNBits writes its MatMul output)', async () => {
    const name = 'char_gpt';
    const { summary, path } = await convertTo(name, join(modelDir(name), 'model.onnx'), 'q4f16-auto', [
      { to: 'q4f16', options: { autoBlock: true, inputs: join(modelDir(name), 'test_data_set_0') } },
    ]);
    const fp16 = summary.fp16 as { autoBlock?: { measured: number } };
    // The quantized graph's values are found by name among the float32 model's measurements.
    expect(fp16.autoBlock!.measured).toBeGreaterThan(100);
    const ours = await measure(name, path);
    expect(ours.cosine).toBeGreaterThanOrEqual((await measure(name, ortFile(name, 'q4f16'))).cosine - 0.0005);
  });

  it('q4 and fp16 as a two-step chain give the same file as q4f16', async () => {
    const name = 'marian_tiny';
    const one = await convertTo(name, join(modelDir(name), 'model.onnx'), 'one-step', [{ to: 'q4f16' }]);
    const two = await convertTo(name, join(modelDir(name), 'model.onnx'), 'two-step', [{ to: 'q4' }, { to: 'fp16', options: { keepIoTypes: true } }]);
    expect(statSync(one.path).size).toBe(statSync(two.path).size);
    expect((await measure(name, one.path)).cosine).toBe((await measure(name, two.path)).cosine);
  });
});

describe('convert --to q4f16', () => {
  function writeModel(path: string): string {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 64]);
    const h = b.node('Relu', [b.node('MatMul', [x, b.initializer('w1', randomFloats(64 * 64, 1, 0.2), [64, 64])], {}, { name: 'mm1' })]);
    b.output(b.node('MatMul', [h, b.initializer('w2', randomFloats(64 * 32, 2, 0.2), [64, 32])], {}, { name: 'mm2' }), DataType.FLOAT, [2, 32]);
    saveModel(b.build(), path);
    return path;
  }
  const x = floatTensor(randomFloats(128, 3), [2, 64]);

  it('takes q4 and fp16 flags; graph inputs/outputs stay float32 unless --no-keep-io-types', async () => {
    const input = writeModel(join(out, 'cli.onnx'));
    const output = join(out, 'cli-q4f16.onnx');
    const r = await runCli(['convert', input, '-o', output, '--to', 'q4f16', '--asymmetric', '--block-size', '16', '--block-nodes', 'mm2', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = (
      JSON.parse(r.stdout) as {
        summary: { kind: string; q4: { symmetric: boolean; blockSize: number }; fp16: { kept: { nodes: { name: string }[] } } };
      }[]
    )[0]!.summary;
    expect(summary.kind).toBe('q4f16');
    expect(summary.q4).toMatchObject({ symmetric: false, blockSize: 16 });
    // --block-nodes names the float32 model's node; it keeps the MatMulNBits made of it float32.
    expect(summary.fp16.kept.nodes.map((n) => n.name)).toEqual(['mm2_Q4']);
    const model = loadModel(output);
    expect(opCounts(model).MatMulNBits).toBe(2);
    const mm1 = [...model.graph.nodes].find((n) => n.name === 'mm1_Q4')!;
    expect(mm1.input(2)!.initializer!.dataType).toBe(DataType.FLOAT16);
    expect(mm1.input(3)!.initializer!.dataType).toBe(DataType.UINT8);
    expect(elemTypeOf(model.graph.inputs[0]!.type)).toBe(DataType.FLOAT);
    const result = async (path: string) => Object.values(await runModel(path, { x }))[0]!.data as Float32Array;
    expect(cosine(await result(output), await result(input))).toBeGreaterThan(0.99);

    const f16io = join(out, 'cli-q4f16-io.onnx');
    const io = await runCli(['convert', input, '-o', f16io, '--to', 'q4f16', '--no-keep-io-types']);
    expect(io.exitCode, io.stderr).toBe(0);
    expect(elemTypeOf(loadModel(f16io).graph.inputs[0]!.type)).toBe(DataType.FLOAT16);
  });

  it("refuses another conversion's flag", async () => {
    const input = writeModel(join(out, 'bad.onnx'));
    const r = await runCli(['convert', input, '-o', join(out, 'bad-q4f16.onnx'), '--to', 'q4f16', '--per-channel']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--per-channel is an option of --to int8, not of --to q4f16/);
  });
});
