#!/usr/bin/env node
// Hashes every conversion's output over the corpus models and every ONNX backend test model, so a
// refactor can prove it changed no output byte: `node scripts/conversion-hashes.mjs > a.json`, change the code,
// rebuild, run again, and `node scripts/conversion-hashes.mjs --compare a.json`.
// Restrict a run to what a change touches (the same flags for the baseline and the compare):
//   --only q4,q4-qdq,int8   conversion labels (the keys of CONVERSIONS below; default: all of them)
//   --models corpus         corpus models only (`backend`: the ONNX backend test models; default `all`)
// With a restriction, --compare reads only the baseline's keys that the restriction selects.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, applyConversions, modelToBytes } from '../dist/index.js';

const corpus = resolve(process.env.ONNXPRESS_CORPUS ?? new URL('../../shared/corpus', import.meta.url).pathname);
const CONVERSIONS = {
  none: ['none', {}],
  fp16: ['fp16', {}],
  'fp16-keep-io': ['fp16', { keepIoTypes: true }],
  int8: ['int8', {}],
  'int8-per-channel': ['int8', { perChannel: true }],
  uint8: ['int8', { weightType: 'uint8' }],
  'int8-qdq': ['int8', { format: 'qdq' }],
  q4: ['q4', {}],
  'q4-qdq': ['q4', { format: 'qdq' }],
  'q4-gather-asym': ['q4', { opTypes: ['MatMul', 'Gemm', 'Gather'], asymmetric: true }],
  q4f16: ['q4f16', {}],
  // Steps: an upgrade, then a conversion (`convert --opset 21 --to ...`).
  'opset21-int8': [
    ['upgrade', { opset: 21 }],
    ['int8', {}],
  ],
  'opset21-q4-qdq': [
    ['upgrade', { opset: 21 }],
    ['q4', { format: 'qdq' }],
  ],
};

function flag(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
const only = flag('--only')?.split(',');
for (const label of only ?? []) if (!(label in CONVERSIONS)) throw new Error(`--only: no conversion labelled '${label}'`);
const labels = only ?? Object.keys(CONVERSIONS);
const which = flag('--models') ?? 'all';
if (!['all', 'corpus', 'backend'].includes(which)) throw new Error('--models is all, corpus or backend');

function models() {
  const list = [];
  const dir = join(corpus, 'models');
  if (which !== 'backend') for (const name of readdirSync(dir).sort()) list.push([`models/${name}`, join(dir, name, 'model.onnx')]);
  for (const group of which === 'corpus' ? [] : ['node', 'pytorch-converted', 'pytorch-operator', 'simple', 'light']) {
    const dir = join(corpus, 'onnx-backend', group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) list.push([`${group}/${name}`, join(dir, name, 'model.onnx')]);
  }
  return list.filter(([, file]) => existsSync(file));
}

const hashes = {};
for (const [id, file] of models()) {
  for (const label of labels) {
    const entry = CONVERSIONS[label];
    const steps = (Array.isArray(entry[0]) ? entry : [entry]).map(([to, options]) => ({ to, options }));
    let value;
    try {
      const model = loadModel(file);
      await applyConversions(model, steps);
      value = createHash('sha256').update(modelToBytes(model)).digest('hex');
    } catch (e) {
      value = `error: ${e.message}`;
    }
    hashes[`${id} ${label}`] = value;
  }
}

const compareWith = process.argv.indexOf('--compare');
if (compareWith < 0) {
  process.stdout.write(`${JSON.stringify(hashes, null, 1)}\n`);
} else {
  const before = JSON.parse(readFileSync(process.argv[compareWith + 1], 'utf8'));
  const ids = new Set(models().map(([id]) => id));
  for (const k of Object.keys(before)) {
    const cut = k.lastIndexOf(' ');
    if (!ids.has(k.slice(0, cut)) || !labels.includes(k.slice(cut + 1))) delete before[k];
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(hashes)]);
  let same = 0;
  const differ = [];
  for (const k of keys) before[k] === hashes[k] ? same++ : differ.push(k);
  const errors = Object.values(hashes).filter((v) => v.startsWith('error')).length;
  console.log(`${keys.size} outputs (${errors} of them refusals with a message): ${same} identical, ${differ.length} different`);
  for (const k of differ) console.log(`  differs: ${k}\n    before ${before[k]}\n    after  ${hashes[k]}`);
  process.exitCode = differ.length ? 1 : 0;
}
