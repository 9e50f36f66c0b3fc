/** Every .onnx in the corpus must come back byte-identical through the IR and through `convert --to none`. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../../src/convert.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { parseModel } from '../../src/io/load.js';
import { CORPUS, HAVE_CORPUS, onnxFilesUnder } from '../helpers/corpus.js';

describe.skipIf(!HAVE_CORPUS)('lossless round trip of the corpus', () => {
  const files = onnxFilesUnder(CORPUS);

  it('finds the corpus models', () => {
    expect(files.length).toBeGreaterThan(1900);
  });

  it('parse then serialize gives the same bytes for every model', () => {
    const different: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(file);
      const again = modelToBytes(parseModel(bytes, { path: file }));
      if (Buffer.compare(Buffer.from(again.buffer, again.byteOffset, again.byteLength), bytes) !== 0) different.push(relative(CORPUS, file));
    }
    expect(different).toEqual([]);
  });

  it('convert --to none writes byte-identical files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'onnxpress-rt-'));
    const different: string[] = [];
    try {
      for (const [i, file] of files.entries()) {
        const target = join(out, `${i}.onnx`);
        await convertFile(file, target, 'none');
        if (Buffer.compare(readFileSync(target), readFileSync(file)) !== 0) different.push(relative(CORPUS, file));
        rmSync(target);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    expect(different).toEqual([]);
  });
});
