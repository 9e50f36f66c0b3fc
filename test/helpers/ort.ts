/** Running models in onnxruntime-node in tests, and reading TensorProto (.pb) files as onnxruntime tensors. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { numericValues } from '../../src/io/tensor-files.js';
import { fromOrtTensor, toOrtTensor } from '../../src/runtime/ort-tensors.js';
import { decodeTensor, has, int64 } from './onnx-proto.js';

/** One thread each: the same results run after run, whatever the machine. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Inputs by name, as onnxruntime tensors or as IR tensors (converted with toOrtTensor). */
export type Feeds = Readonly<Record<string, ort.Tensor | Tensor>> | ReadonlyMap<string, ort.Tensor | Tensor>;

/** A session on a model, its bytes or its file. */
export async function createSession(
  model: Model | Uint8Array | string,
  options: ort.InferenceSession.SessionOptions = SESSION_OPTIONS,
): Promise<ort.InferenceSession> {
  if (typeof model === 'string') return ort.InferenceSession.create(model, options);
  return ort.InferenceSession.create(model instanceof Uint8Array ? model : modelToBytes(model), options);
}

/** Runs a model once; returns every output by name. */
export async function runModel(
  model: Model | Uint8Array | string,
  feeds: Feeds,
  options: ort.InferenceSession.SessionOptions = SESSION_OPTIONS,
): Promise<Record<string, ort.Tensor>> {
  const inputs: Record<string, ort.Tensor> = {};
  const entries =
    feeds instanceof Map
      ? [...(feeds as ReadonlyMap<string, ort.Tensor | Tensor>)]
      : Object.entries(feeds as Readonly<Record<string, ort.Tensor | Tensor>>);
  for (const [name, t] of entries) inputs[name] = t instanceof Tensor ? toOrtTensor(t) : t;
  const session = await createSession(model, options);
  try {
    return await session.run(inputs);
  } finally {
    await session.release();
  }
}

export interface RunOutput {
  type: string;
  dims: readonly number[];
  values: Float64Array;
}

/** Runs a model once; returns every output's type, dims and values as float64 (float16 decoded), in output order. */
export async function runModelValues(
  model: Model | Uint8Array | string,
  feeds: Feeds,
  options: ort.InferenceSession.SessionOptions = SESSION_OPTIONS,
): Promise<Map<string, RunOutput>> {
  const outputs = await runModel(model, feeds, options);
  const out = new Map<string, RunOutput>();
  for (const [name, t] of Object.entries(outputs)) out.set(name, { type: t.type, dims: t.dims, values: numericValues(fromOrtTensor(t, name)) });
  return out;
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

// TensorProto files are decoded with onnx-proto (code generated from ONNX's schema), not with onnxpress's codec.
const ORT_TYPES: Partial<Record<number, { type: ort.Tensor.Type; array: { new (buffer: ArrayBuffer): ort.Tensor.DataType } }>> = {
  1: { type: 'float32', array: Float32Array },
  2: { type: 'uint8', array: Uint8Array },
  3: { type: 'int8', array: Int8Array },
  6: { type: 'int32', array: Int32Array },
  7: { type: 'int64', array: BigInt64Array },
  9: { type: 'bool', array: Uint8Array },
};

/** A TensorProto file (test_data_set_N/input_K.pb, labels.pb) as a named onnxruntime tensor. */
export function readTensorPb(file: string): { name: string; tensor: ort.Tensor } {
  const t = decodeTensor(readFileSync(file));
  const kind = ORT_TYPES[t.dataType];
  if (!kind) throw new Error(`${file}: no onnxruntime type for data type ${t.dataType}`);
  const dims = t.dims.map((d) => Number(int64(d)));
  let data: ort.Tensor.DataType;
  if (has(t, 'rawData'))
    data = new kind.array(new Uint8Array(t.rawData).buffer); // an aligned copy
  else if (kind.type === 'float32') data = Float32Array.from(t.floatData);
  else if (kind.type === 'int64') data = BigInt64Array.from(t.int64Data, (v) => BigInt(int64(v)));
  else if (kind.type === 'int32') data = Int32Array.from(t.int32Data);
  else if (kind.type === 'int8') data = Int8Array.from(t.int32Data);
  else data = Uint8Array.from(t.int32Data); // uint8 and bool: one element per int32
  return { name: t.name, tensor: new ort.Tensor(kind.type, data, dims) };
}

/** The inputs of a test_data_set_N folder (input_0.pb, input_1.pb, ...) by the names their files give. */
export function readTestDataFeeds(dir: string): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let k = 0; existsSync(join(dir, `input_${k}.pb`)); k++) {
    const { name, tensor } = readTensorPb(join(dir, `input_${k}.pb`));
    feeds[name] = tensor;
  }
  return feeds;
}
