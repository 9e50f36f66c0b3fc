/** Types of values (the IR's view of TypeProto), shapes and symbolic dimensions. */
import type { DataType } from './dtypes.js';
import { dataTypeName } from './dtypes.js';

/**
 * State the serializer keeps for lossless writing (fields the IR does not
 * model, unknown fields, wire order). Opaque to the IR: copy it along, never
 * look inside.
 */
export type Preserved = { readonly __preserved: true } & Record<string, unknown>;

export interface Dim {
  value?: number | bigint;
  param?: string;
  denotation?: string;
  preserved?: Preserved;
}

export interface Shape {
  dims: Dim[];
  preserved?: Preserved;
}

export type TypeInfo =
  | { kind: 'tensor'; elemType?: DataType; shape?: Shape; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'sparse_tensor'; elemType?: DataType; shape?: Shape; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'sequence'; elem?: TypeInfo; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'optional'; elem?: TypeInfo; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'map'; keyType?: DataType; value?: TypeInfo; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'opaque'; domain?: string; name?: string; denotation?: string; preserved?: Preserved; innerPreserved?: Preserved }
  | { kind: 'none'; denotation?: string; preserved?: Preserved };

export function tensorType(elemType: DataType, dims?: readonly (number | string | null)[]): TypeInfo {
  if (!dims) return { kind: 'tensor', elemType };
  return {
    kind: 'tensor',
    elemType,
    shape: { dims: dims.map((d) => (d === null ? {} : typeof d === 'string' ? { param: d } : { value: d })) },
  };
}

/** The element type of a tensor-typed value, if known. */
export function elemTypeOf(type: TypeInfo | undefined): DataType | undefined {
  if (!type) return undefined;
  if (type.kind === 'tensor' || type.kind === 'sparse_tensor') return type.elemType;
  return undefined;
}

/** Dimensions as numbers, names or null (unknown); undefined when the rank is unknown. */
export function dimsOf(type: TypeInfo | undefined): (number | string | null)[] | undefined {
  if (!type || (type.kind !== 'tensor' && type.kind !== 'sparse_tensor') || !type.shape) return undefined;
  return type.shape.dims.map((d) => (d.value !== undefined ? Number(d.value) : d.param !== undefined ? d.param : null));
}

export function formatType(type: TypeInfo | undefined): string {
  if (!type) return '?';
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const elem = type.elemType === undefined ? '?' : dataTypeName(type.elemType);
      const dims = dimsOf(type);
      const shape = dims ? `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '';
      return `${type.kind === 'sparse_tensor' ? 'sparse ' : ''}${elem}${shape}`;
    }
    case 'sequence':
      return `seq(${formatType(type.elem)})`;
    case 'optional':
      return `optional(${formatType(type.elem)})`;
    case 'map':
      return `map(${type.keyType === undefined ? '?' : dataTypeName(type.keyType)}, ${formatType(type.value)})`;
    case 'opaque':
      return `opaque(${type.domain ?? ''}.${type.name ?? ''})`;
    default:
      return '?';
  }
}

/** A copy of the type with a new element type (the shape and the rest kept). */
export function withElemType(type: TypeInfo | undefined, elemType: DataType): TypeInfo {
  if (type && (type.kind === 'tensor' || type.kind === 'sparse_tensor')) return { ...type, elemType };
  return { kind: 'tensor', elemType };
}
