/**
 * Conv's default form (int8 weights that ONNX Runtime expands once at load, float math) stores one scale per
 * output channel: it costs nothing at run time, and a depthwise Conv, whose channels' ranges differ most, keeps
 * its accuracy. Per tensor stays available (convPerChannel: false), and ConvInteger stays per tensor as
 * onnxruntime makes it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import type { QuantizeDynamicOptions } from '../../../src/passes/quantize/options.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { CORPUS, HAVE_CORPUS } from '../../helpers/corpus.js';
import { cosine, top1Accuracy } from '../../helpers/metrics.js';
import { readTensorPb, readTestDataFeeds, runModel } from '../../helpers/ort.js';
import { tempDir } from '../../helpers/temp.js';
import { randomFloats } from './helpers.js';

/** Weights [channels, ...] whose channel c is scaled by 10^(-2 c / (channels - 1)): ranges 100x apart, as trained depthwise filters have. */
function spreadChannels(channels: number, perChannel: number, seed: number): Float32Array {
  const w = randomFloats(channels * perChannel, seed);
  for (let c = 0; c < channels; c++) {
    const scale = 10 ** ((-2 * c) / (channels - 1));
    for (let i = 0; i < perChannel; i++) w[c * perChannel + i]! *= scale;
  }
  return w;
}

/** A MobileNet-style block stack: stem Conv, then depthwise 3x3 + pointwise 1x1 twice, pooled to 10 scores. */
function depthwiseCnn(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [2, 3, 16, 16]);
  const conv = (input: ReturnType<ModelBuilder['input']>, name: string, cout: number, cin: number, k: number, group: number, seed: number) => {
    const perChannel = (cin / group) * k * k;
    const w = b.initializer(`${name}.weight`, spreadChannels(cout, perChannel, seed), [cout, cin / group, k, k]);
    const bias = b.initializer(`${name}.bias`, randomFloats(cout, seed + 1, 0.05), [cout]);
    const pads = k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0];
    return b.node('Relu', [b.node('Conv', [input, w, bias], { group, pads, kernel_shape: [k, k] }, { name })]);
  };
  let h = conv(x, 'stem', 16, 3, 3, 1, 10);
  h = conv(h, 'dw1', 16, 16, 3, 16, 20);
  h = conv(h, 'pw1', 32, 16, 1, 1, 30);
  h = conv(h, 'dw2', 32, 32, 3, 32, 40);
  h = conv(h, 'pw2', 10, 32, 1, 1, 50);
  b.output(b.node('Flatten', [b.node('GlobalAveragePool', [h])]), DataType.FLOAT, [2, 10]);
  return b.build();
}

const feeds = { x: new ort.Tensor('float32', randomFloats(2 * 3 * 16 * 16, 5), [2, 3, 16, 16]) };

async function outputOf(model: Model): Promise<Float32Array> {
  return Object.values(await runModel(modelToBytes(model), feeds))[0]!.data as Float32Array;
}

async function quantizedCosine(options: QuantizeDynamicOptions): Promise<{ cosine: number; model: Model }> {
  const model = depthwiseCnn();
  quantizeDynamic(model, options);
  return { cosine: cosine(await outputOf(model), await outputOf(depthwiseCnn())), model };
}

const scaleDims = (model: Model, conv: string): number[] => model.graph.initializers.get(`${conv}.weight_scale`)!.initializer!.dims.map(Number);

describe('Conv weights per output channel by default', () => {
  it('on a depthwise CNN, per channel beats per tensor on cosine, at the same op count', async () => {
    const perChannel = await quantizedCosine({});
    const perTensor = await quantizedCosine({ convPerChannel: false });
    expect(scaleDims(perChannel.model, 'dw1')).toEqual([16, 1, 1, 1]);
    expect(scaleDims(perChannel.model, 'pw2')).toEqual([10, 1, 1, 1]);
    expect(scaleDims(perTensor.model, 'dw1')).toEqual([]);
    expect(perChannel.cosine).toBeGreaterThan(perTensor.cosine);
    expect(perChannel.cosine).toBeGreaterThan(0.9999);
    expect(1 - perChannel.cosine).toBeLessThan((1 - perTensor.cosine) / 10);
    // Symmetric int8: every zero point is 0, so the expansion is Cast and Mul in both forms.
    const ops = (m: Model): string[] => [...m.graph.nodes].map((n) => n.opType).sort();
    expect(ops(perChannel.model)).toEqual(ops(perTensor.model));
  });

  it('--per-channel keeps its meaning elsewhere: ConvInteger stays per tensor (as onnxruntime), qdq follows --per-channel', () => {
    const integer = depthwiseCnn();
    quantizeDynamic(integer, { convInteger: true, perChannel: true });
    expect(scaleDims(integer, 'dw1')).toEqual([]);
    const qdq = depthwiseCnn();
    quantizeDynamic(qdq, { format: 'qdq' });
    expect(scaleDims(qdq, 'dw1')).toEqual([]);
    const qdqPerChannel = depthwiseCnn();
    quantizeDynamic(qdqPerChannel, { format: 'qdq', perChannel: true });
    expect(scaleDims(qdqPerChannel, 'dw1')).toEqual([16]);
  });
});

describe.skipIf(!HAVE_CORPUS)('digits_cnn with the defaults (per-channel Conv)', () => {
  it("keeps onnxruntime's accuracy of 0.9889 and stays within its int8 file size + 1%", async () => {
    const dir = join(CORPUS, 'models', 'digits_cnn');
    const model = loadModel(join(dir, 'model.onnx'));
    const { summary } = quantizeDynamic(model);
    expect(summary.counts).toMatchObject({ Conv: 2 });
    const path = join(tempDir(), 'digits.int8.onnx');
    saveModel(model, path);
    const feeds = readTestDataFeeds(join(dir, 'test_data_set_0'));
    const labels = readTensorPb(join(dir, 'labels.pb')).tensor;
    const ours = top1Accuracy(Object.values(await runModel(path, feeds))[0]!, labels);
    const theirs = top1Accuracy(Object.values(await runModel(join(dir, 'ort', 'int8.onnx'), feeds))[0]!, labels);
    expect(ours).toBeCloseTo(0.9889, 4);
    expect(ours).toBeGreaterThanOrEqual(theirs);
    expect(existsSync(join(dir, 'ort', 'int8.onnx'))).toBe(true);
    expect(statSync(path).size).toBeLessThanOrEqual(statSync(join(dir, 'ort', 'int8.onnx')).size * 1.01);
  });
});
