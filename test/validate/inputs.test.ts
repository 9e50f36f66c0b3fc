import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { float16ToFloat32 } from '../../src/ir/float16.js';
import { OnnxpressError } from '../../src/errors.js';
import { loadModel } from '../../src/io/load.js';
import { decode } from '../../src/proto/codec.js';
import { adaptForCandidate, loadInputs, modelInputs, type ModelInput } from '../../src/validate/inputs.js';
import { readLabels } from '../../src/io/labels.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { bytesOf, npyBytes, writeTensorPb } from './input-files.js';
import { tempDir } from '../helpers/temp.js';

const INPUTS: ModelInput[] = [
  { name: 'ids', dataType: DataType.INT64, dims: ['batch', 4] },
  { name: 'x', dataType: DataType.FLOAT, dims: ['batch', 2, 2] },
];

const values = (t: { toTypedArray(): ArrayLike<number | bigint> }) => Array.from(t.toTypedArray(), Number);

function expectInputError(run: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OnnxpressError);
  expect((error as OnnxpressError).code).toBe('E_INPUT');
  expect((error as Error).message).toMatch(message);
}

/** A folder of test_data_set_N folders, `sets` of them, each with ids = [n, n+1, n+2, n+3] and x = n/10... */
function writeTestData(sets: number): string {
  const root = tempDir();
  for (let n = 0; n < sets; n++) {
    const dir = join(root, `test_data_set_${n}`);
    mkdirSync(dir);
    writeTensorPb(
      join(dir, 'input_0.pb'),
      'ids',
      DataType.INT64,
      [1, 4],
      BigInt64Array.from([0, 1, 2, 3], (i) => BigInt(n + i)),
    );
    // input_1 has no name: it is matched by position.
    writeTensorPb(
      join(dir, 'input_1.pb'),
      undefined,
      DataType.FLOAT,
      [1, 2, 2],
      Float32Array.from([1, 2, 3, 4], (i) => n + i / 10),
    );
    writeTensorPb(join(dir, 'output_0.pb'), 'y', DataType.FLOAT, [1], Float32Array.of(0));
  }
  return root;
}

