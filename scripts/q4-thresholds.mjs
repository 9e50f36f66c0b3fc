#!/usr/bin/env node
// The measurements behind the q4 kind's default thresholds (docs/validation.md): onnxruntime's own block-wise
// files of the six corpus models (ort/q4, q4_asym, q8nbits, q4f16), and broken copies of its q4 and q4f16 files
// with one scale tensor zeroed or multiplied by 4, each run in onnxruntime-node against the float32 model on
// test_data_set_0 (with the labels where there are some) and on synthesized inputs (validate's default, seeds
// 0..N-1 for onnxruntime's files, seed 0 for the broken copies). Prints, per model, the worst cosine and SNR of
// onnxruntime's files and how many broken copies fail the defaults (DEFAULT_THRESHOLDS.q4).
//
//   npm run build && node scripts/q4-thresholds.mjs [--seeds 20]
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import {
  accuracy,
  compareOutputs,
  DataType,
  DEFAULT_THRESHOLDS,
  float16ToFloat32,
  float32ToFloat16,
  loadModel,
  modelToBytes,
  readTensorFile,
  synthesizeInputs,
  toOrtTensor,
} from '../dist/index.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '20' } } });
const SEEDS = Number(values.seeds);
const corpus = resolve(process.env.ONNXPRESS_CORPUS ?? new URL('../../shared/corpus', import.meta.url).pathname);
const MODELS = ['char_gpt', 'digits_cnn', 'bert_tiny', 't5_tiny', 'marian_tiny', 'vit_tiny'];
const FILES = ['q4', 'q4_asym', 'q8nbits', 'q4f16'];
const SESSION = { intraOpNumThreads: 2, interOpNumThreads: 1 };

// The defaults for a model's answer (the corpus models' one output, logits).
const limit = (metric) => DEFAULT_THRESHOLDS.q4.find((t) => t.metric === metric && (!t.appliesTo || t.appliesTo.includes('class-scores')))?.limit;
const LIMITS = { cosine: limit('cosine'), snr: limit('snr'), drop: limit('accuracy-drop') };

async function run(source, feeds) {
  const session = await ort.InferenceSession.create(source, SESSION);
  try {
    const output = (await session.run(feeds))[session.outputNames[0]];
    return { data: output.type === 'float16' ? float16ToFloat32(output.data) : output.data, dims: output.dims };
  } finally {
    await session.release();
  }
}

const toFeeds = (sample) => Object.fromEntries([...sample].map(([name, t]) => [name, toOrtTensor(t)]));

function fails(m) {
  return m.cosine < LIMITS.cosine || m.snrDb < LIMITS.snr || (m.drop !== undefined && m.drop > LIMITS.drop);
}

/** A copy of a file's model with one scales tensor zeroed or multiplied by 4, as bytes. */
function broken(file, scales, how) {
  const model = loadModel(file);
  const tensor = model.graph.initializers.get(scales).initializer;
  const float16 = tensor.dataType === DataType.FLOAT16;
  const data = float16 ? float16ToFloat32(Uint16Array.from(tensor.toTypedArray())) : Float32Array.from(tensor.toTypedArray());
  for (let i = 0; i < data.length; i++) data[i] = how === 'zero' ? 0 : data[i] * 4;
  tensor.setData(float16 ? DataType.FLOAT16 : DataType.FLOAT, float16 ? float32ToFloat16(data) : data);
  return modelToBytes(model);
}

const f = (x, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
console.log(`q4 defaults for a model's answer: cosine >= ${LIMITS.cosine}, snr >= ${LIMITS.snr} dB, accuracy drop <= ${LIMITS.drop}`);
console.log(
  '| model | onnxruntime files: worst cosine / SNR, test data | synthesized, seeds 0-' +
    (SEEDS - 1) +
    ' | broken copies failing: test data | synthesized |',
);
console.log('|---|---|---|---|---|');
for (const name of MODELS) {
  const dir = join(corpus, 'models', name);
  const source = join(dir, 'model.onnx');
  const base = loadModel(source);
  const session = await ort.InferenceSession.create(source, SESSION);
  const inputNames = session.inputNames;
  await session.release();
  const inputFiles = readdirSync(join(dir, 'test_data_set_0'))
    .filter((file) => /^input_\d+\.pb$/.test(file))
    .sort();
  const testFeeds = Object.fromEntries(inputFiles.map((file, i) => [inputNames[i], toOrtTensor(readTensorFile(join(dir, 'test_data_set_0', file)))]));
  const labels = existsSync(join(dir, 'labels.pb')) ? readTensorFile(join(dir, 'labels.pb')).toTypedArray() : undefined;
  const synth = Array.from({ length: SEEDS }, (_, seed) => toFeeds(synthesizeInputs(base, { seed }).samples[0]));
  const reference = { test: await run(source, testFeeds), synth: await Promise.all(synth.map((feeds) => run(source, feeds))) };

  const measure = async (file, feeds, ref, withLabels) => {
    const out = await run(file, feeds);
    const m = compareOutputs(ref.data, out.data, ref.dims);
    if (withLabels && labels) m.drop = accuracy(ref.data, ref.dims, labels).accuracy - accuracy(out.data, out.dims, labels).accuracy;
    return m;
  };

  const worst = { test: { cosine: 1, snr: Infinity, drop: -Infinity }, synth: { cosine: 1, snr: Infinity } };
  for (const file of FILES) {
    const path = join(dir, 'ort', `${file}.onnx`);
    const t = await measure(path, testFeeds, reference.test, true);
    worst.test.cosine = Math.min(worst.test.cosine, t.cosine);
    worst.test.snr = Math.min(worst.test.snr, t.snrDb);
    if (t.drop !== undefined) worst.test.drop = Math.max(worst.test.drop, t.drop);
    for (let seed = 0; seed < SEEDS; seed++) {
      const s = await measure(path, synth[seed], reference.synth[seed], false);
      worst.synth.cosine = Math.min(worst.synth.cosine, s.cosine);
      worst.synth.snr = Math.min(worst.synth.snr, s.snrDb);
    }
  }

  const counts = { test: 0, synth: 0, total: 0 };
  for (const file of ['q4', 'q4f16']) {
    const path = join(dir, 'ort', `${file}.onnx`);
    const scales = [...loadModel(path, { deferWeights: true }).graph.initializers.keys()].filter((n) => n.endsWith('_scales'));
    for (const tensor of scales) {
      for (const how of ['zero', 'x4']) {
        const bytes = broken(path, tensor, how);
        counts.total++;
        if (fails(await measure(bytes, testFeeds, reference.test, true))) counts.test++;
        if (fails(await measure(bytes, synth[0], reference.synth[0], false))) counts.synth++;
      }
    }
  }
  const drop = Number.isFinite(worst.test.drop) ? `, accuracy drop ${f(worst.test.drop)}` : '';
  console.log(
    `| ${name} | ${f(worst.test.cosine, 6)} / ${f(worst.test.snr, 1)} dB${drop} | ${f(worst.synth.cosine, 6)} / ${f(worst.synth.snr, 1)} dB | ` +
      `${counts.test} of ${counts.total} | ${counts.synth} of ${counts.total} |`,
  );
}
