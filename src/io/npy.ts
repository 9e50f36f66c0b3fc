/**
 * Reading NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian numeric and bool arrays in C order.
 * The format: magic "\x93NUMPY", major and minor version bytes, the header length (uint16 in v1, uint32 in v2/v3),
 * then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` and the data.
 */
import { basename } from 'node:path';
import { DataType, type TypedArray } from '../ir/dtypes.js';
import { Tensor } from '../ir/tensor.js';
import { inputError } from '../errors.js';
import { readBytes } from './read-bytes.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy type codes (without the byte-order character) and their ONNX types. */
const NPY_TYPES: Readonly<Record<string, DataType>> = {
  f2: DataType.FLOAT16,
  f4: DataType.FLOAT,
  f8: DataType.DOUBLE,
  i1: DataType.INT8,
  i2: DataType.INT16,
  i4: DataType.INT32,
  i8: DataType.INT64,
  u1: DataType.UINT8,
  u2: DataType.UINT16,
  u4: DataType.UINT32,
  u8: DataType.UINT64,
  b1: DataType.BOOL,
};

export interface NpyArray {
  dataType: DataType;
  dims: number[];
  /** The elements, in a fresh aligned buffer (float16 as bit patterns, bool as 0/1 bytes). */
  data: TypedArray;
}

/** Parses .npy bytes; `file` is named in errors. */
export function parseNpy(bytes: Uint8Array, file = '<memory>'): NpyArray {
  const fail = (why: string): never => {
    throw inputError(`not a readable .npy file: ${why}`, { file });
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) fail('it does not start with \\x93NUMPY');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('the header is cut short');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    return fail(`format version ${major}.${bytes[7]} is not 1, 2 or 3`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) fail('the header is cut short');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`the header does not name descr, fortran_order and shape: ${header.trim()}`);
  }
  if (fortran === 'True') {
    fail('the array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) first');
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) fail(`shape entry '${s}' is not a size`);
      return n;
    });

  const order = descr[0]!;
  const code = '<>=|'.includes(order) ? descr.slice(1) : descr;
  const dataType = NPY_TYPES[code];
  if (dataType === undefined) {
    return fail(`dtype '${descr}' is not supported (supported: ${Object.keys(NPY_TYPES).join(' ')}, little-endian)`);
  }
  const width = Number(code.slice(1));
  if (order === '>' && width > 1) fail(`dtype '${descr}' is big-endian; save it little-endian (arr.astype('<${code}'))`);

  const count = dims.reduce((a, b) => a * b, 1);
  const byteLength = count * width;
  if (dataStart + byteLength > bytes.length) {
    fail(`shape (${dims.join(', ')}) needs ${byteLength} data bytes, the file holds ${bytes.length - dataStart}`);
  }
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(dataStart, dataStart + byteLength));
  return { dataType, dims, data: typedView(dataType, copy.buffer, count) };
}

function typedView(dataType: DataType, buffer: ArrayBuffer, count: number): TypedArray {
  switch (dataType) {
    case DataType.FLOAT16:
    case DataType.UINT16:
      return new Uint16Array(buffer, 0, count);
    case DataType.FLOAT:
      return new Float32Array(buffer, 0, count);
    case DataType.DOUBLE:
      return new Float64Array(buffer, 0, count);
    case DataType.INT8:
      return new Int8Array(buffer, 0, count);
    case DataType.INT16:
      return new Int16Array(buffer, 0, count);
    case DataType.INT32:
      return new Int32Array(buffer, 0, count);
    case DataType.INT64:
      return new BigInt64Array(buffer, 0, count);
    case DataType.UINT32:
      return new Uint32Array(buffer, 0, count);
    case DataType.UINT64:
      return new BigUint64Array(buffer, 0, count);
    default:
      return new Uint8Array(buffer, 0, count);
  }
}

/** Reads a .npy file as an IR tensor named `name` (default: the file name without `.npy`). */
export function readNpyFile(path: string, name = basename(path).replace(/\.npy$/i, '')): Tensor {
  const array = parseNpy(readBytes(path), path);
  return Tensor.fromArray(name, array.dataType, array.dims, array.data);
}
