/**
 * Tiny-model harness for asking onnxruntime-node what it does with float16:
 * build a one-node model, try to load and run it, and classify the outcome.
 * Shared by blocklist.test.ts and scripts/probe-ort-fp16.mjs.
 */
import * as ort from 'onnxruntime-node';
import { encode } from '../../../src/proto/codec.js';
import type { AttributeProto, ModelProto, TensorProto, TypeProtoTensor, ValueInfoProto } from '../../../src/proto/messages.js';

export const FLOAT = 1;
export const UINT8 = 2;
export const INT8 = 3;
export const INT32 = 6;
export const INT64 = 7;
export const BOOL = 9;
export const FLOAT16 = 10;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE binary16 bits, round to nearest even (independent of the code under test). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}

export function fromFloat16Array(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fromFloat16Bits(values[i]!);
  return out;
}

/** A value in a tiny model: its ONNX element type, shape and (for inputs/initializers) data. */
export interface TinyValue {
  name: string;
  elemType: number;
  dims: readonly number[];
  /** Logical values; converted to the element type's storage. Omit for outputs. */
  data?: ArrayLike<number> | readonly boolean[];
}

export interface TinyNode {
  op: string;
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly AttributeProto[];
}

export interface TinyModel {
  nodes: readonly TinyNode[];
  inputs: readonly TinyValue[];
  outputs: readonly TinyValue[];
  initializers?: readonly TinyValue[];
  /** domain -> version; '' is ai.onnx. */
  opsets: Readonly<Record<string, number>>;
  irVersion?: number;
}

function storage(value: TinyValue): Uint8Array {
  const data = value.data ?? [];
  let typed: ArrayBufferView;
  switch (value.elemType) {
    case FLOAT:
      typed = Float32Array.from(data as ArrayLike<number>);
      break;
    case FLOAT16:
      typed = toFloat16Array(data as ArrayLike<number>);
      break;
    case UINT8:
      typed = Uint8Array.from(data as ArrayLike<number>);
      break;
    case INT8:
      typed = Int8Array.from(data as ArrayLike<number>);
      break;
    case INT32:
      typed = Int32Array.from(data as ArrayLike<number>);
      break;
    case INT64:
      typed = BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(v)));
      break;
    case BOOL:
      typed = Uint8Array.from(Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0)));
      break;
    default:
      throw new Error(`harness: element type ${value.elemType} not supported`);
  }
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

export function tensorProto(value: TinyValue): TensorProto {
  return { dims: [...value.dims], data_type: value.elemType, name: value.name, raw_data: storage(value) };
}

export function valueInfo(value: Pick<TinyValue, 'name' | 'elemType'> & { dims?: readonly number[] }): ValueInfoProto {
  const tensorType: TypeProtoTensor = { elem_type: value.elemType };
  if (value.dims) tensorType.shape = { dim: value.dims.map((d) => ({ dim_value: d })) };
  return { name: value.name, type: { tensor_type: tensorType } };
}

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, i, type: 2 }),
  float: (name: string, f: number): AttributeProto => ({ name, f, type: 1 }),
  string: (name: string, s: string): AttributeProto => ({ name, s: new TextEncoder().encode(s), type: 3 }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, ints: [...ints], type: 7 }),
  floats: (name: string, floats: readonly number[]): AttributeProto => ({ name, floats: Float32Array.from(floats), type: 6 }),
  tensor: (name: string, t: TinyValue): AttributeProto => ({ name, t: tensorProto(t), type: 4 }),
};

export function buildModel(model: TinyModel): Uint8Array {
  const msg: ModelProto = {
    ir_version: model.irVersion ?? 10,
    producer_name: 'onnxpress-fp16-probe',
    graph: {
      node: model.nodes.map((n, i) => ({
        input: [...n.inputs],
        output: [...n.outputs],
        name: `n${i}`,
        op_type: n.op,
        ...(n.domain ? { domain: n.domain } : {}),
        ...(n.attributes?.length ? { attribute: [...n.attributes] } : {}),
      })),
      name: 'probe',
      initializer: (model.initializers ?? []).map(tensorProto),
      input: model.inputs.map((v) => valueInfo(v)),
      output: model.outputs.map((v) => valueInfo({ name: v.name, elemType: v.elemType })),
    },
    opset_import: Object.entries(model.opsets).map(([domain, version]) => ({ domain, version })),
  };
  return encode(msg);
}

