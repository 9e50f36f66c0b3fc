/** Converting weights in the model's own buffer gives exactly what converting into fresh memory gives. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel, parseModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { ModelBuilder } from '../../../src/testing/builder.js';

describe('fp16 conversion in place', () => {
  it('writes the same model whether the weights are converted in the file buffer or in fresh memory', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [1, 3]);
    // Odd-length names shift raw_data to every possible alignment.
    let h = x;
    for (const name of ['w', 'w2', 'w33', 'w444']) {
      const w = Float32Array.from({ length: 9 }, (_, i) => (i - 4) * 1.37e4 + 0.1);
      h = b.node('MatMul', [h, b.initializer(name, w, [3, 3])]);
    }
    b.output(h, DataType.FLOAT, [1, 3]);
    const path = join(mkdtempSync(join(tmpdir(), 'onnxpress-inplace-')), 'm.onnx');
    saveModel(b.build(), path);

    const owned = loadModel(path);
    expect(owned.graph.initializers.get('w')!.initializer!.writableBytes()).toBeDefined();
    const shared = parseModel(readFileSync(path));
    expect(shared.graph.initializers.get('w')!.initializer!.writableBytes()).toBeUndefined();

    const a = toFloat16(owned, { keepIoTypes: true });
    const c = toFloat16(shared, { keepIoTypes: true });
    expect(a.summary.clamped).toEqual(c.summary.clamped);
    expect(Buffer.from(modelToBytes(owned)).equals(Buffer.from(modelToBytes(shared)))).toBe(true);
  });
});
