/**
 * The session worker against the real onnxruntime-node: exposed intermediate values, statistics computed in the
 * worker, and crashes and timeouts that name the model. Expected numbers come from running, directly in this
 * process, a model built with the values as graph outputs, and from hand computation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { OnnxpressError } from '../../src/errors.js';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { measureActivations } from '../../src/runtime/activations.js';
import { modelBytesExposing } from '../../src/runtime/expose.js';
import { writeSamples } from '../../src/runtime/samples.js';
import { SessionProcess } from '../../src/runtime/session.js';
import { ModelBuilder, tensorOf } from '../../src/testing/builder.js';
import { writeHangingModel } from '../helpers/hanging-model.js';

const F32 = DataType.FLOAT;
const W = Float32Array.of(1, -2, 0, 3, 0.5, 1, -1, 0, 2, 0, 1, -1);

/**
 * x: float32[2, 3] -> h = x W (float32[2, 4]) -> y = Tanh(h), the only output; beside it, unread by anything,
 * lg = Log(h) (NaN below 0, -Inf at 0) and half = Cast(h, float16) (Inf past 65520). With `asOutputs`, h, lg and
 * half are graph outputs too (after y).
 */
function model(asOutputs = false): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', F32, [2, 3]);
  const h = b.node('MatMul', [x, b.initializer('w', W, [3, 4])], {}, { name: 'mm' });
  h.name = 'h';
  const lg = b.node('Log', [h], {}, { name: 'log' });
  lg.name = 'lg';
  const half = b.node('Cast', [h], { to: DataType.FLOAT16 }, { name: 'cast' });
  half.name = 'half';
  b.output(b.node('Tanh', [h], {}, { name: 'tanh' }), F32, [2, 4]).name = 'y';
  if (asOutputs) {
    b.output(h, F32, [2, 4]);
    b.output(lg, F32, [2, 4]);
    b.output(half, DataType.FLOAT16, [2, 4]);
  }
  return b.build();
}

const inputSet = (...values: number[]): Map<string, Tensor> => new Map([['x', tensorOf('x', Float32Array.from(values), [2, 3])]]);
// h = [[8, 0, 1, 0], [0, 0, 0, 0]]: six zeros, so six -Inf in lg.
const SET_1 = inputSet(1, 2, 3, 0, 0, 0);
// h = [[-1, 2, 0, -3], [30004.5, -59999, 1, 89998]]: three NaN and one -Inf in lg; 89998 is Inf in float16.
const SET_2 = inputSet(-1, 0, 0, 30000, 1, 2);

/** Runs a model directly in this process (not through the worker); every output's raw data. */
async function runDirect(bytes: Uint8Array, set: ReadonlyMap<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const x = set.get('x')!;
    return await session.run({ x: new ort.Tensor('float32', x.toTypedArray() as Float32Array, [2, 3]) });
  } finally {
    await session.release();
  }
}

function bytesOf(t: ort.Tensor): Buffer {
  const data = t.data as ArrayBufferView;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** IEEE half-precision bits to a number, written out here rather than taken from the code under test. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function numbersOf(t: ort.Tensor): number[] {
  if (t.type === 'float16') return [...(t.data as Uint16Array)].map(halfToNumber);
  return [...(t.data as Float32Array)];
}

/** Largest finite |x| and count of non-finite elements over every array. */
function statsOf(arrays: number[][]): { maxAbs: number; nonFinite: number } {
  let maxAbs = 0;
  let nonFinite = 0;
  for (const values of arrays) {
    for (const v of values) {
      if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
      else nonFinite++;
    }
  }
  return { maxAbs, nonFinite };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'onnxpress-runtime-test-'));

const open: SessionProcess[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.kill();
});

function session(label: string, path: string, deadline?: { at: number; seconds: number }): SessionProcess {
  const s = new SessionProcess(label, path, undefined, deadline);
  open.push(s);
  return s;
}

const CPU = { providers: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const };

describe('exposing intermediate values', () => {
  it('the worker returns an exposed value exactly as a model built with it as an output does', async () => {
    const dir = tempDir();
    const path = join(dir, 'm.onnx');
    saveModel(model(), path);
    const worker = session('exposing', path);
    const load = await worker.load({ modelPath: path, ...CPU, expose: ['h', 'half'] }, writeSamples(dir, [SET_1, SET_2]));
    expect(load.outputNames).toEqual(['y', 'h', 'half']);
    // The file on disk is left as it was.
    expect(loadModel(path).graph.outputs.map((v) => v.name)).toEqual(['y']);

    const reference = modelToBytes(model(true));
    for (const [sample, set] of [SET_1, SET_2].entries()) {
      const direct = await runDirect(reference, set);
      const ran = await worker.run(sample, { dir, prefix: `s${sample}` });
      expect(ran.outputs.map((o) => [o.name, o.type, o.dims])).toEqual([
        ['y', 'float32', [2, 4]],
        ['h', 'float32', [2, 4]],
        ['half', 'float16', [2, 4]],
      ]);
      for (const out of ran.outputs) expect(readFileSync(out.file!).equals(bytesOf(direct[out.name]!)), `${out.name}, sample ${sample}`).toBe(true);
      // Only the outputs asked for.
      const some = await worker.run(sample, { dir, prefix: `t${sample}`, names: ['half'] });
      expect(some.outputs.map((o) => o.name)).toEqual(['half']);
      expect(readFileSync(some.outputs[0]!.file!).equals(bytesOf(direct.half!))).toBe(true);
    }
    expect(await worker.time(1)).toBeGreaterThan(0);
    await worker.close();
  });

  it('a copy made in the parent returns the same numbers too, and the model is unchanged', async () => {
    const m = model();
    const bytes = modelBytesExposing(m, ['lg', 'h', 'lg']);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['y']);
    const exposed = await runDirect(bytes, SET_2);
    const direct = await runDirect(modelToBytes(model(true)), SET_2);
    expect(Object.keys(exposed)).toEqual(['y', 'lg', 'h']);
    for (const name of ['y', 'lg', 'h']) expect(bytesOf(exposed[name]!).equals(bytesOf(direct[name]!)), name).toBe(true);
  });

  it('names the graph does not have are refused', async () => {
    await expect(measureActivations(model(), ['h', 'nope'], [SET_1])).rejects.toThrow(/cannot expose 'nope'/);
    const dir = tempDir();
    const path = join(dir, 'm.onnx');
    saveModel(model(), path);
    const worker = session('plain', path);
    await worker.load({ modelPath: path, ...CPU }, writeSamples(dir, [SET_1]));
    // 'h' was not exposed: the worker says so, and stays usable.
    await expect(worker.measure(['h'])).rejects.toThrow(/failed to run the plain model: the session has no output 'h'/);
    expect((await worker.measure(['y'])).get('y')!.nonFinite).toBe(0);
    await worker.close();
  });
});