function ortTensor(value: TinyValue): ort.Tensor {
  const data = value.data ?? [];
  const dims = [...value.dims];
  switch (value.elemType) {
    case FLOAT:
      return new ort.Tensor('float32', Float32Array.from(data as ArrayLike<number>), dims);
    case FLOAT16:
      return new ort.Tensor('float16', toFloat16Array(data as ArrayLike<number>), dims);
    case UINT8:
      return new ort.Tensor('uint8', Uint8Array.from(data as ArrayLike<number>), dims);
    case INT8:
      return new ort.Tensor('int8', Int8Array.from(data as ArrayLike<number>), dims);
    case INT32:
      return new ort.Tensor('int32', Int32Array.from(data as ArrayLike<number>), dims);
    case INT64:
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(v))), dims);
    case BOOL:
      return new ort.Tensor('bool', Uint8Array.from(Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0))), dims);
    default:
      throw new Error(`harness: element type ${value.elemType} not supported`);
  }
}

/**
 * Where ONNX Runtime stopped, with the error text it gave. `schema-error`: the node breaks its
 * op's schema (type constraints or type/shape inference), which ORT checks before looking for
 * kernels; `no-kernel`: no CPU kernel for the types; `load-error`/`run-error`: anything else.
 */
export type OrtVerdict =
  | { stage: 'ok'; outputs: Record<string, number[]>; dims: Record<string, readonly number[]> }
  | { stage: 'schema-error' | 'no-kernel' | 'load-error' | 'run-error'; message: string };

export function classifyLoadError(message: string): 'schema-error' | 'no-kernel' | 'load-error' {
  // ORT's own Cast insertion (nodes named InsertedPrecisionFreeCast_*) broke the graph: not the model's fault.
  if (message.includes('InsertedPrecisionFreeCast')) return 'load-error';
  if (/Type Error: Type .* of input parameter .* is invalid|does not match expected type|\[ShapeInferenceError\]/.test(message)) {
    return 'schema-error';
  }
  if (/Could not find an implementation|NOT_IMPLEMENTED/.test(message)) return 'no-kernel';
  return 'load-error';
}

function numbersOf(t: ort.Tensor): number[] {
  if (t.type === 'float16') return Array.from(fromFloat16Array(t.data as Uint16Array));
  if (t.type === 'int64' || t.type === 'uint64') return Array.from(t.data as BigInt64Array, (v) => Number(v));
  if (t.type === 'bool') return Array.from(t.data as Uint8Array);
  return Array.from(t.data as ArrayLike<number>);
}

export interface RunOptions {
  /** Write the model ORT actually runs (after its own Cast insertion) here. */
  optimizedModelPath?: string;
}

/** Load and run a model in ORT's CPU provider with all graph optimizations off. */
export async function runInOrt(bytes: Uint8Array, feeds: readonly TinyValue[], options: RunOptions = {}): Promise<OrtVerdict> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 4,
      ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    });
  } catch (err) {
    const message = String((err as Error).message ?? err);
    return { stage: classifyLoadError(message), message };
  }
  try {
    const result = await session.run(Object.fromEntries(feeds.map((f) => [f.name, ortTensor(f)])));
    const outputs: Record<string, number[]> = {};
    const dims: Record<string, readonly number[]> = {};
    for (const [name, t] of Object.entries(result)) {
      outputs[name] = numbersOf(t);
      dims[name] = t.dims;
    }
    return { stage: 'ok', outputs, dims };
  } catch (err) {
    return { stage: 'run-error', message: String((err as Error).message ?? err) };
  } finally {
    await session.release();
  }
}

export function buildAndRun(model: TinyModel, options: RunOptions = {}): Promise<OrtVerdict> {
  return runInOrt(buildModel(model), model.inputs, options);
}
