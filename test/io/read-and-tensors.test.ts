import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { Tensor } from '../../src/ir/tensor.js';
import { readBytes } from '../../src/io/read-bytes.js';
import { loadModel, parseModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';

describe('reading files and tensor data', () => {
  it('reads a file in chunks into one buffer (the path files over 2 GiB take)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnxpress-read-'));
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [3]);
    b.output(
      b.node('Add', [
        x,
        b.initializer(
          'c',
          Float32Array.from({ length: 1000 }, (_, i) => i),
          [1000],
        ),
      ]),
    );
    const path = join(dir, 'm.onnx');
    saveModel(b.build(), path);
    const whole = readFileSync(path);
    // A chunk size that does not divide the file size exercises the loop and the tail.
    const chunked = readBytes(path, 97);
    expect(chunked.equals(whole)).toBe(true);
  });

  it('gives typed-array access to raw data at unaligned offsets', () => {
    const backing = new Uint8Array(4 * 3 + 1);
    const floats = new Float32Array([1.5, -2.25, 1e-3]);
    backing.set(new Uint8Array(floats.buffer), 1);
    const t = new Tensor({ dataType: DataType.FLOAT, dims: [3], storage: { kind: 'raw', bytes: backing.subarray(1) } });
    expect(Array.from(t.toTypedArray() as Float32Array)).toEqual(Array.from(floats));
  });

  it('reads TensorProto typed lists the way ONNX lays them out', () => {
    // float16 stored in int32_data holds one bit pattern per entry.
    const half = new Tensor({ dataType: DataType.FLOAT16, dims: [2], storage: { kind: 'int32_data', values: Int32Array.from([0x3c00, 0xc000]) } });
    expect(Array.from(half.toTypedArray() as Uint16Array)).toEqual([0x3c00, 0xc000]);
    const big = 2n ** 62n + 1n;
    const longs = new Tensor({ dataType: DataType.INT64, dims: [2], storage: { kind: 'int64_data', values: [-3, big] } });
    expect(Array.from(longs.toTypedArray() as BigInt64Array)).toEqual([-3n, big]);
    const bools = new Tensor({ dataType: DataType.BOOL, dims: [3], storage: { kind: 'int32_data', values: Int32Array.from([1, 0, 1]) } });
    expect(Array.from(bools.rawBytes())).toEqual([1, 0, 1]);
  });

  it('keeps int64 initializer values exact above 2^53 through save and load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnxpress-int64-'));
    const b = new ModelBuilder();
    const x = b.input('x', DataType.INT64, [2]);
    const big = BigInt64Array.from([2n ** 60n + 7n, -(2n ** 59n) - 3n]);
    b.output(b.node('Add', [x, b.initializer('k', big, [2])]));
    const path = join(dir, 'm.onnx');
    saveModel(b.build(), path);
    const loaded = loadModel(path).graph.initializers.get('k')!.initializer!;
    expect(Array.from(loaded.toTypedArray() as BigInt64Array)).toEqual(Array.from(big));
    expect(parseModel(readFileSync(path)).graph.initializers.size).toBe(1);
  });
});
