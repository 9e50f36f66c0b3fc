/**
 * One model's ONNX Runtime session, in a process of its own (started by child.ts): if the runtime aborts, only this
 * process dies and the parent reports which model it was. It answers the messages of protocol.ts, one at a time,
 * and times each session.run itself with process.hrtime.bigint().
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { messageOf } from '../errors.js';
import { Tensor } from '../ir/tensor.js';
import type { OutputFile, ParentMessage, SessionSettings, TensorFile, WorkerMessage } from './protocol.js';
import { toOrtTensor } from './ort-tensors.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
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
  return toOrtTensor(tensor);
}

async function load(message: SessionSettings & { samples: TensorFile[][] }): Promise<void> {
  feeds = message.samples.map((sample) => Object.fromEntries(sample.map((t) => [t.name, readInput(t)])));
  const rssBeforeLoadBytes = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  session = await ort.InferenceSession.create(message.modelPath, {
    executionProviders: message.providers,
    intraOpNumThreads: message.intraOpNumThreads,
    interOpNumThreads: message.interOpNumThreads,
    executionMode: 'sequential',
    graphOptimizationLevel: message.graphOptimizationLevel,
    logSeverityLevel: 3,
  });
  const createMs = Number(process.hrtime.bigint() - start) / 1e6;
  send({ type: 'loaded', createMs, rssBeforeLoadBytes, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
}

async function run(id: number, sample: number, outputDir?: string, prefix = 'out'): Promise<void> {
  if (!session) throw new Error('no session loaded');
  const feed = feeds[sample];
  if (!feed) throw new Error(`there is no input sample ${sample}`);
  const start = process.hrtime.bigint();
  const results = await session.run(feed);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (outputDir === undefined) {
    send({ type: 'ran', id, ms });
    return;
  }
  const outputs: OutputFile[] = session.outputNames.map((name, k) => {
    const value = results[name]!;
    const dims = value.dims.map(Number);
    if (value.type === 'string') return { name, type: value.type, dims, strings: [...(value.data as string[])] };
    const data = value.data as ArrayBufferView;
    const file = join(outputDir, `${prefix}-${k}.bin`);
    writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return { name, type: value.type, dims, file };
  });
  send({ type: 'ran', id, ms, outputs });
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'load':
      try {
        await load(message);
      } catch (e) {
        send({ type: 'error', stage: 'load', message: messageOf(e) });
      }
      return;
    case 'run':
      try {
        await run(message.id, message.sample, message.outputDir, message.outputPrefix);
      } catch (e) {
        send({ type: 'error', id: message.id, stage: 'run', message: messageOf(e) });
      }
      return;
    case 'stats':
      // maxRSS is in kilobytes.
      send({ type: 'stats', id: message.id, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
      return;
    case 'close':
      process.disconnect();
      return;
  }
}

// Requests are handled strictly in order: the parent never has two outstanding, but a queue keeps that true anyway.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: ParentMessage) => {
  queue = queue.then(() => handle(message));
});
// The parent is gone (or done): nothing more to do.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown' });
