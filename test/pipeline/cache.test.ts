import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { canonicalJson, entryKey, fingerprintModel, readCached, writeCached, type KeyParts } from '../../src/pipeline/cache.js';
import type { PlannedVariant } from '../../src/pipeline/plan.js';
import type { EntryOutcome } from '../../src/pipeline/types.js';
import { normalizeValidateOptions } from '../../src/validate/options.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { tempDir, writeFile, writeTinyModel } from './helpers.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A project folder with a model, test data and labels, and the key parts for one variant of it. */
function setup(root: string) {
  const model = writeTinyModel(path.join(root, 'm/model.onnx'));
  const data = path.join(root, 'm/test_data_set_0');
  writeFile(path.join(data, 'input_0.pb'), 'inputs');
  const labels = writeFile(path.join(root, 'm/labels.pb'), 'labels');
  const output = path.join(root, 'out/m/q.onnx');
  const thresholds: PlannedVariant['thresholds'] = [{ metric: 'cosine', limit: 0.99, direction: 'min', source: 'user' }];
  const options = normalizeValidateOptions({
    baseline: model,
    baselineName: 'm',
    candidate: output,
    candidateName: 'q',
    kind: 'int8',
    thresholds,
    inputs: [data],
    labels,
    latency: { iterations: 10 },
  });
  const variant: PlannedVariant = {
    name: 'q',
    passes: [{ to: 'int8', options: { perChannel: false } }],
    kind: 'int8',
    output,
    thresholds,
    validate: options,
  };
  const parts = async (): Promise<KeyParts> => ({ fingerprint: await fingerprintModel(model), variant, options });
  return { model, data, labels, variant, options, parts };
}

describe('cache keys', () => {
  it('depend on contents, not on where the project is', async () => {
    const one = setup(tempDir());
    const two = setup(tempDir());
    expect(await entryKey(await one.parts())).toBe(await entryKey(await one.parts()));
    expect(await entryKey(await one.parts())).toBe(await entryKey(await two.parts()));
  });

  it('change with the model, a pass option, a threshold, the latency settings, names, test data, labels or the validator', async () => {
    const root = tempDir();
    const s = setup(root);
    const base = await entryKey(await s.parts());
    const keyWith = async (change: (p: KeyParts) => KeyParts) => entryKey(change(await s.parts()));

    expect(await keyWith((p) => ({ ...p, variant: { ...p.variant, passes: [{ to: 'int8', options: { perChannel: true } }] } }))).not.toBe(base);
    expect(await keyWith((p) => ({ ...p, options: { ...p.options, thresholds: [{ ...p.options.thresholds[0]!, limit: 0.98 }] } }))).not.toBe(base);
    expect(await keyWith((p) => ({ ...p, options: { ...p.options, latency: false } }))).not.toBe(base);
    expect(await keyWith((p) => ({ ...p, options: { ...p.options, iterations: 11 } }))).not.toBe(base);
    expect(await keyWith((p) => ({ ...p, options: { ...p.options, inputs: [] } }))).not.toBe(base);
    expect(await keyWith((p) => ({ ...p, options: { ...p.options, candidateName: 'r' } }))).not.toBe(base);

    const validator = writeFile(path.join(root, 'v.mjs'), 'export async function validate() {}');
    const withValidator = await keyWith((p) => ({ ...p, validator }));
    expect(withValidator).not.toBe(base);
    writeFileSync(validator, 'export async function validate() { return 1 }');
    expect(await keyWith((p) => ({ ...p, validator }))).not.toBe(withValidator);

    writeFileSync(path.join(s.data, 'input_0.pb'), 'other inputs');
    const afterData = await entryKey(await s.parts());
    expect(afterData).not.toBe(base);
    writeFileSync(s.labels, 'other labels');
    const afterLabels = await entryKey(await s.parts());
    expect(afterLabels).not.toBe(afterData);
    writeTinyModel(s.model, 9);
    expect(await entryKey(await s.parts())).not.toBe(afterLabels);
  });

  it('fingerprints cover external data, and a file that is not a model is hashed as bytes', async () => {
    const root = tempDir();
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 64]);
    const w = b.initializer('w', new Float32Array(64 * 64).fill(0.5), [64, 64]);
    b.output(b.node('MatMul', [x, w]), DataType.FLOAT, [1, 64]);
    const file = path.join(root, 'ext/model.onnx');
    writeFile(file, '');
    const saved = saveModel(b.build(), file, { externalThreshold: 0 });
    expect(saved.externalDataFile).toBe(`${file}.data`);

    const before = await fingerprintModel(file);
    expect(before.model).toBe(sha(readFileSync(file)));
    expect(before.external).toEqual([['model.onnx.data', sha(readFileSync(`${file}.data`))]]);
    expect(before.bytes).toBe(readFileSync(file).length + readFileSync(`${file}.data`).length);
    const data = readFileSync(`${file}.data`);
    data[100] = data[100]! ^ 1;
    writeFileSync(`${file}.data`, data);
    const after = await fingerprintModel(file);
    expect(after.model).toBe(before.model);
    expect(after.external[0]![1]).not.toBe(before.external[0]![1]);

    const junk = writeFile(path.join(root, 'junk.onnx'), 'not a model');
    expect(await fingerprintModel(junk)).toEqual({ model: sha(Buffer.from('not a model')), external: [], bytes: 11 });
  });

  it('canonical JSON ignores key order and keeps non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: Infinity } })).toBe(
      canonicalJson({ a: { c: Infinity, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: Infinity })).not.toBe(canonicalJson({ a: null }));
  });
});

describe('cache records', () => {
  it('are reused only with the same key and while the converted files are unchanged in size', () => {
    const root = tempDir();
    const cacheDir = path.join(root, 'out/.onnxpress-cache');
    const output = writeFile(path.join(root, 'out/m/q.onnx'), 'converted');
    const outcome: EntryOutcome = {
      model: 'm',
      variant: 'q',
      status: 'error',
      input: '/x/m.onnx',
      inputBytes: 10,
      output,
      outputBytes: 9,
      error: { stage: 'validate', message: 'E', code: 'E_RUNTIME' },
      cached: false,
      seconds: 1.5,
    };
    writeCached(cacheDir, outcome, 'k1', [output]);
    expect(readCached(cacheDir, 'm', 'q', 'k1')).toEqual({ ...outcome, cached: true });
    expect(readCached(cacheDir, 'm', 'q', 'k2')).toBeUndefined();
    expect(readCached(cacheDir, 'm', 'other', 'k1')).toBeUndefined();
    writeFileSync(output, 'changed size');
    expect(readCached(cacheDir, 'm', 'q', 'k1')).toBeUndefined();
  });
});
