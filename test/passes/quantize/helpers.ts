/** Test helpers for the quantization pass: ONNX Runtime runs, test-data reading, reference metrics. */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { decode } from '../../../src/proto/codec.js';
import { deserializeTensor } from '../../../src/proto/serde.js';
import { mulberry32 } from '../../../src/validate/synthesize.js';

const ORT_TYPES: Partial<Record<number, ort.Tensor.Type>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
};

/** A TensorProto file (test_data_set_*, labels.pb) as a named onnxruntime tensor. */
export function readTensorFile(path: string): { name: string; tensor: ort.Tensor } {
  const t = deserializeTensor(decode(readFileSync(path), 'TensorProto'), {});
  const type = ORT_TYPES[t.dataType];
  if (!type) throw new Error(`${path}: no onnxruntime type for data type ${t.dataType}`);
  const data = t.toTypedArray();
  const copy = type === 'bool' ? Uint8Array.from(data as Uint8Array) : data.slice();
  return { name: t.name ?? '', tensor: new ort.Tensor(type, copy as ort.Tensor.DataType, t.dims.map(Number)) };
}

export async function createSession(model: Model | Uint8Array | string, threads = 1): Promise<ort.InferenceSession> {
  const source = typeof model === 'string' || model instanceof Uint8Array ? model : modelToBytes(model);
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

/** Runs a model once; returns every output by name. */
export async function runModel(model: Model | Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await createSession(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function floatTensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Top-1 accuracy of the argmax over the last axis against integer labels. */
export function top1Accuracy(output: ort.Tensor, labels: ort.Tensor): number {
  const classes = output.dims[output.dims.length - 1]!;
  const data = output.data as Float32Array;
  const truth = labels.data as BigInt64Array | Int32Array;
  const rows = data.length / classes;
  if (truth.length !== rows) throw new Error(`${rows} predictions but ${truth.length} labels`);
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[r * classes + c]! > data[r * classes + best]!) best = c;
    if (Number(truth[r]) === best) hits++;
  }
  return hits / rows;
}

/** Deterministic pseudo-random numbers (mulberry32), uniform in [-scale, scale). */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (next() * 2 - 1) * scale);
}

export function opCounts(model: Model): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph.allNodes()) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
  return counts;
}
