#!/usr/bin/env node
// Hashes every conversion's output over the corpus models and every ONNX backend test model, so a
// refactor can prove it changed no output byte: `node scripts/conversion-hashes.mjs > a.json`, change the code,
// rebuild, run again, and `node scripts/conversion-hashes.mjs --compare a.json`.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, convertModel, modelToBytes } from '../dist/index.js';

const corpus = resolve(process.env.ONNXPRESS_CORPUS ?? new URL('../../shared/corpus', import.meta.url).pathname);
const CONVERSIONS = {
  none: ['none', {}],
  fp16: ['fp16', {}],
  'fp16-keep-io': ['fp16', { keepIoTypes: true }],
  int8: ['int8', {}],
  'int8-per-channel': ['int8', { perChannel: true }],
  uint8: ['int8', { weightType: 'uint8' }],
  'int8-qdq': ['int8', { format: 'qdq' }],
};

function models() {
  const list = [];
  const dir = join(corpus, 'models');
  for (const name of readdirSync(dir).sort()) list.push([`models/${name}`, join(dir, name, 'model.onnx')]);
  for (const group of ['node', 'pytorch-converted', 'pytorch-operator', 'simple', 'light']) {
    const dir = join(corpus, 'onnx-backend', group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) list.push([`${group}/${name}`, join(dir, name, 'model.onnx')]);
  }
  return list.filter(([, file]) => existsSync(file));
}

const hashes = {};
for (const [id, file] of models()) {
  for (const [label, [to, options]] of Object.entries(CONVERSIONS)) {
    let value;
    try {
      const model = loadModel(file);
      await convertModel(model, to, options);
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
  const keys = new Set([...Object.keys(before), ...Object.keys(hashes)]);
  let same = 0;
  const differ = [];
  for (const k of keys) before[k] === hashes[k] ? same++ : differ.push(k);
  const errors = Object.values(hashes).filter((v) => v.startsWith('error')).length;
  console.log(`${keys.size} outputs (${errors} of them refusals with a message): ${same} identical, ${differ.length} different`);
  for (const k of differ) console.log(`  differs: ${k}\n    before ${before[k]}\n    after  ${hashes[k]}`);
  process.exitCode = differ.length ? 1 : 0;
}
