import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { encode } from '../../src/proto/codec.js';
import { serializeTensor } from '../../src/proto/serde.js';
import { tensorOf } from '../../src/testing/builder.js';
import { findTestDataSets, loadTestDataSet, numericValues, readTensorFile } from '../../src/io/tensor-files.js';
import { fromOrtTensor, toOrtTensor } from '../../src/runtime/ort-tensors.js';

const write = (path: string, t: Tensor): void => writeFileSync(path, encode(serializeTensor(t, {}), 'TensorProto'));

describe('tensor-io', () => {
  it('reads TensorProto files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnxpress-tio-'));
    write(join(dir, 't.pb'), tensorOf('t', new Float32Array([1.5, -2]), [2]));
    const t = readTensorFile(join(dir, 't.pb'));
    expect(t.name).toBe('t');
    expect(t.dims).toEqual([2]);
    expect([...(t.toTypedArray() as Float32Array)]).toEqual([1.5, -2]);
    writeFileSync(join(dir, 'bad.pb'), new Uint8Array([0xff, 0xff, 0xff]));
    expect(() => readTensorFile(join(dir, 'bad.pb'))).toThrow(/not a TensorProto file/);
  });

  it('names tensors by their TensorProto name, else by the model order, and finds test_data_set folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnxpress-tio-'));
    for (const n of [0, 1, 10]) {
      const set = join(dir, `test_data_set_${n}`);
      mkdirSync(set);
      write(join(set, 'input_0.pb'), tensorOf('a', new Float32Array([n]), [1]));
      write(join(set, 'input_1.pb'), tensorOf(undefined, new BigInt64Array([BigInt(n)]), [1]));
      write(join(set, 'output_0.pb'), tensorOf('', new Int32Array([n]), [1]));
    }
    const sets = findTestDataSets(dir);
    expect(sets.map((s) => s.split('/').pop())).toEqual(['test_data_set_0', 'test_data_set_1', 'test_data_set_10']);
    expect(findTestDataSets(sets[0]!)).toEqual([sets[0]]);
    const data = loadTestDataSet(sets[2]!, ['first', 'second'], ['out']);
    expect([...data.inputs.keys()]).toEqual(['a', 'second']);
    expect([...data.outputs.keys()]).toEqual(['out']);
    expect(() => loadTestDataSet(sets[0]!)).toThrow(/input 1 has no name/);
    expect(() => findTestDataSets(join(dir, 'test_data_set_0', 'nothing'))).toThrow(/cannot read/);
  });

  it('converts to and from onnxruntime-node tensors', () => {
    const half = tensorOf('h', new Uint16Array([0x3c00, 0xc000, 0x3555]), [3], DataType.FLOAT16);
    const o = toOrtTensor(half);
    expect(o.type).toBe('float16');
    expect(o.dims).toEqual([3]);
    // 0x3555 = 2^-2 * (1 + 0x155 / 1024) = 0.333251953125
    expect([...numericValues(fromOrtTensor(o))]).toEqual([1, -2, 0.333251953125]);
    const big = toOrtTensor(tensorOf('i', new BigInt64Array([2n ** 40n, -3n]), [2]));
    expect(big.type).toBe('int64');
    expect([...numericValues(fromOrtTensor(big))]).toEqual([2 ** 40, -3]);
    const bool = toOrtTensor(tensorOf('b', new Uint8Array([1, 0]), [2], DataType.BOOL));
    expect(bool.type).toBe('bool');
    expect(fromOrtTensor(bool).dataType).toBe(DataType.BOOL);
  });
});
