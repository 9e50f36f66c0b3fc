/**
 * Values whose float32 type the pass can change at the source: constant data
 * (initializers, Constant and ConstantOfShape values) and operators whose
 * output type is an attribute (Cast to, dtype, output_datatype, Optional's type).
 */
import { Attribute, AttrType, type SparseTensor } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { float32ToFloat16Clamped } from '../../ir/float16.js';
import type { Float32Reader } from '../float32-reader.js';
import type { Node } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import type { TypeInfo } from '../../ir/types.js';
import { containsElemType, mapElemType } from '../elem-types.js';

export type SourceKind = 'constant' | 'cast' | 'constant-of-shape' | 'dtype' | 'optional-type';

export interface AttributeSource {
  kind: SourceKind;
  /** The attribute that sets the output type (for 'dtype'). */
  attr?: string;
}

const DTYPE_FROM_INPUT = new Set(['EyeLike', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli']);
const DTYPE_DEFAULT_FLOAT = new Map([
  ['RandomNormal', 'dtype'],
  ['RandomUniform', 'dtype'],
  ['SequenceEmpty', 'dtype'],
  ['HannWindow', 'output_datatype'],
  ['HammingWindow', 'output_datatype'],
  ['BlackmanWindow', 'output_datatype'],
  ['MelWeightMatrix', 'output_datatype'],
]);

function intAttr(node: Node, name: string): number | undefined {
  const a = node.attr(name);
  return a && (typeof a.value === 'number' || typeof a.value === 'bigint') ? Number(a.value) : undefined;
}

/**
 * How an (ONNX-domain) node makes a float32 output from its attributes rather
 * than from its inputs; undefined when its output type follows its inputs.
 * `outputType` is the node's original output type.
 */
export function attributeSource(node: Node, outputType: TypeInfo | undefined): AttributeSource | undefined {
  if (!node.isOnnxOp()) return undefined;
  if (!containsElemType(outputType, DataType.FLOAT)) return undefined;
  switch (node.opType) {
    case 'Constant':
      return { kind: 'constant' };
    case 'Cast':
      return intAttr(node, 'to') === DataType.FLOAT ? { kind: 'cast' } : undefined;
    case 'ConstantOfShape':
      return { kind: 'constant-of-shape' };
    case 'Optional':
      return node.attr('type') ? { kind: 'optional-type' } : undefined;
  }
  if (DTYPE_FROM_INPUT.has(node.opType)) return intAttr(node, 'dtype') === DataType.FLOAT ? { kind: 'dtype', attr: 'dtype' } : undefined;
  const attr = DTYPE_DEFAULT_FLOAT.get(node.opType);
  if (attr) {
    const t: DataType | undefined = intAttr(node, attr);
    return t === undefined || t === DataType.FLOAT ? { kind: 'dtype', attr } : undefined;
  }
  return undefined;
}

export interface ConversionCounts {
  clamped: number;
  flushed: number;
}

/** A float32 tensor's data as a Float32Array (a view when possible, else a copy). */
export function float32Data(tensor: Tensor): Float32Array {
  return tensor.toTypedArray() as Float32Array;
}

/** Converts a float32 tensor's data to float16 in place; returns what was clamped and flushed. */
export function convertTensorToFloat16(tensor: Tensor, flushSubnormals: boolean, reader?: Float32Reader): ConversionCounts {
  const src = reader ? reader.read(tensor) : float32Data(tensor);
  const result = float32ToFloat16Clamped(src, { flushSubnormals }, inPlaceDestination(tensor, src.length));
  tensor.setData(DataType.FLOAT16, result.data);
  return { clamped: result.clamped, flushed: result.flushed };
}

/** Float16's smallest subnormal, 2^-24, as bits. */
const FLOAT16_MIN_SUBNORMAL_BITS = 0x0001;

/**
 * Converts the scales of quantized weights (blocklist.ts FLOAT16_QUANTIZED_WEIGHT_OPS) to float16: rounded like
 * any tensor, never flushed, and a non-zero scale that float16 would round to zero becomes the smallest subnormal
 * with its sign (a zero scale erases its block). `lifted` counts those.
 */
export function convertScaleTensorToFloat16(tensor: Tensor, reader?: Float32Reader): ConversionCounts & { lifted: number } {
  // A copy: the scales are small, and the source values are read again after the conversion.
  const src = (reader ? reader.read(tensor) : float32Data(tensor)).slice();
  const result = float32ToFloat16Clamped(src, { flushSubnormals: false });
  let lifted = 0;
  for (let i = 0; i < src.length; i++) {
    if ((result.data[i]! & 0x7fff) === 0 && src[i] !== 0 && !Number.isNaN(src[i])) {
      result.data[i] = (result.data[i]! & 0x8000) | FLOAT16_MIN_SUBNORMAL_BITS;
      lifted++;
    }
  }
  tensor.setData(DataType.FLOAT16, result.data);
  return { clamped: result.clamped, flushed: 0, lifted };
}

/**
 * Where float16 data can go without fresh memory (which costs as much as the
 * conversion): the first half of the tensor's own float32 bytes, when the
 * model owns them. Converting front to back in place is safe: element i is
 * written at byte 2i, over float32 elements already read.
 */
function inPlaceDestination(tensor: Tensor, count: number): Uint16Array | undefined {
  const bytes = tensor.writableBytes();
  if (!bytes || bytes.byteLength < count * 4) return undefined;
  const start = bytes.byteOffset + (bytes.byteOffset & 1);
  return new Uint16Array(bytes.buffer, start, count);
}

/** A new tensor holding float32 data converted to float16. */
export function float16TensorFrom(
  name: string | undefined,
  dims: Tensor['dims'],
  data: Float32Array,
  flushSubnormals: boolean,
): { tensor: Tensor } & ConversionCounts {
  const result = float32ToFloat16Clamped(data, { flushSubnormals });
  return { tensor: Tensor.fromArray(name, DataType.FLOAT16, dims, result.data), clamped: result.clamped, flushed: result.flushed };
}

/** The float32 data a Constant node holds, whatever attribute holds it; undefined for sparse or non-float constants. */
export function constantFloat32Data(node: Node): { data: Float32Array; dims: Tensor['dims'] } | undefined {
  const value = node.attr('value');
  if (value) {
    const t = value.value as Tensor | undefined;
    return t && t.dataType === DataType.FLOAT ? { data: float32Data(t), dims: t.dims } : undefined;
  }
  const f = node.attr('value_float');
  if (f) return { data: new Float32Array([f.asNumber()]), dims: [] };
  const fs = node.attr('value_floats');
  if (fs) {
    const list = fs.value as Float32Array;
    return { data: Float32Array.from(list), dims: [list.length] };
  }
  return undefined;
}

/**
 * Rewrites a Constant's float32 value as float16 (value_float/value_floats
 * become a `value` tensor). Returns the counts, or undefined when there was
 * nothing to convert.
 */
export function convertConstantNode(node: Node, flushSubnormals: boolean): ConversionCounts | undefined {
  const value = node.attr('value');
  if (value) {
    const t = value.value as Tensor | undefined;
    return t && t.dataType === DataType.FLOAT ? convertTensorToFloat16(t, flushSubnormals) : undefined;
  }
  const sparse = node.attr('sparse_value');
  if (sparse) {
    const values = (sparse.value as SparseTensor | undefined)?.values;
    return values && values.dataType === DataType.FLOAT ? convertTensorToFloat16(values, flushSubnormals) : undefined;
  }
  const held = constantFloat32Data(node);
  if (!held) return undefined;
  const made = float16TensorFrom(undefined, held.dims, held.data, flushSubnormals);
  node.attributes.delete('value_float');
  node.attributes.delete('value_floats');
  node.setAttr(Attribute.tensor('value', made.tensor));
  return { clamped: made.clamped, flushed: made.flushed };
}

/** Makes an attribute-typed source produce float16. */
export function convertAttributeSource(node: Node, source: AttributeSource, flushSubnormals: boolean): ConversionCounts | undefined {
  switch (source.kind) {
    case 'constant':
      return convertConstantNode(node, flushSubnormals);
    case 'cast':
      node.setAttr(Attribute.int('to', DataType.FLOAT16));
      return undefined;
    case 'constant-of-shape': {
      const t = node.attr('value')?.value as Tensor | undefined;
      if (t) return convertTensorToFloat16(t, flushSubnormals);
      // The default value is a float32 zero.
      node.setAttr(Attribute.tensor('value', Tensor.fromArray(undefined, DataType.FLOAT16, [1], new Uint16Array(1))));
      return undefined;
    }
    case 'dtype':
      node.setAttr(Attribute.int(source.attr!, DataType.FLOAT16));
      return undefined;
    case 'optional-type': {
      const a = node.attr('type')!;
      node.setAttr(new Attribute(a.name, AttrType.TYPE_PROTO, mapElemType(a.value as TypeInfo, DataType.FLOAT, DataType.FLOAT16), a.extra));
      return undefined;
    }
  }
}
