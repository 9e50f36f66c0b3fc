/**
 * Acceptance on the corpus, measured in onnxruntime-node against onnxruntime's own files (ort/*.onnx), run
 * here on the same inputs: every output loads and runs; with the defaults the file is no larger than
 * ort/q4.onnx + 1% and its output cosine to float32 no worse than ort/q4.onnx's by more than 0.0005; char_gpt
 * keeps at least onnxruntime's q4 accuracy; Gather as GatherBlockQuantized loads and runs on every model,
 * t5_tiny included, whose onnxruntime q4_gather.onnx does not load.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import { loadModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import type { QuantizeNBitsOptions } from '../../../src/passes/quantize-nbits/options.js';
import { quantizeNBits } from '../../../src/passes/quantize-nbits/quantize.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../../helpers/corpus.js';
import { cosine, top1Accuracy } from '../../helpers/metrics.js';
import { readTensorPb, readTestDataFeeds, runModel } from '../../helpers/ort.js';
import { tempDir } from '../../helpers/temp.js';
import { opCounts } from '../quantize/helpers.js';

const out = tempDir('onnxpress-q4-');

interface Measured {
  bytes: number;
  cosine: number;
  accuracy: number | undefined;
  output: Float32Array;
}

/** Runs a model file on test_data_set_0: size, cosine of the first output to float32's, accuracy where there are labels. */
async function measure(name: string, path: string): Promise<Measured> {
  const dir = join(CORPUS, 'models', name);
  const expected = readTensorPb(join(dir, 'test_data_set_0', 'output_0.pb')).tensor;
  const first = Object.values(await runModel(path, readTestDataFeeds(join(dir, 'test_data_set_0'))))[0]!;
  const labels = existsSync(join(dir, 'labels.pb')) ? readTensorPb(join(dir, 'labels.pb')).tensor : undefined;
  return {
    bytes: statSync(path).size,
    cosine: cosine(first.data as Float32Array, expected.data as Float32Array),
    accuracy: labels ? top1Accuracy(first, labels) : undefined,
    output: first.data as Float32Array,
  };
}

function quantizeTo(name: string, variant: string, options: QuantizeNBitsOptions) {
  const model = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
  const { summary } = quantizeNBits(model, options);
  const path = join(out, `${name}.${variant}.onnx`);
  saveModel(model, path);
  return { model, summary, path };
}

const ortFile = (name: string, file: string): string => join(CORPUS, 'models', name, 'ort', `${file}.onnx`);

