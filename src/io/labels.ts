/**
 * Labels for task accuracy (`--labels FILE`): a TensorProto .pb (like the corpus' labels.pb), a .npy file, or JSON
 * (a nested array of integers, or `{ "data": [...] }`). Labels are read flat, in row-major order.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DataType, dataTypeInfo } from '../ir/dtypes.js';
import { inputError } from '../errors.js';
import type { TypedArray } from '../ir/dtypes.js';

type NumericArray = TypedArray | readonly number[];
import { parseNpy } from './npy.js';
import { readTensorFile } from './tensor-files.js';
import { readBytes } from './read-bytes.js';

export interface Labels {
  path: string;
  /** Integer class indices (negative ones are ignored by the accuracy). */
  values: NumericArray;
}

export function readLabels(path: string): Labels {
  const ext = extname(path).toLowerCase();
  if (ext === '.pb') {
    const tensor = readTensorFile(path);
    checkIntegerType(tensor.dataType, path);
    return { path, values: tensor.toTypedArray() as NumericArray };
  }
  if (ext === '.npy') {
    const array = parseNpy(readBytes(path), path);
    checkIntegerType(array.dataType, path);
    return { path, values: array.data as NumericArray };
  }
  if (ext === '.json') return { path, values: jsonLabels(readFileSync(path, 'utf8'), path) };
  throw inputError('unknown labels file type; give a .pb (TensorProto), .npy or .json file', { file: path });
}

function checkIntegerType(dataType: DataType, path: string): void {
  const info = dataTypeInfo(dataType);
  if (info.isFloat || dataType === DataType.STRING || dataType === DataType.BOOL || !info.array) {
    throw inputError(`labels must be integers (class indices), not ${info.name.toLowerCase()}`, { file: path });
  }
}

function jsonLabels(text: string, path: string): number[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw inputError(`not valid JSON: ${(e as Error).message}`, { file: path });
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value) value = value.data;
  if (!Array.isArray(value)) throw inputError('labels JSON must be an array of integers or { "data": [...] }', { file: path });
  const flat = (value as unknown[]).flat(Infinity);
  for (const v of flat) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw inputError(`label ${JSON.stringify(v)} is not an integer`, { file: path });
  }
  return flat as number[];
}