describe('loadInputs', () => {
  it('reads every test_data_set_N of a folder as a sample, in numeric order, naming unnamed tensors by position', () => {
    const root = writeTestData(11);
    const set = loadInputs([root], INPUTS);
    expect(set.source).toBe('test-data');
    expect(set.samples).toHaveLength(11);
    expect(values(set.samples[10]!.get('ids')!)).toEqual([10, 11, 12, 13]);
    expect(set.samples[2]!.get('x')!.dims.map(Number)).toEqual([1, 2, 2]);
    expect(values(set.samples[2]!.get('x')!)).toEqual([2.1, 2.2, 2.3, 2.4].map(Math.fround));
    // One set folder on its own is one sample.
    expect(loadInputs([join(root, 'test_data_set_3')], INPUTS).samples).toHaveLength(1);
  });

  it('reads only the inputs of a test-data folder: an unnamed expected output (old ONNX test data) is no error', () => {
    const root = writeTestData(1);
    const dir = join(root, 'test_data_set_0');
    writeTensorPb(join(dir, 'output_0.pb'), undefined, DataType.FLOAT, [1], Float32Array.of(0));
    expect(loadInputs([dir], INPUTS).samples[0]!.size).toBe(2);
  });

  it('combines loose .pb and .npy files (NAME=FILE, the TensorProto name, or the file name) into one sample', () => {
    const dir = tempDir();
    writeTensorPb(join(dir, 'whatever.pb'), 'ids', DataType.INT64, [2, 4], new BigInt64Array(8).fill(5n));
    writeFileSync(
      join(dir, 'pixels.npy'),
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", bytesOf(Float32Array.from({ length: 8 }, (_, i) => i))),
    );
    const set = loadInputs([join(dir, 'whatever.pb'), `x=${join(dir, 'pixels.npy')}`], INPUTS);
    expect(set.source).toBe('files');
    expect(set.samples).toHaveLength(1);
    expect(values(set.samples[0]!.get('x')!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    writeFileSync(join(dir, 'x.npy'), readFileSync(join(dir, 'pixels.npy')));
    expect(
      loadInputs([join(dir, 'whatever.pb'), join(dir, 'x.npy')], INPUTS)
        .samples[0]!.get('x')!
        .dims.map(Number),
    ).toEqual([2, 2, 2]);
  });

  it('reads JSON: tensor objects and nested arrays typed by the model, one sample or an array of them', () => {
    const dir = tempDir();
    const file = join(dir, 'in.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          ids: { dims: [1, 4], dtype: 'int64', data: [1, 2, '9007199254740993', 4] },
          x: [
            [
              [0.5, 1],
              ['NaN', -2],
            ],
          ],
        },
        { ids: [[7, 7, 7, 7]], x: { data: [1, 2, 3, 4], dims: [1, 2, 2] } },
      ]),
    );
    const set = loadInputs([file], INPUTS);
    expect(set.samples).toHaveLength(2);
    expect([...(set.samples[0]!.get('ids')!.toTypedArray() as BigInt64Array)]).toEqual([1n, 2n, 9007199254740993n, 4n]);
    expect(values(set.samples[0]!.get('x')!)).toEqual([0.5, 1, NaN, -2]);
    expect(set.samples[1]!.get('ids')!.dataType).toBe(DataType.INT64);
    expect(set.samples[1]!.get('x')!.dims.map(Number)).toEqual([1, 2, 2]);
  });

  it('names the input when one is missing, unknown, of the wrong type or rank, or of the wrong fixed size', () => {
    const dir = tempDir();
    const json = (name: string, value: unknown) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(value));
      return file;
    };
    const x = { dims: [1, 2, 2], data: [1, 2, 3, 4] };
    expectInputError(() => loadInputs([json('missing', { x })], INPUTS), /input 'ids' is missing/);
    expectInputError(() => loadInputs([json('unknown', { ids: [[1, 2, 3, 4]], x, y: [1] })], INPUTS), /input 'y': the model has no input named 'y'/);
    expectInputError(
      () => loadInputs([json('unknown-typed', { ids: [[1, 2, 3, 4]], x, y: { dtype: 'float32', data: [1] } })], INPUTS),
      /the model has no input named 'y' \(its inputs: ids, x\)/,
    );
    expectInputError(
      () => loadInputs([json('dtype', { ids: { dtype: 'int32', data: [[1, 2, 3, 4]] }, x })], INPUTS),
      /input 'ids' is int32 but the model expects int64/,
    );
    expectInputError(() => loadInputs([json('rank', { ids: [1, 2, 3, 4], x })], INPUTS), /input 'ids' has rank 1 .* expects rank 2 \[batch, 4\]/);
    expectInputError(
      () => loadInputs([json('size', { ids: [[1, 2, 3]], x })], INPUTS),
      /input 'ids' has shape \[1, 3\] but the model expects \[batch, 4\]/,
    );
    expectInputError(() => loadInputs([json('float', { ids: [[1, 2.5, 3, 4]], x })], INPUTS), /input 'ids': 2.5 is not an integer/);
    const npy = join(dir, 'ids.npy');
    writeFileSync(npy, npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 4), }", bytesOf(Int32Array.of(1, 2, 3, 4))));
    writeFileSync(join(dir, 'x.npy'), npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", bytesOf(new Float32Array(4))));
    expectInputError(() => loadInputs([npy, join(dir, 'x.npy')], INPUTS), /input 'ids' is int32 but the model expects int64/);
    expectInputError(() => loadInputs([join(dir, 'nothing.npy')], INPUTS), /no such file/);
    writeFileSync(join(dir, 'a.txt'), 'x');
    expectInputError(() => loadInputs([join(dir, 'a.txt')], INPUTS), /unknown input file type/);
  });

  it('converts float32 inputs to float16 for a candidate that takes float16, and refuses other type changes', () => {
    const root = writeTestData(1);
    const set = loadInputs([root], INPUTS);
    const candidate: ModelInput[] = [INPUTS[0]!, { ...INPUTS[1]!, dataType: DataType.FLOAT16 }];
    const feed = adaptForCandidate(set.samples, INPUTS, candidate);
    const x = feed.samples[0]!.get('x')!;
    expect(x.dataType).toBe(DataType.FLOAT16);
    // 0.1, 0.2, 0.3, 0.4 rounded to float16 (nearest representable values, spacing 2^-13 / 2^-12 / 2^-12 / 2^-12)
    expect([...float16ToFloat32(x.toTypedArray() as Uint16Array)]).toEqual([0.0999755859375, 0.199951171875, 0.300048828125, 0.39990234375]);
    expect(feed.samples[0]!.get('ids')).toBe(set.samples[0]!.get('ids'));
    expect(feed.notes.join(' ')).toMatch(/'x' was converted from float32 to float16/);
    expectInputError(
      () => adaptForCandidate(set.samples, INPUTS, [{ ...INPUTS[0]!, dataType: DataType.INT32 }, INPUTS[1]!]),
      /'ids' is int64 in the baseline but int32/,
    );
    expectInputError(
      () => adaptForCandidate(set.samples, INPUTS, [...INPUTS, { name: 'z', dataType: DataType.FLOAT, dims: [1] }]),
      /needs input 'z'/,
    );
  });
});

describe('readLabels', () => {
  it('reads labels from .pb, .npy and JSON', () => {
    const dir = tempDir();
    writeTensorPb(join(dir, 'l.pb'), 'labels', DataType.INT64, [2, 2], BigInt64Array.of(1n, 0n, -1n, 3n));
    writeFileSync(join(dir, 'l.npy'), npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", bytesOf(Int32Array.of(1, 0, -1, 3))));
    writeFileSync(join(dir, 'l.json'), '[[1, 0], [-1, 3]]');
    for (const file of ['l.pb', 'l.npy', 'l.json']) expect(Array.from(readLabels(join(dir, file)).values, Number)).toEqual([1, 0, -1, 3]);
    writeFileSync(join(dir, 'f.json'), '[0.5]');
    expectInputError(() => readLabels(join(dir, 'f.json')), /not an integer/);
  });
});

describe.skipIf(!HAVE_CORPUS)('corpus test data', () => {
  it.each(['bert_tiny', 'marian_tiny', 'digits_cnn'])('%s: the test_data_set folder matches the model and the files', (name) => {
    const dir = join(CORPUS, 'models', name);
    const model = loadModel(join(dir, 'model.onnx'));
    const set = loadInputs([dir], modelInputs(model));
    expect(set.samples).toHaveLength(1);
    model.graph.inputs.forEach((input, k) => {
      const proto = decode(readFileSync(join(dir, 'test_data_set_0', `input_${k}.pb`)), 'TensorProto');
      const tensor = set.samples[0]!.get(input.name)!;
      expect(tensor.dims.map(Number)).toEqual((proto.dims as number[]).map(Number));
      expect(Buffer.from(tensor.rawBytes()).equals(Buffer.from(proto.raw_data as Uint8Array))).toBe(true);
    });
  });
});
