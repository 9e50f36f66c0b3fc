/**
 * Test data as ONNX stores it (`test_data_set_N/input_K.pb`, TensorProto) and
 * as onnxruntime-node wants it (ort.Tensor), both ways.
 *
 * onnxruntime-node is loaded on first use only, so reading test data does not
 * start the runtime.
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { DataType, dataTypeInfo, type TypedArray } from '../ir/dtypes.js';
import { float16ToFloat32 } from '../ir/float16.js';
import { Tensor } from '../ir/tensor.js';
import { messageOf, OnnxpressError } from '../io/errors.js';
import { readBytes } from '../io/read-bytes.js';
import { decode } from '../proto/codec.js';
import { deserializeTensor } from '../proto/serde.js';

let ortModule: typeof Ort | undefined;
function ort(): typeof Ort {
  return (ortModule ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort);
}

/** Reads one TensorProto file (e.g. input_0.pb). */
export function readTensorFile(path: string): Tensor {
  const bytes = readBytes(path);
  try {
    return deserializeTensor(decode(bytes, 'TensorProto'), {});
  } catch (e) {
    throw new OnnxpressError('E_INPUT', `not a TensorProto file: ${messageOf(e)}`, { file: path, cause: e });
  }
}

/** Numbers for the dims, refusing what cannot be a JS array length. */
function dimsOf(tensor: Tensor): number[] {
  return tensor.dims.map((d) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0) throw new OnnxpressError('E_INPUT', `tensor '${tensor.name ?? ''}' has dimension ${String(d)}`);
    return n;
  });
}

/** An IR tensor as an onnxruntime-node tensor (float16 as Uint16Array bits, bool as Uint8Array). */
export function toOrtTensor(tensor: Tensor): Ort.Tensor {
  const info = dataTypeInfo(tensor.dataType);
  const dims = dimsOf(tensor);
  if (tensor.dataType === DataType.STRING) {
    const decoder = new TextDecoder();
    return new (ort().Tensor)('string', tensor.strings().map((s) => decoder.decode(s)), dims);
  }
  if (!info.ortName || !info.array) throw new OnnxpressError('E_INPUT', `tensor '${tensor.name ?? ''}': ${info.name} cannot be given to ONNX Runtime`);
  const data = tensor.toTypedArray();
  return new (ort().Tensor)(info.ortName as 'float32', data as Float32Array, dims);
}

const ORT_TYPES = new Map<string, DataType>([
  ['float32', DataType.FLOAT],
  ['float16', DataType.FLOAT16],
  ['float64', DataType.DOUBLE],
  ['int8', DataType.INT8],
  ['uint8', DataType.UINT8],
  ['int16', DataType.INT16],
  ['uint16', DataType.UINT16],
  ['int32', DataType.INT32],
  ['uint32', DataType.UINT32],
  ['int64', DataType.INT64],
  ['uint64', DataType.UINT64],
  ['bool', DataType.BOOL],
]);

/** An onnxruntime-node tensor as an IR tensor (numeric types; the data is not copied). */
export function fromOrtTensor(value: Ort.Tensor, name?: string): Tensor {
  const dataType = ORT_TYPES.get(value.type);
  if (dataType === undefined) throw new OnnxpressError('E_RUNTIME', `output '${name ?? ''}': ONNX Runtime type ${value.type} is not supported here`);
  return Tensor.fromArray(name, dataType, value.dims, value.data as TypedArray);
}

/** Any numeric tensor's values as float64 (float16 decoded, int64 rounded to the nearest double, bool 0/1). */
export function numericValues(tensor: Tensor): Float64Array {
  const data = tensor.toTypedArray();
  if (tensor.dataType === DataType.FLOAT16) return Float64Array.from(float16ToFloat32(data as Uint16Array));
  if (tensor.dataType === DataType.BFLOAT16) {
    const out = new Float64Array(data.length);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < data.length; i++) {
      u[0] = (data[i] as number) << 16;
      out[i] = f[0]!;
    }
    return out;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, (x) => Number(x));
  return Float64Array.from(data as ArrayLike<number>);
}

export interface TestDataSet {
  inputs: Map<string, Tensor>;
  outputs: Map<string, Tensor>;
}

function numberedFiles(dir: string, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return readdirSync(dir)
    .map((f) => [f, pattern.exec(f)] as const)
    .filter((e): e is readonly [string, RegExpExecArray] => e[1] !== null)
    .sort((a, b) => Number(a[1][1]) - Number(b[1][1]))
    .map(([f]) => join(dir, f));
}

function keyed(files: string[], names: readonly string[] | undefined, kind: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  files.forEach((file, i) => {
    const t = readTensorFile(file);
    const name = t.name || names?.[i];
    if (!name) throw new OnnxpressError('E_INPUT', `${kind} ${i} has no name and the model gives none for that position`, { file });
    out.set(name, t);
  });
  return out;
}

/**
 * Reads `input_K.pb` / `output_K.pb` of one test_data_set folder. Tensors are
 * keyed by their TensorProto name, else by the model's input (output) names in order.
 */
export function loadTestDataSet(dir: string, inputNames?: readonly string[], outputNames?: readonly string[]): TestDataSet {
  return { inputs: keyed(numberedFiles(dir, 'input'), inputNames, 'input'), outputs: keyed(numberedFiles(dir, 'output'), outputNames, 'output') };
}

/**
 * The test-data folders under `dir`: `dir` itself when it holds input_K.pb
 * files, else its `test_data_set_N` subfolders in order.
 */
export function findTestDataSets(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new OnnxpressError('E_INPUT', 'cannot read the inputs folder', { file: dir, cause: e });
  }
  if (entries.some((f) => /^input_\d+\.pb$/.test(f))) return [dir];
  const sets = entries
    .map((f) => [f, /^test_data_set_(\d+)$/.exec(f)] as const)
    .filter((e): e is readonly [string, RegExpExecArray] => e[1] !== null && statSync(join(dir, e[0])).isDirectory())
    .sort((a, b) => Number(a[1][1]) - Number(b[1][1]))
    .map(([f]) => join(dir, f));
  if (sets.length === 0) throw new OnnxpressError('E_INPUT', 'holds neither input_K.pb files nor test_data_set_N folders', { file: dir });
  return sets;
}
