import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { float16ToFloat32 } from '../../src/ir/float16.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { OnnxpressError } from '../../src/errors.js';
import { loadModel } from '../../src/io/load.js';
import { defaultDimValue, fnv1a, mulberry32, synthesizeInputs } from '../../src/validate/synthesize.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { synthesisModel } from './input-files.js';

const numbers = (t: Tensor): number[] => Array.from(t.toTypedArray() as ArrayLike<number | bigint>, Number);

function expectError(run: () => unknown, code: string, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OnnxpressError);
  expect((error as OnnxpressError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('the generator', () => {
  it('hashes with FNV-1a (the published 32-bit test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('draws the mulberry32 sequence (compared with the original int32 formulation)', () => {
    const reference = (a: number) => () => {
      let t = (a += 0x6d2b79f5) | 0;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (const seed of [0, 1, 123456789, 0xffffffff]) {
      const mine = mulberry32(seed);
      const theirs = reference(seed | 0);
      for (let i = 0; i < 1000; i++) expect(mine()).toBe(theirs());
    }
  });
});

describe('synthesizeInputs', () => {
  const model = synthesisModel();

  it('is deterministic for a seed, differs between seeds and samples, and keeps earlier samples when more are drawn', () => {
    const bytes = (s: Map<string, Tensor>) => [...s.entries()].map(([name, t]) => [name, Buffer.from(t.rawBytes()).toString('hex')]);
    const a = synthesizeInputs(model, { seed: 7, samples: 2 });
    const b = synthesizeInputs(model, { seed: 7, samples: 3 });
    const c = synthesizeInputs(model, { seed: 8, samples: 2 });
    expect(a.samples.map(bytes)).toEqual(b.samples.slice(0, 2).map(bytes));
    expect(bytes(a.samples[0]!)).not.toEqual(bytes(a.samples[1]!));
    expect(bytes(c.samples[0]!).find(([n]) => n === 'pixels')).not.toEqual(bytes(a.samples[0]!).find(([n]) => n === 'pixels'));
    expect(a.source).toBe('random');
    expect(a.seed).toBe(7);
  });

  it('binds symbolic dims: batch 1, sequence-like 16, image sizes 32, --dims overrides', () => {
    const s = synthesizeInputs(model).samples[0]!;
    expect(s.get('input_ids')!.dims).toEqual([1, 16]);
    expect(s.get('pixels')!.dims).toEqual([1, 3, 32, 32]);
    expect(s.get('counts')!.dims).toEqual([2, 2]);
    expect(s.get('half')!.dims).toEqual([1]);
    const t = synthesizeInputs(model, { dims: { batch: 2, seq: 5 } }).samples[0]!;
    expect(t.get('input_ids')!.dims).toEqual([2, 5]);
    expect(t.get('attention_mask')!.dims).toEqual([2, 5]);
    expect([defaultDimValue('batch_size'), defaultDimValue('sequence_length'), defaultDimValue('src'), defaultDimValue('channels')]).toEqual([
      1, 16, 16, 1,
    ]);
    expectError(() => synthesizeInputs(model, { dims: { sq: 3 } }), 'E_USAGE', /no input of the model has a dim named 'sq'.*batch, seq/);
  });

  it('keeps token ids below the size of the smallest table they index, and fills masks with ones', () => {
    const s = synthesizeInputs(model, { dims: { seq: 2000 }, seed: 1 }).samples[0]!;
    const ids = numbers(s.get('input_ids')!);
    expect(Math.min(...ids)).toBe(0);
    expect(Math.max(...ids)).toBe(6); // table has 7 rows; wide's axis 1 has 11
    const pos = numbers(s.get('pos_ids')!);
    expect(Math.max(...pos)).toBeLessThan(50);
    expect(Math.max(...pos)).toBeGreaterThanOrEqual(45);
    const types = numbers(s.get('type_ids')!);
    expect(new Set(types)).toEqual(new Set([0, 1, 2])); // the Constant has 3 rows, the Identity'd initializer 9
    expect(s.get('type_ids')!.dataType).toBe(DataType.INT32);
    expect(new Set(numbers(s.get('attention_mask')!))).toEqual(new Set([1]));
    const counts = numbers(s.get('counts')!);
    expect(counts.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    expect(new Set(numbers(s.get('flags')!)).size).toBeLessThanOrEqual(2);
    expect(numbers(s.get('flags')!).every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('draws floats from a standard normal, rounded to the input type', () => {
    const s = synthesizeInputs(model, { dims: { height: 64, width: 64, n: 5000 }, seed: 3 }).samples[0]!;
    const pixels = s.get('pixels')!.toTypedArray() as Float32Array;
    const n = pixels.length;
    const mean = pixels.reduce((a, b) => a + b, 0) / n;
    const variance = pixels.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(n).toBe(3 * 64 * 64);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.05);
    const within1 = pixels.filter((v) => Math.abs(v) < 1).length / n;
    expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.02);
    const half = s.get('half')!;
    expect(half.dataType).toBe(DataType.FLOAT16);
    const values = float16ToFloat32(half.toTypedArray() as Uint16Array);
    expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length)).toBeLessThan(0.1);
  });
});

describe.skipIf(!HAVE_CORPUS)('synthesis on corpus models', () => {
  it('bert_tiny: input ids below the word-embedding rows, token types below 2, mask of ones', () => {
    const model = loadModel(join(CORPUS, 'models/bert_tiny/model.onnx'));
    const words = model.graph.initializers.get('m.bert.embeddings.word_embeddings.weight')!.initializer!.dims.map(Number)[0]!;
    const types = model.graph.initializers.get('m.bert.embeddings.token_type_embeddings.weight')!.initializer!.dims.map(Number)[0]!;
    const s = synthesizeInputs(model, { dims: { seq: 4000 } }).samples[0]!;
    const ids = numbers(s.get('input_ids')!);
    expect(Math.max(...ids)).toBeLessThan(words);
    expect(Math.max(...ids)).toBeGreaterThan(words * 0.99);
    expect(new Set(numbers(s.get('token_type_ids')!))).toEqual(new Set(Array.from({ length: types }, (_, i) => i)));
    expect(new Set(numbers(s.get('attention_mask')!))).toEqual(new Set([1]));
  });

  it('t5_tiny: encoder and decoder ids below the shared table', () => {
    const model = loadModel(join(CORPUS, 'models/t5_tiny/model.onnx'));
    const rows = model.graph.initializers.get('inner.m.shared.weight')!.initializer!.dims.map(Number)[0]!;
    const s = synthesizeInputs(model, { dims: { src: 3000, tgt: 3000 } }).samples[0]!;
    for (const name of ['input_ids', 'decoder_input_ids']) {
      const ids = numbers(s.get(name)!);
      expect(Math.max(...ids)).toBeLessThan(rows);
      expect(Math.max(...ids)).toBeGreaterThan(rows * 0.99);
    }
  });
});
