import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeModel } from '../../src/analysis/inspect.js';
import { DataType } from '../../src/ir/dtypes.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { readSkeleton } from '../../src/io/skeleton.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { CORPUS, HAVE_CORPUS, onnxFilesUnder } from '../helpers/corpus.js';

function bigModel(path: string): Float32Array {
  const b = new ModelBuilder();
  const x = b.input('x', DataType.FLOAT, [1, 256]);
  const w = Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i));
  const y = b.node('MatMul', [x, b.initializer('w', w, [256, 256])]);
  b.output(b.node('Add', [y, b.initializer('b', new Float32Array(256).fill(0.25), [256])]), DataType.FLOAT, [1, 256]);
  saveModel(b.build(), path);
  return w;
}

describe('loading without the weights (skeleton)', () => {
  it('leaves large raw data unread and reads it on demand', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onnxpress-skel-')), 'm.onnx');
    const w = bigModel(path);
    const skeleton = readSkeleton(path)!;
    expect(skeleton.holes).toHaveLength(1);
    expect(skeleton.holes[0]!.end - skeleton.holes[0]!.start).toBe(w.byteLength);
    const model = loadModel(path, { deferWeights: true });
    const tensor = model.graph.initializers.get('w')!.initializer!;
    expect(tensor.storage.kind).toBe('deferred');
    expect(model.graph.initializers.get('b')!.initializer!.storage.kind).toBe('raw');
    expect(Array.from(tensor.toTypedArray() as Float32Array)).toEqual(Array.from(w));
    // Written back, the deferred tensor is inline again and the file is the same.
    expect(Buffer.from(modelToBytes(model)).equals(readFileSync(path))).toBe(true);
  });

  it('falls back to the full read for files it cannot walk, so errors stay the same', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onnxpress-skel-')), 'm.onnx');
    bigModel(path);
    const truncated = join(mkdtempSync(join(tmpdir(), 'onnxpress-skel-')), 't.onnx');
    writeFileSync(truncated, readFileSync(path).subarray(0, 200_000));
    expect(readSkeleton(truncated)).toBeUndefined();
    expect(() => loadModel(truncated, { deferWeights: true })).toThrow(/runs past the end/);
  });

  it.skipIf(!HAVE_CORPUS)('summarizes every corpus model exactly as the full load does', () => {
    for (const file of onnxFilesUnder(join(CORPUS, 'models'))) {
      expect(summarizeModel(loadModel(file, { deferWeights: true })), file).toEqual(summarizeModel(loadModel(file)));
    }
  });
});
