/** IR tensors to and from onnxruntime-node tensors (float16 as Uint16Array bits, bool as Uint8Array). */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { DataType, dataTypeInfo, type TypedArray } from '../ir/dtypes.js';
import { Tensor } from '../ir/tensor.js';
import { inputError, runtimeError } from '../errors.js';

let ortModule: typeof Ort | undefined;
function ort(): typeof Ort {
  return (ortModule ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort);
}

/** Numbers for the dims, refusing what cannot be a JS array length. */
function dimsOf(tensor: Tensor): number[] {
  return tensor.dims.map((d) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0) throw inputError(`tensor '${tensor.name ?? ''}' has dimension ${String(d)}`);
    return n;
  });
}

/**
 * An IR tensor as an onnxruntime-node tensor (float16 as Uint16Array bits, bool as Uint8Array). `TensorClass`:
 * another runtime's Tensor with the same constructor (onnxruntime-web's).
 */
export function toOrtTensor(tensor: Tensor, TensorClass: typeof Ort.Tensor = ort().Tensor): Ort.Tensor {
  const info = dataTypeInfo(tensor.dataType);
  const dims = dimsOf(tensor);
  if (tensor.dataType === DataType.STRING) {
    const decoder = new TextDecoder();
    return new TensorClass(
      'string',
      tensor.strings().map((s) => decoder.decode(s)),
      dims,
    );
  }
  if (!info.ortName || !info.array) throw inputError(`tensor '${tensor.name ?? ''}': ${info.name} cannot be given to ONNX Runtime`);
  const data = tensor.toTypedArray();
  return new TensorClass(info.ortName as 'float32', data as Float32Array, dims);
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
  if (dataType === undefined) throw runtimeError(`output '${name ?? ''}': ONNX Runtime type ${value.type} is not supported here`);
  return Tensor.fromArray(name, dataType, value.dims, value.data as TypedArray);
}
