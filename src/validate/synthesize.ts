/**
 * Inputs made up from the model's input metadata, the same for the same seed on every machine.
 * The rules (docs/validation.md, "Synthesized inputs"):
 * - symbolic dims: `dims[NAME]` when given; else batch-like names 1, sequence-like names 16, image-size-like names
 *   32, anything else (and unnamed unknown dims) 1;
 * - integer inputs that reach a Gather as its indices: uniform in [0, rows of the smallest such table);
 * - inputs whose name matches /mask/i: all ones;
 * - other integer inputs: uniform in [0, 10); bool inputs: 0 or 1 with equal odds;
 * - floating-point inputs: standard normal (Box–Muller), rounded to the input's type.
 * Each input of each sample draws from its own generator (mulberry32) seeded with FNV-1a of
 * `${seed}/${sample}/${input name}`, so adding an input or a sample leaves the others unchanged.
 */
import { AttrType } from '../ir/attribute.js';
import { DataType, dataTypeInfo, type TypedArray } from '../ir/dtypes.js';
import { float32ToBfloat16, float32ToFloat16 } from '../ir/float16.js';
import type { Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import { inputError, usageError } from '../errors.js';
import { modelInputs, typeLabel, type InputSample, type InputSet, type ModelInput } from './inputs.js';

export const DEFAULT_SEED = 0;

/** Values of symbolic dims that --dims does not set, by the kind of name. */
export const DEFAULT_DIMS = { batch: 1, sequence: 16, imageSize: 32, other: 1 } as const;

const BATCH_NAME = /batch|^(n|b|bs|N|B)$/i;
const SEQUENCE_NAME = /seq|len|token|src|tgt|source|target|time|step|position|ctx|context|past|frames|words|chars/i;
const IMAGE_SIZE_NAME = /height|width|^(h|w)$/i;

/** Small non-negative integers for integer inputs with no other rule: [0, OTHER_INT_LIMIT). */
export const OTHER_INT_LIMIT = 10;

export interface SynthesisOptions {
  /** Default 0. */
  seed?: number;
  /** Number of input sets; default 1. */
  samples?: number;
  /** Values for symbolic dims, by name. */
  dims?: Readonly<Record<string, number>>;
}

/** The value a symbolic dim takes when --dims does not set it. */
export function defaultDimValue(name: string): number {
  if (BATCH_NAME.test(name)) return DEFAULT_DIMS.batch;
  if (SEQUENCE_NAME.test(name)) return DEFAULT_DIMS.sequence;
  if (IMAGE_SIZE_NAME.test(name)) return DEFAULT_DIMS.imageSize;
  return DEFAULT_DIMS.other;
}

/** The symbolic dim names the inputs use, in order of first appearance. */
export function symbolicDims(inputs: readonly ModelInput[]): string[] {
  const names = new Set<string>();
  for (const input of inputs) for (const d of input.dims ?? []) if (typeof d === 'string') names.add(d);
  return [...names];
}

export function resolveShape(input: ModelInput, dims: Readonly<Record<string, number>> = {}): number[] {
  if (input.dims === undefined) {
    throw inputError(`input '${input.name}' has no shape in the model, so it cannot be synthesized; give --inputs`);
  }
  return input.dims.map((d) => (typeof d === 'number' ? d : d === null ? DEFAULT_DIMS.other : dimValue(d, dims)));
}

/** A symbolic dim: given, else a sum of dims as exporters name one (`past_sequence_length + sequence_length`), else by its name. */
function dimValue(name: string, dims: Readonly<Record<string, number>>): number {
  const given = dims[name];
  if (given !== undefined) return given;
  const terms = name.split('+').map((t) => t.trim());
  if (terms.length > 1 && terms.every((t) => /^[A-Za-z_][\w.]*$/.test(t))) return terms.reduce((sum, t) => sum + (dims[t] ?? defaultDimValue(t)), 0);
  return defaultDimValue(name);
}

export function synthesizeInputs(model: Model, options: SynthesisOptions = {}): InputSet {
  const seed = options.seed ?? DEFAULT_SEED;
  const count = options.samples ?? 1;
  if (!Number.isSafeInteger(seed)) throw usageError(`--seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(count) || count < 1) throw usageError(`--samples must be a positive integer, got ${count}`);
  const inputs = modelInputs(model);
  const dims = options.dims ?? {};
  const known = symbolicDims(inputs);
  for (const [name, value] of Object.entries(dims)) {
    if (!known.includes(name)) {
      throw usageError(`--dims ${name}=${value}: no input of the model has a dim named '${name}' (its symbolic dims: ${known.join(', ') || 'none'})`);
    }
    if (!Number.isSafeInteger(value) || value < 0) throw usageError(`--dims ${name}=${value}: the value must be a non-negative integer`);
  }
  const plans = inputs.map((input) => ({ input, shape: resolveShape(input, dims), rule: ruleFor(model, input) }));
  const samples: InputSample[] = [];
  for (let s = 0; s < count; s++) {
    const sample: InputSample = new Map();
    for (const { input, shape, rule } of plans) {
      const random = mulberry32(fnv1a(`${seed}/${s}/${input.name}`));
      sample.set(input.name, makeTensor(input, shape, rule, random));
    }
    samples.push(sample);
  }
  const bound = known.map((n) => `${n}=${dims[n] ?? defaultDimValue(n)}`).join(', ');
  return {
    source: 'random',
    description: `synthesized from the model's inputs (seed ${seed}${bound ? `, ${bound}` : ''})`,
    seed,
    samples,
    origins: samples.map((_, i) => `synthesized sample ${i}`),
  };
}

type Rule = { kind: 'normal' } | { kind: 'ones' } | { kind: 'uniform-int'; limit: number } | { kind: 'bool' };

function ruleFor(model: Model, input: ModelInput): Rule {
  const type = input.dataType;
  if (type === undefined) throw inputError(`input '${input.name}' has no element type in the model; give --inputs`);
  if (/mask/i.test(input.name)) return { kind: 'ones' };
  const info = dataTypeInfo(type);
  if (type === DataType.BOOL) return { kind: 'bool' };
  if (info.isFloat) return { kind: 'normal' };
  if (type === DataType.STRING || !info.array || info.bits < 8) {
    throw inputError(`input '${input.name}' is ${typeLabel(type)}, which cannot be synthesized; give --inputs`);
  }
  const value = model.graph.inputs.find((v) => v.name === input.name);
  const table = value ? gatherTableSize(value) : undefined;
  return { kind: 'uniform-int', limit: table ?? OTHER_INT_LIMIT };
}

/** Ops that pass index values through unchanged (only the shape or the integer type may change). */
const INDEX_PRESERVING = new Set(['Cast', 'Identity', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Expand', 'Transpose']);

/**
 * The number of rows of the smallest table this value indexes: follows the value through shape-only ops to every
 * Gather that takes it as indices and reads the size of the Gather's axis from its data (an initializer or a
 * Constant, possibly behind Identity, Cast or DequantizeLinear). Undefined when no such Gather is found.
 */
export function gatherTableSize(value: Value): number | undefined {
  let smallest: number | undefined;
  const seen = new Set<Value>();
  const visit = (v: Value): void => {
    if (seen.has(v)) return;
    seen.add(v);
    for (const use of v.uses()) {
      const node = use.node;
      if (node.opType === 'Gather' && use.index === 1 && isDefaultDomain(node)) {
        const rows = gatherRows(node);
        if (rows !== undefined && (smallest === undefined || rows < smallest)) smallest = rows;
      } else if (INDEX_PRESERVING.has(node.opType) && use.index === 0 && isDefaultDomain(node)) {
        const out = node.outputs[0];
        if (out) visit(out);
      }
    }
  };
  visit(value);
  return smallest;
}

function isDefaultDomain(node: Node): boolean {
  return node.isOnnxOp();
}

function gatherRows(gather: Node): number | undefined {
  const data = gather.inputs[0];
  const dims = data ? constantDims(data) : undefined;
  if (!dims || dims.length === 0) return undefined;
  let axis = gather.attr('axis')?.asNumber() ?? 0;
  if (axis < 0) axis += dims.length;
  const rows = dims[axis];
  return rows !== undefined && rows > 0 ? rows : undefined;
}

const DIM_PRESERVING = new Set(['Identity', 'Cast', 'DequantizeLinear']);

function constantDims(value: Value, depth = 0): number[] | undefined {
  if (value.initializer) return value.initializer.dims.map(Number);
  const producer = value.producer();
  if (!producer || depth > 8) return undefined;
  if (producer.opType === 'Constant') {
    const attr = producer.attr('value');
    return attr && attr.type === AttrType.TENSOR ? (attr.value as Tensor).dims.map(Number) : undefined;
  }
  const source = producer.inputs[0];
  return DIM_PRESERVING.has(producer.opType) && source ? constantDims(source, depth + 1) : undefined;
}

function makeTensor(input: ModelInput, shape: number[], rule: Rule, random: () => number): Tensor {
  const type = input.dataType!;
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  switch (rule.kind) {
    case 'ones':
      values.fill(1);
      break;
    case 'bool':
      for (let i = 0; i < count; i++) values[i] = random() < 0.5 ? 0 : 1;
      break;
    case 'uniform-int':
      for (let i = 0; i < count; i++) values[i] = Math.floor(random() * rule.limit);
      break;
    case 'normal':
      for (let i = 0; i < count; i += 2) {
        // Box–Muller: two independent standard normals from two uniforms; 1 - u keeps the log argument in (0, 1].
        const radius = Math.sqrt(-2 * Math.log(1 - random()));
        const angle = 2 * Math.PI * random();
        values[i] = radius * Math.cos(angle);
        if (i + 1 < count) values[i + 1] = radius * Math.sin(angle);
      }
      break;
  }
  return Tensor.fromArray(input.name, type, shape, typedFrom(type, values));
}

function typedFrom(type: DataType, values: Float64Array): TypedArray {
  switch (type) {
    case DataType.FLOAT16:
      return float32ToFloat16(Float32Array.from(values));
    case DataType.BFLOAT16:
      return float32ToBfloat16(Float32Array.from(values));
    case DataType.INT64:
      return BigInt64Array.from(values, (v) => BigInt(v));
    case DataType.UINT64:
      return BigUint64Array.from(values, (v) => BigInt(v));
    default: {
      const Ctor = dataTypeInfo(type).array!;
      const out = new Ctor(values.length) as Exclude<TypedArray, BigInt64Array | BigUint64Array>;
      for (let i = 0; i < values.length; i++) out[i] = values[i]!;
      return out;
    }
  }
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a 32-bit-state generator of floats in [0, 1) (Tommy Ettinger's constants). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
