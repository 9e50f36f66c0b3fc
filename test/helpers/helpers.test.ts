/** The shared test helpers that other tests use as oracles, on cases worked out by hand. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { cosine, maxAbs, maxAbsDiff, top1Accuracy } from './metrics.js';
import { encodeTensor } from './onnx-proto.js';
import { readTensorPb, readTestDataFeeds, runModel, runModelValues } from './ort.js';
import { tempDir } from './temp.js';

describe('reference metrics', () => {
  it('cosine: 1 for the same direction, 0 for orthogonal, -1 for opposite, 24/28 for the api.md rows', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(cosine([1, 0], [0, 5])).toBe(0);
    expect(cosine([1, -2], [-1, 2])).toBeCloseTo(-1, 15);
    expect(cosine([1, 2, 3, 3, 2, 1], [1, 2, 3, 1, 2, 3])).toBeCloseTo(24 / 28, 15); // 1+4+9+3+4+3 over 28
    expect(cosine([0, 0], [0, 0])).toBe(1);
    expect(() => cosine([1, 2], [1])).toThrow(/lengths differ/);
  });

  it('maxAbsDiff and maxAbs', () => {
    expect(maxAbsDiff([1, 2, -3], [1.5, 0, -3])).toBe(2);
    expect(maxAbs([-3, 2, 0])).toBe(3);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/lengths differ/);
  });

  it('top1Accuracy: the first of equal maxima, negative labels not counted, a wrong label count refused', () => {
    // Rows: argmax 2, argmax 0 (tie with 2: the first wins), argmax 1.
    const logits = [0, 1, 5, 4, 0, 4, 0, 9, 1];
    expect(top1Accuracy(logits, 3, [2, 0, 0])).toBe(2 / 3);
    expect(top1Accuracy(logits, 3, [2, 2, 1])).toBe(2 / 3);
    expect(top1Accuracy(logits, 3, [2n, -1n, 0n])).toBe(1 / 2);
    expect(() => top1Accuracy(logits, 3, [1, 2])).toThrow(/3 predictions but 2 labels/);
    const output = new ort.Tensor('float32', Float32Array.from(logits), [1, 3, 3]);
    expect(top1Accuracy(output, new ort.Tensor('int64', BigInt64Array.of(2n, 0n, 1n), [1, 3]))).toBe(1);
  });
});

describe('TensorProto files', () => {
  const dir = tempDir();

  it('reads raw_data and the typed fields, as onnx-proto wrote them', () => {
    const floats = Float32Array.of(1.5, -2, 0.25, 8);
    const cases: [string, Parameters<typeof encodeTensor>[0], ort.Tensor.Type, unknown[]][] = [
      ['raw.pb', { name: 'x', dims: [2, 2], dataType: DataType.FLOAT, rawData: new Uint8Array(floats.buffer) }, 'float32', [1.5, -2, 0.25, 8]],
      ['float.pb', { name: 'y', dims: [4], dataType: DataType.FLOAT, floatData: [1.5, -2, 0.25, 8] }, 'float32', [1.5, -2, 0.25, 8]],
      ['int64.pb', { name: 'ids', dims: [3], dataType: DataType.INT64, int64Data: [7, -1, 2 ** 40] }, 'int64', [7n, -1n, 2n ** 40n]],
      ['int8.pb', { name: 'q', dims: [3], dataType: DataType.INT8, int32Data: [-128, 0, 127] }, 'int8', [-128, 0, 127]],
      ['bool.pb', { name: 'm', dims: [2], dataType: DataType.BOOL, int32Data: [1, 0] }, 'bool', [true, false]],
    ];
    for (const [file, message, type, values] of cases) {
      writeFileSync(join(dir, file), encodeTensor(message));
      const { name, tensor } = readTensorPb(join(dir, file));
      expect(name, file).toBe(message.name);
      expect(tensor.type, file).toBe(type);
      expect(tensor.dims, file).toEqual(message.dims);
      expect(type === 'bool' ? Array.from(tensor.data as Uint8Array, Boolean) : Array.from(tensor.data as ArrayLike<unknown>), file).toEqual(values);
    }
    writeFileSync(join(dir, 'half.pb'), encodeTensor({ dims: [1], dataType: DataType.FLOAT16, int32Data: [0x3c00] }));
    expect(() => readTensorPb(join(dir, 'half.pb'))).toThrow(/no onnxruntime type for data type 10/);
  });

  it('reads a test_data_set folder as feeds named by their files, inputs only', () => {
    const set = join(dir, 'test_data_set_0');
    mkdirSync(set);
    writeFileSync(join(set, 'input_0.pb'), encodeTensor({ name: 'ids', dims: [2], dataType: DataType.INT64, int64Data: [4, 5] }));
    writeFileSync(join(set, 'input_1.pb'), encodeTensor({ name: 'x', dims: [1], dataType: DataType.FLOAT, floatData: [0.5] }));
    writeFileSync(join(set, 'output_0.pb'), encodeTensor({ name: 'y', dims: [1], dataType: DataType.FLOAT, floatData: [1] }));
    const feeds = readTestDataFeeds(set);
    expect(Object.keys(feeds)).toEqual(['ids', 'x']);
    expect(Array.from(feeds.ids!.data as BigInt64Array)).toEqual([4n, 5n]);
    expect(Array.from(feeds.x!.data as Float32Array)).toEqual([0.5]);
  });
});

describe('runModel', () => {
  const build = () => {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', DataType.FLOAT, [3]);
    b.output(b.node('Mul', [x, b.initializer('two', Float32Array.of(2), [1])]), DataType.FLOAT, [3]);
    return b.build();
  };

  it('runs a model on onnxruntime tensors and on IR tensors alike', async () => {
    const outputs = await runModel(build(), { x: new ort.Tensor('float32', Float32Array.of(1, -2, 0.5), [3]) });
    expect(Object.values(outputs).map((t) => Array.from(t.data as Float32Array))).toEqual([[2, -4, 1]]);
    const values = await runModelValues(build(), new Map([['x', Tensor.fromArray('x', DataType.FLOAT, [3], Float32Array.of(3, 0, -1))]]));
    expect([...values.values()].map((o) => [o.type, o.dims, Array.from(o.values)])).toEqual([['float32', [3], [6, 0, -2]]]);
  });
});

describe('tempDir', () => {
  it('makes a new empty folder each time', () => {
    const [a, b] = [tempDir(), tempDir('onnxpress-other-')];
    expect(a).not.toBe(b);
    expect(readdirSync(a)).toEqual([]);
    expect(b).toMatch(/onnxpress-other-/);
  });
});
