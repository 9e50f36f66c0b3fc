/** A model ONNX Runtime loads at once and never finishes running: a Loop of 2^63 - 1 iterations. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { GraphBuilder, ModelBuilder } from '../../src/testing/builder.js';

/** Writes it as `hang.onnx` (input x: float32[4]) in `dir` (default: a new temporary folder); returns the path. */
export function writeHangingModel(dir = mkdtempSync(join(tmpdir(), 'onnxpress-hang-'))): string {
  const body = new GraphBuilder('body');
  body.input('i', DataType.INT64, []);
  const keepGoing = body.input('cond', DataType.BOOL, []);
  const carried = body.input('carried', DataType.FLOAT, [4]);
  body.output(body.node('Identity', [keepGoing]), DataType.BOOL, []);
  body.output(body.node('Sin', [carried]), DataType.FLOAT, [4]);

  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [4]);
  const trips = b.initializer('trips', BigInt64Array.of(2n ** 63n - 1n), []);
  const always = b.initializer('always', Uint8Array.of(1), [], DataType.BOOL);
  b.output(b.node('Loop', [trips, always, x], { body: body.graph }), DataType.FLOAT, [4]);
  const path = join(dir, 'hang.onnx');
  saveModel(b.build(), path);
  return path;
}

/** Processes whose environment holds `marker` (Linux /proc): what a run started with it and left behind. */
export function processesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}
