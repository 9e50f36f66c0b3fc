/**
 * Ctrl-C (SIGINT) or SIGTERM while `convert` writes a large model: the hidden partial file
 * (`.<name>.<pid>.<random>.tmp`, io/atomic-write.ts) is removed, "interrupted" is printed, and the exit code is
 * 128 + the signal's number. The signal is sent once the partial file exists, so the test does not depend on timing:
 * the model is large enough (256 MiB in 64 tensors) that writing and syncing it takes far longer than noticing it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { encode } from '../../src/proto/codec.js';
import { serializeModel } from '../../src/proto/serde.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const TENSORS = 64;
const SIDE = 1024; // 64 tensors of 1024 x 1024 float32: 256 MiB

/** Written without fsync (saveModel syncs, which here would only cost time). */
function writeLargeModel(file: string): void {
  const b = new ModelBuilder({ opset: 17 });
  let y = b.input('x', DataType.FLOAT, ['n', SIDE]);
  for (let i = 0; i < TENSORS; i++) y = b.node('MatMul', [y, b.initializer(`w${i}`, new Float32Array(SIDE * SIDE), [SIDE, SIDE])]);
  b.output(y, DataType.FLOAT, ['n', SIDE]);
  writeFileSync(file, encode(serializeModel(b.build())));
}

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  partial: string;
  left: string[];
}

/** Starts `convert`, sends `signal` as soon as the partial output appears, and reports what is left. */
function convertAndInterrupt(model: string, outDir: string, signal: NodeJS.Signals): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'convert', model, '-o', path.join(outDir, 'out.onnx'), '--to', 'none'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let partial = '';
    const poll = setInterval(() => {
      let names: string[];
      try {
        names = readdirSync(outDir);
      } catch {
        return; // the folder is made when the write starts
      }
      const tmp = names.find((n) => n.endsWith('.tmp'));
      if (tmp && !partial) {
        partial = tmp;
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr, partial, left: readdirSync(outDir) });
    });
  });
}

describe('convert, interrupted', () => {
  let model = '';
  beforeAll(() => {
    model = path.join(tempDir(), 'large.onnx');
    writeLargeModel(model);
  });

  it('SIGTERM removes the partial output, prints "interrupted" and exits 143', async () => {
    const out = path.join(tempDir(), 'out');
    const r = await convertAndInterrupt(model, out, 'SIGTERM');
    expect(r.partial).toMatch(/^\.out\.onnx\.\d+\.[0-9a-z]+\.tmp$/);
    expect(r.stderr).toBe('onnxpress: interrupted\n');
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.left).toEqual([]);
  });

  it('SIGINT (Ctrl-C) does the same and exits 130', async () => {
    const out = path.join(tempDir(), 'out');
    const r = await convertAndInterrupt(model, out, 'SIGINT');
    expect(r.partial).not.toBe('');
    expect(r.stderr).toBe('onnxpress: interrupted\n');
    expect([r.code, r.signal]).toEqual([130, null]);
    expect(r.left).toEqual([]);
  });
});
