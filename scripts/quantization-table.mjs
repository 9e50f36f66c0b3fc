#!/usr/bin/env node
// The measured table of docs/quantization.md: onnxpress's block-wise variants of the six corpus models next to
// onnxruntime's own files (../shared/corpus/models/*/ort/), each run in onnxruntime-node on test_data_set_0.
// Size is the fraction of the float32 file; cosine is the first output's similarity to float32's reference
// output; the metric is top-1 accuracy against labels.pb where the model has labels. A second table varies one
// choice at a time (block size, zero points, accuracy level, bits) on char_gpt and t5_tiny.
//
//   npm run build && node scripts/quantization-table.mjs            # Markdown on stdout
//   node scripts/quantization-table.mjs --json                       # the figures as JSON
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertModel, loadModel, readTensorFile, saveModel, toOrtTensor } from '../dist/index.js';

const corpus = resolve(process.env.ONNXPRESS_CORPUS ?? new URL('../../shared/corpus', import.meta.url).pathname);
const MODELS = ['char_gpt', 'digits_cnn', 'bert_tiny', 't5_tiny', 'marian_tiny', 'vit_tiny'];

/** Column: our conversion and options, and onnxruntime's file (ort/NAME.onnx) made with the same settings. */
const VARIANTS = [
  { label: 'q4', to: 'q4', options: {}, ort: 'q4' },
  { label: 'q4_asym', to: 'q4', options: { asymmetric: true }, ort: 'q4_asym' },
  { label: 'q8', to: 'q4', options: { bits: 8 }, ort: 'q8nbits' },
  { label: 'q4f16', to: 'q4f16', options: {}, ort: 'q4f16' },
  { label: 'Gather', to: 'q4', options: { opTypes: ['MatMul', 'Gather'] }, ort: 'q4_gather' },
];

/** The second table: `--to q4` with one option changed from the defaults. */
const CHOICES = [
  { label: 'defaults (block 32, symmetric)', options: {} },
  { label: '--block-size 16', options: { blockSize: 16 } },
  { label: '--block-size 64', options: { blockSize: 64 } },
  { label: '--block-size 128', options: { blockSize: 128 } },
  { label: '--asymmetric', options: { asymmetric: true } },
  { label: '--accuracy-level 4', options: { accuracyLevel: 4 } },
  { label: '--bits 8', options: { bits: 8 } },
];
const CHOICE_MODELS = ['char_gpt', 't5_tiny'];

const SESSION = { intraOpNumThreads: 1, interOpNumThreads: 1 };

function testData(name) {
  const dir = join(corpus, 'models', name, 'test_data_set_0');
  const inputs = readdirSync(dir)
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]));
  return {
    inputs: inputs.map((f) => readTensorFile(join(dir, f))),
    expected: readTensorFile(join(dir, 'output_0.pb')).toTypedArray(),
  };
}

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

function accuracy(data, classes, labels) {
  let correct = 0;
  let counted = 0;
  for (let r = 0; r < labels.length; r++) {
    const label = Number(labels[r]);
    if (label < 0) continue;
    let best = 0;
    for (let j = 1; j < classes; j++) if (data[r * classes + j] > data[r * classes + best]) best = j;
    counted++;
    if (best === label) correct++;
  }
  return correct / counted;
}

/** Runs one file; undefined figures with the error when onnxruntime refuses it. */
async function measure(name, file, floatBytes) {
  const { inputs, expected } = testData(name);
  const labelsFile = join(corpus, 'models', name, 'labels.pb');
  const labels = existsSync(labelsFile) ? readTensorFile(labelsFile).toTypedArray() : undefined;
  const size = statSync(file).size / floatBytes;
  let session;
  try {
    session = await ort.InferenceSession.create(file, SESSION);
    const feeds = Object.fromEntries(session.inputNames.map((input, i) => [input, toOrtTensor(inputs[i])]));
    const output = (await session.run(feeds))[session.outputNames[0]];
    const data = output.data;
    return {
      size,
      cosine: cosine(data, expected),
      ...(labels ? { metric: accuracy(data, output.dims.at(-1), labels) } : {}),
    };
  } catch (e) {
    return {
      size,
      error: String(e.message ?? e)
        .split('\n')[0]
        .slice(0, 80),
    };
  } finally {
    await session?.release();
  }
}

const work = mkdtempSync(join(tmpdir(), 'onnxpress-qtable-'));
const rows = [];
const choices = [];
try {
  for (const name of MODELS) {
    const source = join(corpus, 'models', name, 'model.onnx');
    const floatBytes = statSync(source).size;
    const row = { model: name, ours: {}, ort: {} };
    for (const v of VARIANTS) {
      const model = loadModel(source);
      await convertModel(model, v.to, v.options);
      const file = join(work, `${name}.${v.label}.onnx`);
      saveModel(model, file);
      row.ours[v.label] = await measure(name, file, floatBytes);
      row.ort[v.label] = await measure(name, join(corpus, 'models', name, 'ort', `${v.ort}.onnx`), floatBytes);
    }
    rows.push(row);
    process.stderr.write(`${name} done\n`);
  }
  for (const choice of CHOICES) {
    const row = { choice: choice.label };
    for (const name of CHOICE_MODELS) {
      const source = join(corpus, 'models', name, 'model.onnx');
      const model = loadModel(source);
      await convertModel(model, 'q4', choice.options);
      const file = join(work, `${name}.choice.onnx`);
      saveModel(model, file);
      row[name] = await measure(name, file, statSync(source).size);
    }
    choices.push(row);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function cell(m) {
  if (m.error) return `${m.size.toFixed(3)} / does not load`;
  return [m.size.toFixed(3), m.cosine.toFixed(6), ...(m.metric !== undefined ? [m.metric.toFixed(4)] : [])].join(' / ');
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ rows, choices }, null, 1)}\n`);
} else {
  const labels = VARIANTS.map((v) => v.label);
  const lines = [`| model | by | ${labels.join(' | ')} |`, `|---|---|${labels.map(() => '---|').join('')}`];
  for (const row of rows) {
    lines.push(`| ${row.model} | onnxpress | ${labels.map((l) => cell(row.ours[l])).join(' | ')} |`);
    lines.push(`| | onnxruntime | ${labels.map((l) => cell(row.ort[l])).join(' | ')} |`);
  }
  lines.push('', `| --to q4 | ${CHOICE_MODELS.join(' | ')} |`, `|---|${CHOICE_MODELS.map(() => '---|').join('')}`);
  for (const row of choices) lines.push(`| ${row.choice} | ${CHOICE_MODELS.map((m) => cell(row[m])).join(' | ')} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
