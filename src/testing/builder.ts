/**
 * Building small ONNX models in code, for tests:
 *
 *   const b = new ModelBuilder({ opset: 17 });
 *   const x = b.input('x', DataType.FLOAT, ['n', 4]);
 *   const w = b.initializer('w', new Float32Array(16), [4, 4]);
 *   const y = b.node('MatMul', [x, w]);
 *   b.output(y, DataType.FLOAT, ['n', 4]);
 *   const model = b.build();
 */
import { Attribute } from '../ir/attribute.js';
import { DataType, type TypedArray } from '../ir/dtypes.js';
import { Graph, Node, Value } from '../ir/graph.js';
import { Model } from '../ir/model.js';
import { type Int64, Tensor } from '../ir/tensor.js';
import { tensorType } from '../ir/types.js';

export type AttrInput = number | bigint | string | number[] | Tensor | Graph | Attribute | Float32Array;

function toAttribute(name: string, value: AttrInput): Attribute {
  if (value instanceof Attribute) return value;
  if (value instanceof Tensor) return Attribute.tensor(name, value);
  if (value instanceof Graph) return Attribute.graph(name, value);
  if (value instanceof Float32Array) return new Attribute(name, 6, value);
  if (typeof value === 'string') return Attribute.string(name, value);
  if (typeof value === 'bigint') return Attribute.int(name, value);
  if (Array.isArray(value)) return Attribute.ints(name, value);
  return Number.isInteger(value) ? Attribute.int(name, value) : Attribute.float(name, value);
}

const ELEMENT_TYPE_OF_ARRAY = new Map<unknown, DataType>([
  [Float32Array, DataType.FLOAT],
  [Float64Array, DataType.DOUBLE],
  [Int32Array, DataType.INT32],
  [BigInt64Array, DataType.INT64],
  [Int8Array, DataType.INT8],
  [Uint8Array, DataType.UINT8],
  [Int16Array, DataType.INT16],
  [Uint16Array, DataType.UINT16],
]);

export function tensorOf(name: string | undefined, data: TypedArray, dims: readonly Int64[], dataType?: DataType): Tensor {
  const type = dataType ?? ELEMENT_TYPE_OF_ARRAY.get(data.constructor);
  if (type === undefined) throw new Error(`tensorOf: say the data type for ${data.constructor.name}`);
  return Tensor.fromArray(name, type, dims, data);
}

export class GraphBuilder {
  readonly graph: Graph;
  private counter = 0;

  constructor(name = 'graph') {
    this.graph = new Graph({ name });
  }

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, elemType: DataType, dims?: (number | string | null)[]): Value {
    const v = new Value(name, tensorType(elemType, dims));
    this.graph.inputs.push(v);
    return v;
  }

  initializer(name: string, data: TypedArray, dims: readonly Int64[], dataType?: DataType): Value {
    const v = new Value(name);
    v.initializer = tensorOf(name, data, dims, dataType);
    return this.graph.addInitializer(v);
  }

  /** Adds a node; returns its outputs (one Value when `outputs` is 1). */
  node(
    opType: string,
    inputs: (Value | null)[],
    attrs: Record<string, AttrInput> = {},
    options: { outputs?: number; domain?: string; name?: string } = {},
  ): Value {
    return this.nodeMulti(opType, inputs, attrs, { ...options, outputs: options.outputs ?? 1 })[0]!;
  }

  nodeMulti(
    opType: string,
    inputs: (Value | null)[],
    attrs: Record<string, AttrInput> = {},
    options: { outputs?: number; domain?: string; name?: string } = {},
  ): Value[] {
    const outputs = Array.from({ length: options.outputs ?? 1 }, () => new Value(this.fresh(opType.toLowerCase())));
    const node = new Node({
      opType,
      domain: options.domain,
      name: options.name ?? this.fresh(`${opType}_node`),
      inputs,
      outputs,
      attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    this.graph.append(node);
    return outputs;
  }

  output(value: Value, elemType?: DataType, dims?: (number | string | null)[]): Value {
    if (elemType !== undefined) value.type = tensorType(elemType, dims);
    this.graph.appendOutput(value);
    return value;
  }
}

export class ModelBuilder extends GraphBuilder {
  private readonly opsets: Record<string, number>;
  private readonly irVersion: number;

  constructor(options: { opset?: number; irVersion?: number; opsets?: Record<string, number> } = {}) {
    super('main');
    this.opsets = { '': options.opset ?? 17, ...(options.opsets ?? {}) };
    this.irVersion = options.irVersion ?? 8;
  }

  build(): Model {
    return new Model({
      graph: this.graph,
      irVersion: this.irVersion,
      opsetImports: Object.entries(this.opsets).map(([domain, version]) => ({ domain, version })),
      producerName: 'onnxpress-test',
    });
  }
}
