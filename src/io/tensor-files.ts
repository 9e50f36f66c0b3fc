/** Test data as ONNX stores it: TensorProto files (`input_K.pb`) and `test_data_set_N` folders of them. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataType } from '../ir/dtypes.js';
import { float16ToFloat32 } from '../ir/float16.js';
import { Tensor } from '../ir/tensor.js';
import { inputError, messageOf } from '../errors.js';
import { readBytes } from './read-bytes.js';
import { decode } from '../proto/codec.js';
import { deserializeTensor } from '../proto/serde.js';

/** Reads one TensorProto file (e.g. input_0.pb). */
export function readTensorFile(path: string): Tensor {
  const bytes = readBytes(path);
  try {
    return deserializeTensor(decode(bytes, 'TensorProto'), {});
  } catch (e) {
    throw inputError(`not a TensorProto file: ${messageOf(e)}`, { file: path, cause: e });
  }
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
    if (!name) throw inputError(`${kind} ${i} has no name and the model gives none for that position`, { file });
    out.set(name, t);
  });
  return out;
}

/** Only the `input_K.pb` tensors of one test_data_set folder: expected outputs are not read (nor need names). */
export function loadTestInputs(dir: string, inputNames?: readonly string[]): Map<string, Tensor> {
  return keyed(numberedFiles(dir, 'input'), inputNames, 'input');
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
    throw inputError('cannot read the inputs folder', { file: dir, cause: e });
  }
  if (entries.some((f) => /^input_\d+\.pb$/.test(f))) return [dir];
  const sets = entries
    .map((f) => [f, /^test_data_set_(\d+)$/.exec(f)] as const)
    .filter((e): e is readonly [string, RegExpExecArray] => e[1] !== null && statSync(join(dir, e[0])).isDirectory())
    .sort((a, b) => Number(a[1][1]) - Number(b[1][1]))
    .map(([f]) => join(dir, f));
  if (sets.length === 0) throw inputError('holds neither input_K.pb files nor test_data_set_N folders', { file: dir });
  return sets;
}