describe.skipIf(!HAVE_CORPUS)('q4 on the corpus, against onnxruntime MatMulNBitsQuantizer', () => {
  for (const name of CORPUS_MODELS) {
    it(`${name}: defaults: size, cosine and accuracy at least onnxruntime's q4`, async () => {
      const { model, summary, path } = quantizeTo(name, 'q4', {});
      const ours = await measure(name, path);
      const theirs = await measure(name, ortFile(name, 'q4'));
      expect(ours.bytes).toBeLessThanOrEqual(theirs.bytes * 1.01);
      expect(ours.cosine).toBeGreaterThanOrEqual(theirs.cosine - 0.0005);
      expect(ours.output.every(Number.isFinite)).toBe(true);
      if (theirs.accuracy !== undefined) expect(ours.accuracy!).toBeGreaterThanOrEqual(theirs.accuracy - 1e-9);
      expect(opCounts(model).MatMulNBits).toBe(opCounts(loadModel(ortFile(name, 'q4'))).MatMulNBits);
      // The opset stays: MatMulNBits is com.microsoft's.
      expect(model.opsetVersion('')).toBe(17);
      expect(summary.modified).toBe(name !== 'digits_cnn');
    });
  }

  it("char_gpt q4 keeps onnxruntime's q4 accuracy of 0.6899 on its labels", async () => {
    const { path } = quantizeTo('char_gpt', 'q4-accuracy', {});
    const ours = await measure('char_gpt', path);
    expect(ours.accuracy).toBeGreaterThanOrEqual(0.6899);
  });

  for (const [variant, file, options] of [
    ['asymmetric', 'q4_asym', { symmetric: false }],
    ['8 bits', 'q8nbits', { bits: 8 }],
  ] as const) {
    it(`${variant}: every model runs with onnxruntime's ${file} outputs (the same weights)`, async () => {
      for (const name of CORPUS_MODELS) {
        const { path } = quantizeTo(name, file, options);
        const ours = await measure(name, path);
        const theirs = await measure(name, ortFile(name, file));
        expect(ours.bytes, name).toBeLessThanOrEqual(theirs.bytes * 1.01);
        expect(ours.cosine, name).toBeGreaterThanOrEqual(theirs.cosine - 0.0005);
      }
    });
  }

  it('--op-types MatMul,Gather: GatherBlockQuantized loads and runs on every model, t5_tiny included', async () => {
    for (const name of CORPUS_MODELS) {
      const { model, path } = quantizeTo(name, 'q4-gather', { opTypes: ['MatMul', 'Gather'] });
      const ours = await measure(name, path);
      expect(ours.output.every(Number.isFinite), name).toBe(true);
      expect(ours.cosine, name).toBeGreaterThan(0.97);
      // Packed uint8 tables need no INT4 type, so the opset stays where it was (onnxruntime forces 21).
      expect(model.opsetVersion(''), name).toBe(17);
      if (name !== 'digits_cnn' && name !== 'vit_tiny') expect(opCounts(model).GatherBlockQuantized, name).toBeGreaterThan(0);
      const theirs = ortFile(name, 'q4_gather');
      if (name !== 't5_tiny') expect(ours.bytes, name).toBeLessThanOrEqual(statSync(theirs).size * 1.01);
    }
  });

  it("t5_tiny: onnxruntime's q4_gather.onnx is invalid because its opset was set to 21 with ReduceMean's axes still an attribute", async () => {
    await expect(runModel(ortFile('t5_tiny', 'q4_gather'), {})).rejects.toThrow(/Unrecognized attribute: axes for operator ReduceMean/);
    const reference = loadModel(ortFile('t5_tiny', 'q4_gather'));
    expect(reference.opsetVersion('')).toBe(21);
    const reduce = [...reference.graph.nodes].filter((n) => n.opType === 'ReduceMean');
    expect(reduce.length).toBeGreaterThan(0);
    expect(reduce.every((n) => n.attributes.has('axes'))).toBe(true);
  });

  it('t5_tiny and marian_tiny: the LM head, an exported transposed copy of the shared embedding, is quantized once with it', async () => {
    for (const name of ['t5_tiny', 'marian_tiny']) {
      const { model, summary, path } = quantizeTo(name, 'q4-tied', { opTypes: ['MatMul', 'Gather'] });
      expect(summary.tiedWeights, name).toBe(1);
      const gathers = [...model.graph.nodes].filter((n) => n.opType === 'GatherBlockQuantized');
      const head = [...model.graph.nodes].find((n) => n.opType === 'MatMulNBits' && n.name?.includes('lm_head'))!;
      // The embedding's Gathers read the head's MatMulNBits weight through a Reshape.
      const shared = gathers.filter((g) => g.input(0)!.producer()?.input(0) === head.input(1));
      expect(shared.length, name).toBe(2);
      expect(
        gathers.filter((g) => shared.includes(g)).every((g) => g.input(2) === head.input(2)),
        name,
      ).toBe(true);
      // Neither the float table nor its transposed copy is left.
      const big = [...model.graph.initializers.values()].filter(
        (v) => v.initializer!.dataType === DataType.FLOAT && v.initializer!.elementCount >= 64_000,
      );
      expect(
        big.map((v) => v.name),
        name,
      ).toEqual([]);
      const ours = await measure(name, path);
      expect(ours.cosine, name).toBeGreaterThan(0.97);
    }
  });

  it('--format qdq: blocked DequantizeLinear at opset 21 runs on every model, as close as MatMulNBits', async () => {
    for (const name of CORPUS_MODELS) {
      const { model, path } = quantizeTo(name, 'q4-qdq', { format: 'qdq' });
      const ours = await measure(name, path);
      const theirs = await measure(name, ortFile(name, 'q4'));
      expect(ours.cosine, name).toBeGreaterThanOrEqual(theirs.cosine - 0.0005);
      expect(ours.bytes, name).toBeLessThanOrEqual(theirs.bytes * 1.02);
      if (name === 'digits_cnn') continue;
      expect(model.opsetVersion(''), name).toBe(21);
      const dq = [...model.graph.allNodes()].filter((n) => n.opType === 'DequantizeLinear');
      expect(dq.length, name).toBe(opCounts(loadModel(ortFile(name, 'q4'))).MatMulNBits);
      expect(
        dq.every((n) => n.attr('block_size')?.asNumber() === 32 && n.input(0)!.initializer!.dataType === DataType.INT4),
        name,
      ).toBe(true);
    }
  });
});