describe('activation statistics', () => {
  it('equal the largest finite |x| and non-finite count of the raw outputs, over every input set', async () => {
    const reference = modelToBytes(model(true));
    const raw = await Promise.all([SET_1, SET_2].map((set) => runDirect(reference, set)));
    const expected = (name: string) => statsOf(raw.map((r) => numbersOf(r[name]!)));

    const m = model();
    const stats = await measureActivations(m, ['h', 'lg', 'half', 'y'], [SET_1, SET_2]);
    expect([...stats.keys()]).toEqual(['h', 'lg', 'half', 'y']);
    for (const name of ['h', 'lg', 'half', 'y']) expect(stats.get(name), name).toEqual(expected(name));
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['y']);

    // By hand: the largest |h| is 89998 (second set); lg has 6 + 4 non-finite elements; 89998 overflows float16.
    expect(stats.get('h')).toEqual({ maxAbs: 89998, nonFinite: 0 });
    expect(stats.get('lg')!.nonFinite).toBe(10);
    expect(stats.get('half')!.nonFinite).toBe(1);
    expect(stats.get('half')!.maxAbs).toBe(60000);

    // One set alone: no accumulation hides a wrong answer.
    const first = await measureActivations(m, ['h', 'lg'], [SET_1]);
    expect(first.get('h')).toEqual({ maxAbs: 8, nonFinite: 0 });
    expect(first.get('lg')!.nonFinite).toBe(6);
    expect(first.get('lg')!.maxAbs).toBeCloseTo(Math.log(8), 6);
  });

  it('a session can measure some samples only', async () => {
    const dir = tempDir();
    const path = join(dir, 'm.onnx');
    saveModel(model(), path);
    const worker = session('sampled', path);
    await worker.load({ modelPath: path, ...CPU, expose: ['h'] }, writeSamples(dir, [SET_1, SET_2, SET_1]));
    expect((await worker.measure(['h'], [0, 2])).get('h')).toEqual({ maxAbs: 8, nonFinite: 0 });
    expect((await worker.measure(['h'], [1])).get('h')).toEqual({ maxAbs: 89998, nonFinite: 0 });
    await worker.close();
  });
});

describe('a worker that crashes or hangs', () => {
  it('a crash while measuring is an E_RUNTIME error naming the model', async () => {
    // onnxruntime-node aborts the process when it has to return an int4 tensor.
    const dir = tempDir();
    const b = new ModelBuilder({ opset: 21, irVersion: 10 });
    const x = b.input('x', F32, [4]);
    const q = b.node('Cast', [x], { to: DataType.INT4 }, { name: 'to_int4' });
    q.name = 'q';
    b.output(b.node('Cast', [q], { to: F32 }), F32, [4]);
    const path = join(dir, 'int4.onnx');
    saveModel(b.build(), path);
    const error = await measureActivations(loadModel(path), ['q'], [new Map([['x', tensorOf('x', Float32Array.of(1, 2, 3, 4), [4])]])], {
      label: 'quantized',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as OnnxpressError).code).toBe('E_RUNTIME');
    expect((error as OnnxpressError).file).toBe(path);
    expect((error as Error).message).toMatch(
      /int4\.onnx: ONNX Runtime crashed while measuring the outputs of the quantized model: its process was killed by SIGABRT/,
    );
  });

  it('a session still running at the deadline is killed: E_TIMEOUT naming the model', async () => {
    const path = writeHangingModel();
    const hang = loadModel(path);
    const started = Date.now();
    const error = await measureActivations(hang, [hang.graph.outputs[0]!.name], [new Map([['x', tensorOf('x', new Float32Array(4), [4])]])], {
      label: 'looping',
      timeout: 1,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as OnnxpressError).code).toBe('E_TIMEOUT');
    expect((error as Error).message).toMatch(
      /hang\.onnx: ONNX Runtime was still measuring the outputs of the looping model when the 1 s timeout ran out/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a request after the worker died fails at once with the same naming', async () => {
    const path = writeHangingModel();
    const dir = tempDir();
    const worker = session('looping', path, { at: Date.now() + 3000, seconds: 3 });
    await worker.load({ modelPath: path, ...CPU }, writeSamples(dir, [new Map([['x', tensorOf('x', new Float32Array(4), [4])]])]));
    await expect(worker.time(0)).rejects.toThrow(
      /hang\.onnx: ONNX Runtime was still running sample 0 of the looping model when the 3 s timeout ran out/,
    );
    const after = await worker.measure(['y']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((after as OnnxpressError).code).toBe('E_RUNTIME');
    expect((after as Error).message).toMatch(/hang\.onnx: .* the looping model/);
  });
});
