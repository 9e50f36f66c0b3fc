/** .npy reading, on files written byte by byte here following NumPy's format description (NEP 1). */
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { OnnxpressError } from '../../src/errors.js';
import { parseNpy } from '../../src/io/npy.js';
import { bytesOf, npyBytes } from '../validate/input-files.js';

describe('parseNpy', () => {
  it('reads a version 1.0 float32 array in C order', () => {
    const values = Float32Array.from([1, -2.5, 3, 4, 5, 6]);
    const a = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytesOf(values)));
    expect(a.dataType).toBe(DataType.FLOAT);
    expect(a.dims).toEqual([2, 3]);
    expect([...(a.data as Float32Array)]).toEqual([1, -2.5, 3, 4, 5, 6]);
  });

  it('reads versions 2.0 and 3.0 (utf-8 header) and 1-d and scalar shapes', () => {
    const ids = BigInt64Array.from([5n, -1n, 9007199254740993n]);
    const v2 = parseNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", bytesOf(ids), 2));
    expect(v2.dataType).toBe(DataType.INT64);
    expect(v2.dims).toEqual([3]);
    expect([...(v2.data as BigInt64Array)]).toEqual([5n, -1n, 9007199254740993n]);
    const scalar = parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", bytesOf(Float64Array.of(0.25)), 3));
    expect(scalar.dims).toEqual([]);
    expect([...(scalar.data as Float64Array)]).toEqual([0.25]);
  });

  it.each([
    ['|b1', DataType.BOOL, Uint8Array.of(1, 0, 1)],
    ['|u1', DataType.UINT8, Uint8Array.of(0, 255, 7)],
    ['|i1', DataType.INT8, Int8Array.of(-128, 0, 127)],
    ['<i2', DataType.INT16, Int16Array.of(-300, 2, 3)],
    ['<u2', DataType.UINT16, Uint16Array.of(65535, 2, 3)],
    ['<i4', DataType.INT32, Int32Array.of(-70000, 0, 70000)],
    ['<u4', DataType.UINT32, Uint32Array.of(4294967295, 1, 2)],
    ['<u8', DataType.UINT64, BigUint64Array.of(18446744073709551615n, 0n, 1n)],
    // float16 bit patterns of 1.0, -2.0 and 0.5
    ['<f2', DataType.FLOAT16, Uint16Array.of(0x3c00, 0xc000, 0x3800)],
  ] as const)('reads dtype %s', (descr, type, values) => {
    const a = parseNpy(npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (3,), }`, bytesOf(values)));
    expect(a.dataType).toBe(type);
    expect([...a.data]).toEqual([...values]);
  });

  it('copies the data into an aligned buffer whatever the header length', () => {
    const file = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", bytesOf(Float64Array.of(3.5)));
    const shifted = new Uint8Array(file.length + 3).subarray(3);
    shifted.set(file);
    expect([...(parseNpy(shifted).data as Float64Array)]).toEqual([3.5]);
  });

  it('refuses Fortran order, big-endian data, unknown dtypes, bad magic and short data with E_INPUT', () => {
    const data = bytesOf(Float32Array.of(1, 2, 3, 4));
    const cases: [Uint8Array, RegExp][] = [
      [npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data), /Fortran/],
      [npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", data), /big-endian/],
      [npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", data), /dtype '<c8' is not supported/],
      [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", data), /needs 20 data bytes, the file holds 16/],
      [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /\\x93NUMPY/],
    ];
    for (const [bytes, message] of cases) {
      let error: unknown;
      try {
        parseNpy(bytes, 'x.npy');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OnnxpressError);
      expect((error as OnnxpressError).code).toBe('E_INPUT');
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('x.npy');
    }
  });
});
