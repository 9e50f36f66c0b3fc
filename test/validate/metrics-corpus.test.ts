/**
 * The metrics on real models: task accuracy of the reference outputs must equal the corpus's meta.json exactly,
 * and drift of ONNX Runtime's own converted models must match the figures measured with onnxruntime's tools
 * (corpus README) and an independent plain computation.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/proto/codec.js';
import { accuracy, compareOutputs } from '../../src/validate/metrics.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = process.env.ONNXPRESS_CORPUS ?? path.resolve(repoRoot, '../shared/corpus');
const models = path.join(corpus, 'models');
const haveCorpus = existsSync(models);
if (!haveCorpus && process.env.ONNXPRESS_REQUIRE_CORPUS) throw new Error(`corpus required but missing at ${models}`);

interface Tensor {
  dims: number[];
  type: number;
  data: Float32Array | BigInt64Array;
}

function readTensor(file: string): Tensor {
  const t = decode(readFileSync(file), 'TensorProto');
  const dims = (t.dims as (number | bigint)[]).map(Number);
  const type = t.data_type as number;
  const raw = t.raw_data as Uint8Array | undefined;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw); // aligned copy
    if (type === 1) return { dims, type, data: new Float32Array(copy.buffer) };
    if (type === 7) return { dims, type, data: new BigInt64Array(copy.buffer) };
  }
  if (type === 1) return { dims, type, data: Float32Array.from(t.float_data as Float32Array) };
  if (type === 7) return { dims, type, data: BigInt64Array.from((t.int64_data as (number | bigint)[]).map(BigInt)) };
  throw new Error(`unsupported tensor type ${type} in ${file}`);
}

async function runModel(file: string, inputs: Record<string, Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 2 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor(t.type === 1 ? 'float32' : 'int64', t.data, t.dims);
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function loadCase(model: string) {
  const dir = path.join(models, model);
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { fp32_metric?: number; inputs: Record<string, unknown> };
  const inputs: Record<string, Tensor> = {};
  Object.keys(meta.inputs).forEach((name, i) => {
    inputs[name] = readTensor(path.join(dir, 'test_data_set_0', `input_${i}.pb`));
  });
  const reference = readTensor(path.join(dir, 'test_data_set_0', 'output_0.pb'));
  const labels = readTensor(path.join(dir, 'labels.pb'));
  return { dir, meta, inputs, reference, labels };
}

/** Plain cosine and top-1 accuracy, written separately from the module under test. */
function plainCosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return dot / Math.sqrt(na * nb);
}

function plainAccuracy(logits: Float32Array, classes: number, labels: BigInt64Array): number {
  let hits = 0;
  labels.forEach((label, r) => {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    if (row.indexOf(Math.max(...row)) === Number(label)) hits++;
  });
  return hits / labels.length;
}

// Figures from the corpus README (measured with onnxruntime-node 1.30): cosine to 6 decimals, metric to 4.
const MEASURED = [
  { model: 'digits_cnn', variant: 'int8', cosine: 0.999984, metric: 0.9889 },
  { model: 'digits_cnn', variant: 'fp16', cosine: 1.0, metric: 0.9889 },
  { model: 'char_gpt', variant: 'int8', cosine: 0.999835, metric: 0.6975 },
  { model: 'char_gpt', variant: 'fp16', cosine: 1.0, metric: 0.6958 },
];

describe.skipIf(!haveCorpus)('metrics on the corpus models', () => {
  for (const model of ['digits_cnn', 'char_gpt']) {
    it(`${model}: accuracy of the float32 reference outputs equals meta.json's fp32_metric exactly`, () => {
      const { meta, reference, labels } = loadCase(model);
      const score = accuracy(reference.data, reference.dims, labels.data);
      expect(score.count).toBe(labels.data.length);
      expect(score.accuracy).toBe(meta.fp32_metric);
    });
  }

  for (const m of MEASURED) {
    it(`${m.model} ${m.variant}: drift and accuracy match onnxruntime's measurements and a plain computation`, async () => {
      const { dir, inputs, reference, labels } = loadCase(m.model);
      const candidate = await runModel(path.join(dir, 'ort', `${m.variant}.onnx`), inputs);
      const ref = reference.data as Float32Array;
      const metrics = compareOutputs(ref, candidate, reference.dims);
      expect(Math.abs(metrics.cosine - m.cosine)).toBeLessThanOrEqual(2e-6);
      expect(Math.abs(metrics.cosine - plainCosine(ref, candidate))).toBeLessThanOrEqual(1e-12);
      let maxAbs = 0;
      ref.forEach((v, i) => (maxAbs = Math.max(maxAbs, Math.abs(v - candidate[i]!))));
      expect(Math.abs(metrics.maxAbs - maxAbs)).toBeLessThanOrEqual(1e-6 * maxAbs);
      const classes = reference.dims[reference.dims.length - 1]!;
      const score = accuracy(candidate, reference.dims, labels.data);
      expect(score.accuracy).toBe(plainAccuracy(candidate, classes, labels.data as BigInt64Array));
      // one labelled row of slack: int8 kernels differ slightly between CPU instruction sets
      expect(Math.abs(score.accuracy - m.metric)).toBeLessThanOrEqual(5e-5 + 1 / score.count);
    });
  }
});
