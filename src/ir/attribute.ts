/** Node attributes. */
import type { Graph } from './graph.js';
import type { Int64, Tensor } from './tensor.js';
import type { Preserved, TypeInfo } from './types.js';

export enum AttrType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSOR = 11,
  SPARSE_TENSORS = 12,
  TYPE_PROTO = 13,
  TYPE_PROTOS = 14,
}

export interface SparseTensor {
  values: Tensor | undefined;
  indices: Tensor | undefined;
  dims: Int64[];
  preserved?: Preserved;
}

export type AttrValue =
  | number
  | Int64
  | Uint8Array
  | Tensor
  | Graph
  | SparseTensor
  | TypeInfo
  | Float32Array
  | Int64[]
  | Uint8Array[]
  | Tensor[]
  | Graph[]
  | SparseTensor[]
  | TypeInfo[]
  | undefined;

export class Attribute {
  constructor(
    public name: string,
    public type: AttrType,
    public value: AttrValue,
    public extra: { refAttrName?: string; docString?: string; preserved?: Preserved } = {},
  ) {}

  static float(name: string, v: number): Attribute {
    return new Attribute(name, AttrType.FLOAT, v);
  }
  static int(name: string, v: Int64): Attribute {
    return new Attribute(name, AttrType.INT, v);
  }
  static ints(name: string, v: Int64[]): Attribute {
    return new Attribute(name, AttrType.INTS, v);
  }
  static string(name: string, v: string): Attribute {
    return new Attribute(name, AttrType.STRING, new TextEncoder().encode(v));
  }
  static tensor(name: string, v: Tensor): Attribute {
    return new Attribute(name, AttrType.TENSOR, v);
  }
  static graph(name: string, v: Graph): Attribute {
    return new Attribute(name, AttrType.GRAPH, v);
  }

  asNumber(): number {
    if (typeof this.value === 'number' || typeof this.value === 'bigint') return Number(this.value);
    throw new Error(`attribute ${this.name} is not a number`);
  }

  asString(): string {
    if (this.value instanceof Uint8Array) return new TextDecoder().decode(this.value);
    throw new Error(`attribute ${this.name} is not a string`);
  }

  asInts(): number[] {
    if (Array.isArray(this.value)) return (this.value as Int64[]).map(Number);
    throw new Error(`attribute ${this.name} is not a list of ints`);
  }

  /** Subgraphs held by this attribute (GRAPH or GRAPHS), for walking nested scopes. */
  graphs(): Graph[] {
    if (this.type === AttrType.GRAPH && this.value) return [this.value as Graph];
    if (this.type === AttrType.GRAPHS && Array.isArray(this.value)) return this.value as Graph[];
    return [];
  }
}
