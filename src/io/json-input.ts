/**
 * Inputs written as JSON (docs/validation.md, "Input files"):
 *
 *   { "input_ids": { "dims": [1, 4], "dtype": "int64", "data": [101, 7592, 2088, 102] },
 *     "pixels": [[0.1, 0.2], [0.3, 0.4]] }
 *
 * A tensor is either an object with `data` (flat or nested; `dims` and `dtype` optional) or a bare nested array
 * (dims from the nesting). Without `dtype` the model's type for that input is used. A top-level array of such
 * objects holds several samples. int64 values beyond 2^53 may be strings; floats may be "NaN", "Infinity", "-Infinity".
 */
import { DataType, dataTypeInfo, type TypedArray } from '../ir/dtypes.js';
import { float32ToBfloat16, float32ToFloat16 } from '../ir/float16.js';
import { Tensor } from '../ir/tensor.js';
import { inputError } from '../errors.js';

/** Type names JSON may use: onnxruntime's ('float32') and ONNX's ('float'), case-insensitive. */
export function parseTypeName(name: string): DataType | undefined {
  const lower = name.toLowerCase();
  const aliases: Record<string, DataType> = { float: DataType.FLOAT, double: DataType.DOUBLE, half: DataType.FLOAT16 };
  if (aliases[lower] !== undefined) return aliases[lower];
  for (let t = DataType.FLOAT; t <= DataType.INT2; t++) {
    const info = dataTypeInfo(t);
    if (info.ortName === lower || info.name.toLowerCase() === lower) return t;
  }
  return undefined;
}

type Scalar = number | string | boolean;

/**
 * Parses JSON input text into samples (name -> tensor). `modelType` gives the model's element type for an input
 * name (undefined when the model has no such input).
 */
export function parseJsonInputs(text: string, file: string, modelType: (name: string) => DataType | undefined): Map<string, Tensor>[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw inputError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const samples = Array.isArray(value) ? value : [value];
  if (samples.length === 0) throw inputError('the JSON array holds no samples', { file });
  return samples.map((sample, i) => {
    const where = Array.isArray(value) ? `sample ${i}: ` : '';
    if (typeof sample !== 'object' || sample === null || Array.isArray(sample)) {
      throw inputError(`${where}expected an object mapping input names to tensors`, { file });
    }
    const tensors = new Map<string, Tensor>();
    for (const [name, spec] of Object.entries(sample as Record<string, unknown>)) {
      tensors.set(
        name,
        jsonTensor(name, spec, modelType(name), (why) => inputError(`${where}input '${name}': ${why}`, { file })),
      );
    }
    return tensors;
  });
}

function jsonTensor(name: string, spec: unknown, modelType: DataType | undefined, error: (why: string) => Error): Tensor {
  let data: unknown = spec;
  let dims: number[] | undefined;
  let dataType = modelType;
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const record = spec as Record<string, unknown>;
    if (!('data' in record)) throw error('an object tensor needs "data" (and optionally "dims" and "dtype")');
    data = record.data;
    if (record.dims !== undefined) {
      if (!Array.isArray(record.dims) || !record.dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw error('"dims" must be an array of non-negative integers');
      }
      dims = record.dims as number[];
    }
    if (record.dtype !== undefined) {
      if (typeof record.dtype !== 'string' || parseTypeName(record.dtype) === undefined) throw error(`unknown dtype ${JSON.stringify(record.dtype)}`);
      dataType = parseTypeName(record.dtype);
    }
  }
  if (dataType === undefined) throw error(`the model has no input named '${name}' (to pass it anyway, give its "dtype")`);
  const nested = nestedDims(data, error);
  const values = flatten(data);
  if (dims === undefined) dims = nested;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw error(`dims [${dims.join(', ')}] hold ${count} elements but "data" has ${values.length}`);
  if (dataType === DataType.STRING) {
    const encoder = new TextEncoder();
    const strings = values.map((v) => {
      if (typeof v !== 'string') throw error(`string tensors take strings, got ${JSON.stringify(v)}`);
      return encoder.encode(v);
    });
    return new Tensor({ name, dataType, dims, storage: { kind: 'string_data', values: strings } });
  }
  return Tensor.fromArray(name, dataType, dims, typedValues(dataType, values, error));
}

/** Dims of a rectangular nested array; a scalar has dims []. */
function nestedDims(data: unknown, error: (why: string) => Error): number[] {
  if (!Array.isArray(data)) return [];
  if (data.length === 0) return [0];
  const inner = nestedDims(data[0], error);
  for (const item of data) {
    const d = nestedDims(item, error);
    if (d.length !== inner.length || d.some((x, i) => x !== inner[i])) throw error('nested arrays are not rectangular');
  }
  return [data.length, ...inner];
}

function flatten(data: unknown): Scalar[] {
  if (!Array.isArray(data)) return [data as Scalar];
  const out: Scalar[] = [];
  const walk = (d: unknown): void => {
    if (Array.isArray(d)) for (const x of d) walk(x);
    else out.push(d as Scalar);
  };
  walk(data);
  return out;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function typedValues(dataType: DataType, values: Scalar[], error: (why: string) => Error): TypedArray {
  const info = dataTypeInfo(dataType);
  const asFloat = (v: Scalar): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v in NON_FINITE) return NON_FINITE[v]!;
    throw error(`${JSON.stringify(v)} is not a number`);
  };
  switch (dataType) {
    case DataType.FLOAT:
      return Float32Array.from(values, asFloat);
    case DataType.DOUBLE:
      return Float64Array.from(values, asFloat);
    case DataType.FLOAT16:
      return float32ToFloat16(Float32Array.from(values, asFloat));
    case DataType.BFLOAT16:
      return float32ToBfloat16(Float32Array.from(values, asFloat));
    case DataType.BOOL:
      return Uint8Array.from(values, (v) => {
        if (v === true || v === 1) return 1;
        if (v === false || v === 0) return 0;
        throw error(`${JSON.stringify(v)} is not a bool (true, false, 1 or 0)`);
      });
    case DataType.INT64:
    case DataType.UINT64: {
      const signed = dataType === DataType.INT64;
      const out = signed ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
      values.forEach((v, i) => {
        const big = toBigInt(v);
        if (big === undefined) throw error(`${JSON.stringify(v)} is not an integer (write integers beyond 2^53 as strings)`);
        if ((signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big)) !== big) throw error(`${JSON.stringify(v)} does not fit in ${info.ortName}`);
        out[i] = big;
      });
      return out;
    }
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.INT32:
    case DataType.UINT32: {
      const Ctor = info.array!;
      const out = new Ctor(values.length) as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
      values.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v)) throw error(`${JSON.stringify(v)} is not an integer`);
        out[i] = v;
        if (out[i] !== v) throw error(`${v} does not fit in ${info.ortName}`);
      });
      return out;
    }
    default:
      throw error(`${info.name.toLowerCase()} inputs cannot be written in JSON`);
  }
}

function toBigInt(v: Scalar): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return undefined;
}
