/**
 * One model's ONNX Runtime session, in a process of its own (started by SessionProcess, session.ts): if the
 * runtime aborts, only this process dies and the parent reports which model it was. It answers the requests of
 * protocol.ts, one at a time, and times each session.run itself with process.hrtime.bigint().
 *
 * The runtime is onnxruntime-node, or onnxruntime-web's WebAssembly backend (`--provider wasm`) when the parent
 * starts the worker with `onnxruntime-web` as its argument: both have the same InferenceSession API.
 *
 * One of the two modules where onnxpress creates ONNX Runtime sessions (the other is browser/page-worker.ts, the
 * same requests answered in a browser page).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { messageOf } from '../errors.js';
import { Tensor } from '../ir/tensor.js';
import { addToStats, emptyStats } from './output-stats.js';
import type { OutputFile, OutputStats, ParentMessage, SessionSettings, TensorFile, WorkerMessage, WorkerRuntime, WorkerStage } from './protocol.js';
import { toOrtTensor } from './ort-tensors.js';

const runtimeName: WorkerRuntime = process.argv[2] === 'onnxruntime-web' ? 'onnxruntime-web' : 'onnxruntime-node';
// onnxruntime-web's `node` export condition is its WebAssembly build for Node; its API is onnxruntime-node's.
const ort = createRequire(import.meta.url)(runtimeName) as typeof Ort;
// Warnings (e.g. about unused initializers) would only clutter the parent's error reports.
ort.env.logLevel = 'error';

let session: Ort.InferenceSession | undefined;
let feeds: Record<string, Ort.Tensor>[] = [];

function send(message: WorkerMessage): void {
  process.send!(message);
}

function readInput(t: TensorFile): Ort.Tensor {
  const bytes = readFileSync(t.file);
  const tensor = new Tensor({ name: t.name, dataType: t.dataType, dims: t.dims, storage: { kind: 'raw', bytes } });
  return toOrtTensor(tensor, ort.Tensor);
}

/** The model with `expose` added to its graph outputs, read and written through the IR. */
async function exposedModel(modelPath: string, expose: readonly string[]): Promise<Uint8Array> {
  const [{ loadModel }, { modelBytesExposing }] = await Promise.all([import('../io/load.js'), import('./expose.js')]);
  return modelBytesExposing(loadModel(modelPath), expose);
}

async function load(message: SessionSettings & { samples: TensorFile[][] }): Promise<void> {
  feeds = message.samples.map((sample) => Object.fromEntries(sample.map((t) => [t.name, readInput(t)])));
  const model = message.expose?.length ? await exposedModel(message.modelPath, message.expose) : message.modelPath;
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: message.providers,
    intraOpNumThreads: message.intraOpNumThreads,
    interOpNumThreads: message.interOpNumThreads,
    executionMode: 'sequential',
    graphOptimizationLevel: message.graphOptimizationLevel,
    logSeverityLevel: 3,
  };
  // onnxruntime-web reads its thread count from env, once, when its WebAssembly module starts.
  if (runtimeName === 'onnxruntime-web') ort.env.wasm.numThreads = message.intraOpNumThreads;
  const rssBeforeLoadBytes = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  const createMs = Number(process.hrtime.bigint() - start) / 1e6;
  send({ type: 'loaded', createMs, rssBeforeLoadBytes, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
}

function loaded(): Ort.InferenceSession {
  if (!session) throw new Error('no session loaded');
  return session;
}

function feedOf(sample: number): Record<string, Ort.Tensor> {
  const feed = feeds[sample];
  if (!feed) throw new Error(`there is no input sample ${sample}`);
  return feed;
}

/** Output names the session has, checked: ONNX Runtime's own message for a wrong name is less clear. */
function checkOutputs(s: Ort.InferenceSession, names: readonly string[]): void {
  const known = new Set(s.outputNames);
  const missing = names.filter((n) => !known.has(n));
  if (missing.length > 0) {
    throw new Error(`the session has no output ${missing.map((n) => `'${n}'`).join(', ')} (expose it when loading the model)`);
  }
}

/** session.run, timed; `fetch` limits the outputs computed and returned. */
async function timedRun(sample: number, fetch?: readonly string[]): Promise<{ results: Ort.InferenceSession.ReturnType; ms: number }> {
  const s = loaded();
  const feed = feedOf(sample);
  if (fetch) checkOutputs(s, fetch);
  const start = process.hrtime.bigint();
  const results = fetch ? await s.run(feed, fetch) : await s.run(feed);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { results, ms };
}

async function run(message: Extract<ParentMessage, { type: 'run' }>): Promise<void> {
  const { results, ms } = await timedRun(message.sample, message.outputs);
  const names = message.outputs ?? loaded().outputNames;
  const outputs: OutputFile[] = names.map((name, k) => {
    const value = results[name]!;
    const dims = value.dims.map(Number);
    if (value.type === 'string') return { name, type: value.type, dims, strings: [...(value.data as string[])] };
    const data = value.data as ArrayBufferView;
    const file = join(message.outputDir, `${message.outputPrefix}-${k}.bin`);
    writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return { name, type: value.type, dims, file };
  });
  send({ type: 'ran', id: message.id, ms, outputs });
}

async function time(message: Extract<ParentMessage, { type: 'time' }>): Promise<void> {
  const { ms } = await timedRun(message.sample);
  send({ type: 'timed', id: message.id, ms });
}

async function measure(message: Extract<ParentMessage, { type: 'measure' }>): Promise<void> {
  const names = [...new Set(message.outputs)];
  const stats = new Map<string, OutputStats>(names.map((n) => [n, emptyStats()]));
  const samples = message.samples ?? feeds.map((_, i) => i);
  for (const sample of samples) {
    const { results } = await timedRun(sample, names);
    for (const name of names) {
      const value = results[name]!;
      try {
        addToStats(stats.get(name)!, value.type, value.data);
      } catch (e) {
        throw new Error(`output '${name}': ${messageOf(e)}`, { cause: e });
      }
    }
  }
  send({ type: 'measured', id: message.id, stats: message.outputs.map((name) => ({ name, ...stats.get(name)! })) });
}

async function handle(message: ParentMessage): Promise<void> {
  if (message.type === 'close') {
    process.disconnect();
    return;
  }
  const stage: WorkerStage = message.type;
  try {
    switch (message.type) {
      case 'load':
        return await load(message);
      case 'run':
        return await run(message);
      case 'time':
        return await time(message);
      case 'measure':
        return await measure(message);
      case 'memory':
        // maxRSS is in kilobytes.
        return send({ type: 'memory', id: message.id, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
    }
  } catch (e) {
    send({ type: 'error', ...('id' in message ? { id: message.id } : {}), stage, message: messageOf(e) });
  }
}

// Requests are handled strictly in order: the parent never has two outstanding, but a queue keeps that true anyway.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: ParentMessage) => {
  queue = queue.then(() => handle(message));
});
// The parent is gone (or done): nothing more to do.
process.on('disconnect', () => process.exit(0));
const versions = ort.env.versions as Record<string, string | undefined>;
send({ type: 'ready', onnxruntimeVersion: (runtimeName === 'onnxruntime-web' ? versions.web : versions.node) ?? versions.common ?? 'unknown' });
