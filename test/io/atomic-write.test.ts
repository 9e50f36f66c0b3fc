/** The one way files are replaced: a temporary file beside the target, renamed over it once complete. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceAtomically, tempPathFor, writeFileAtomically } from '../../src/io/atomic-write.js';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { isOnnxpressError } from '../../src/errors.js';
import { ModelBuilder } from '../../src/testing/builder.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'onnxpress-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomically', () => {
  it('writes a string as UTF-8, or bytes, over an existing file, leaving nothing else behind', () => {
    const target = path.join(dir, 'report.md');
    writeFileSync(target, 'old content that is longer than the new one');
    writeFileAtomically(target, 'né\n');
    expect(readFileSync(target)).toEqual(Buffer.from([0x6e, 0xc3, 0xa9, 0x0a]));
    writeFileAtomically(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['report.md']);
  });

  it('streams through the callback and returns its result', () => {
    const target = path.join(dir, 'data.bin');
    const n = writeFileAtomically(target, (fd) => {
      writeSync(fd, 'ab');
      writeSync(fd, 'cd');
      return 4;
    });
    expect(n).toBe(4);
    expect(readFileSync(target, 'utf8')).toBe('abcd');
    expect(readdirSync(dir)).toEqual(['data.bin']);
  });

  it('a failure mid-write leaves the target untouched and no temporary file', () => {
    const target = path.join(dir, 'model.onnx');
    writeFileSync(target, 'the old model');
    let seenTemp: string[] = [];
    expect(() =>
      writeFileAtomically(target, (fd) => {
        writeSync(fd, 'half of a new mod');
        seenTemp = readdirSync(dir).filter((f) => f !== 'model.onnx');
        throw new Error('disk on fire');
      }),
    ).toThrow('disk on fire');
    // The partial content went to a hidden temporary file beside the target, named after it and this process.
    expect(seenTemp).toHaveLength(1);
    expect(seenTemp[0]).toMatch(new RegExp(`^\\.model\\.onnx\\.${process.pid}\\.[a-z0-9]*\\.tmp$`));
    expect(readFileSync(target, 'utf8')).toBe('the old model');
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  it('a failed rename leaves no temporary file', () => {
    // A non-empty directory cannot be replaced by a file.
    const target = path.join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(path.join(target, 'inside'), 'x');
    expect(() => writeFileAtomically(target, 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['inside']);
  });

  it('fails without creating anything when the folder does not exist', () => {
    const target = path.join(dir, 'missing', 'file.json');
    expect(() => writeFileAtomically(target, '{}')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('replaceAtomically', () => {
  it('renames what the callback made; on failure removes it and rethrows the same error', () => {
    const target = path.join(dir, 'copy.data');
    writeFileSync(target, 'old');
    expect(replaceAtomically(target, (temp) => (writeFileSync(temp, 'new'), 'done'))).toBe('done');
    expect(readFileSync(target, 'utf8')).toBe('new');
    const error = new Error('copy failed');
    let thrown: unknown;
    try {
      replaceAtomically(target, (temp) => {
        writeFileSync(temp, 'partial');
        throw error;
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(error);
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['copy.data']);
  });

  it('names temporary files beside the target, distinct each time', () => {
    const target = path.join(dir, 'a.onnx');
    const a = tempPathFor(target);
    const b = tempPathFor(target);
    expect(path.dirname(a)).toBe(dir);
    expect(path.basename(a).startsWith(`.a.onnx.${process.pid}.`)).toBe(true);
    expect(a.endsWith('.tmp')).toBe(true);
    expect(a).not.toBe(b);
  });
});

describe('saveModel through the atomic writer', () => {
  it('a save that fails while writing the external data leaves the old files and no temporary file', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [4]);
    const w = b.initializer('w', new Float32Array([1, 2, 3, 4]), [4]);
    const v = b.initializer('v', new Float32Array([5, 6, 7, 8]), [4]);
    b.output(b.node('Add', [b.node('Add', [x, w]), v]), DataType.FLOAT, [4]);
    const model = b.build();
    // The second tensor's shape claims more bytes than it holds: writing the data file fails after the first.
    v.initializer!.dims = [8];
    const target = path.join(dir, 'out.onnx');
    writeFileSync(target, 'old model');
    writeFileSync(`${target}.data`, 'old data');
    let thrown: unknown;
    try {
      saveModel(model, target, { externalThreshold: 0 });
    } catch (e) {
      thrown = e;
    }
    expect(isOnnxpressError(thrown)).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('old model');
    expect(readFileSync(`${target}.data`, 'utf8')).toBe('old data');
    expect(readdirSync(dir).sort()).toEqual(['out.onnx', 'out.onnx.data']);
  });
});
