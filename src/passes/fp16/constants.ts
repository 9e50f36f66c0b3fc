/**
 * Constants float16 cannot hold, found from the model alone (no inputs): the
 * nodes that compute from them stay float32, so the FP16 default never turns
 * a working model into a broken one. Three cases:
 *
 * - Range: a float32 constant with finite values beyond +-65504 (a
 *   BatchNormalization running variance of 9.8e7, a Div by 1e6) would be
 *   clamped to 65504, which changes what the node computes. Every node that
 *   computes from it stays float32 and reads the exact value. Nodes that only
 *   move or select values (Reshape, Transpose, Concat, Gather, Where, Max,
 *   Cast, ...) stay float32 too, and the rule follows their outputs to the
 *   nodes that compute from them. Values of 1e30 and more are float32's
 *   stand-ins for infinity (exporters write finfo(float32).min into attention
 *   masks), and so is a single-valued fill that only Where, Max, Min or Clip
 *   read: float16's own largest value, 65504, keeps that meaning, so those
 *   are clamped, and the summary says so.
 * - Precision that matters: a divisor (Div's B, Reciprocal, Log, Pow) whose
 *   float16 value is zero or off by more than 2^-9 relative (normal float16
 *   values are off by at most 2^-11), and a BatchNormalization whose
 *   multiplier scale / sqrt(var + epsilon) moves by more than that.
 * - Epsilons: an Add, Max or Clip(min) of a constant that becomes 0 in float16
 *   (1e-12 does; anything below 2^-25, or below 2^-14 with flushSubnormals),
 *   whose result reaches a division, Reciprocal, Log or negative Pow through
 *   Sqrt/Abs: that path stays float32, so the epsilon still keeps it away from
 *   zero (a decomposed LayerNormalization over a row of zeros computes 0 / 0
 *   in float16 otherwise).
 *
 * What a kept node makes is still cast to float16 for the nodes after it;
 * whether those values fit can only be measured (--auto-block --inputs).
 */
import { DataType } from '../../ir/dtypes.js';
import { fromFloat16Bits, toFloat16Bits } from '../../ir/float16.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { tensorElem, type TypeInference } from '../elem-types.js';
import { constantFloat32Data, float32Data } from './sources.js';

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Values this large are stand-ins for infinity, not magnitudes (their square overflows float32). */
export const INFINITY_STAND_IN = 1e30;
/** Relative change past which a divisor's or multiplier's float16 value counts as wrong: 4x a normal float16 rounding. */
export const RELATIVE_TOLERANCE = 2 ** -9;
const FLOAT16_MIN_NORMAL = 2 ** -14;

export interface UnsafeConstantFindings {
  /** Nodes to keep float32, with the reason shown to users. */
  nodes: Map<Node, string>;
  /** The nodes kept because a constant passes +-65504: their outputs may still be large (only measuring can tell). */
  range: Set<Node>;
  /** Constants beyond +-65504 that stand in for infinity and are clamped on purpose, by name. */
  standIns: Set<string>;
}

const OUTPUT_FOLLOWS_INPUT = new Set([
  'Identity',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Expand',
  'Tile',
  'Concat',
  'Split',
  'Slice',
  'Gather',
  'GatherElements',
  'GatherND',
  'Pad',
  'DepthToSpace',
  'SpaceToDepth',
  'Where',
  'Max',
  'Min',
  'Clip',
  'ReduceMax',
  'ReduceMin',
  'Neg',
  'Abs',
  'Relu',
  'Cast',
  'CastLike',
]);

/** Ops that pick one of their inputs' values (or bound them): a single-valued fill there means "as far as it goes". */
const SELECTS = new Set(['Where', 'Max', 'Min', 'Clip']);

/** Inputs whose relative precision carries into the result: (op, input index). */
function isDivisorRole(node: Node, index: number): boolean {
  switch (node.opType) {
    case 'Div':
      return index === 1;
    case 'Reciprocal':
    case 'Log':
      return index === 0;
    case 'Pow':
      return true;
    default:
      return false;
  }
}

/** The value a float32 number is stored as in float16 (clamped to +-65504, flushed when asked). */
export function storedAsFloat16(x: number, flushSubnormals: boolean): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) > FLOAT16_MAX) return Math.sign(x) * FLOAT16_MAX;
  if (flushSubnormals && Math.abs(x) < FLOAT16_MIN_NORMAL) return 0;
  return fromFloat16Bits(toFloat16Bits(x));
}

interface ConstantStats {
  /** Finite elements beyond +-65504, and the largest |x| among them. */
  beyond: number;
  largest: number;
  /** Every element beyond +-65504 is at least INFINITY_STAND_IN. */
  allStandIns: boolean;
  singleValued: boolean;
  /** Some non-zero element lies below float16's normal range (2^-14): only those lose more than 2^-11 relative. */
  belowNormal: boolean;
  /** Every finite element lies below float16's normal range (an epsilon-sized constant). */
  allBelowNormal: boolean;
}

/** Three significant digits; exponent form for very large and very small values (9.8e+7, 1e-12). */
export function fmt(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(3)));
}

const named = (node: Node): string => `${node.opType} '${node.name || node.output(0).name}'`;

export function findUnsafeConstants(model: Model, types: TypeInference, graphs: readonly Graph[], flushSubnormals: boolean): UnsafeConstantFindings {
  const findings: UnsafeConstantFindings = { nodes: new Map(), range: new Set(), standIns: new Set() };
  const inScope = new Set(graphs);
  const mainInputs = new Set(model.graph.inputs);
  const statsCache = new Map<Value, ConstantStats | null>();

  const keep = (node: Node, why: string, range = false): void => {
    if (!node.graph || !inScope.has(node.graph)) return;
    if (!findings.nodes.has(node)) findings.nodes.set(node, why);
    if (range) findings.range.add(node);
  };

  const stats = (v: Value): ConstantStats | undefined => {
    const cached = statsCache.get(v);
    if (cached !== undefined) return cached ?? undefined;
    const bytes = constantBytes(v, mainInputs);
    const s = bytes ? measure(bytes) : null;
    statsCache.set(v, s);
    return s ?? undefined;
  };
  /**
   * The values of a constant with elements below float16's normal range (only those move by more than 2^-11
   * relative: a tiny divisor, variance or epsilon), or undefined when `v` is no such constant.
   */
  const tinyValues = (v: Value, all = false): Float32Array | undefined => {
    const s = stats(v);
    return s && (all ? s.allBelowNormal && s.belowNormal : s.belowNormal) ? constantData(v, mainInputs) : undefined;
  };

  /** Whether a reader uses the values (not only the shape or type), as float. */
  const readsValues = (node: Node, index: number): boolean => {
    if (!node.isOnnxOp()) return true;
    switch (node.opType) {
      case 'Shape':
      case 'Size':
        return false;
      case 'Cast':
      case 'CastLike':
        return index === 0 && tensorElem(types.typeOf(node.outputs[0])) === DataType.FLOAT;
      default:
        return true;
    }
  };

  // Range: constants beyond +-65504, followed through the nodes that only move or select values.
  const seen = new Set<Value>();
  const followRange = (v: Value, why: string): void => {
    if (seen.has(v)) return;
    seen.add(v);
    for (const { node, index } of v.uses()) {
      if (!readsValues(node, index)) continue;
      keep(node, why, true);
      if (node.isOnnxOp() && OUTPUT_FOLLOWS_INPUT.has(node.opType)) {
        for (const out of node.outputs) if (out && tensorElem(types.typeOf(out)) === DataType.FLOAT) followRange(out, why);
      }
    }
  };

  for (const graph of graphs) {
    for (const v of constantValues(graph)) {
      const s = stats(v);
      if (!s) continue;
      if (s.beyond > 0) {
        const onlySelected = s.singleValued && v.uses().every((u) => u.node.isOnnxOp() && SELECTS.has(u.node.opType));
        if (s.allStandIns || onlySelected) findings.standIns.add(v.name);
        else followRange(v, `'${v.name}' holds ${s.beyond} value(s) beyond +-65504 (largest ${fmt(s.largest)})`);
      }
    }
  }

  for (const graph of graphs) {
    for (const node of graph.nodes) {
      if (findings.nodes.has(node) || !node.isOnnxOp()) continue;
      if (node.opType === 'BatchNormalization') {
        const tiny = [node.input(1), node.input(4)].some((v) => v && stats(v)?.belowNormal);
        const why = tiny && batchNormProblem(node, (v) => (stats(v) ? constantData(v, mainInputs) : undefined), flushSubnormals);
        if (why) keep(node, why);
        continue;
      }
      node.inputs.forEach((v, i) => {
        if (!v || !isDivisorRole(node, i)) return;
        const data = tinyValues(v);
        const why = data && divisorProblem(v.name, data, flushSubnormals);
        if (why) keep(node, `${{ Pow: 'raises with', Log: 'takes the log of' }[node.opType] ?? 'divides by'} ${why}`);
      });
      const eps = epsilonOperand(node, (v) => tinyValues(v, true), flushSubnormals);
      if (eps) {
        const path = singularPath(node, types);
        if (path) {
          const verb = { Div: 'divides by', Reciprocal: 'inverts', Log: 'takes the log of', Pow: 'raises' }[path.at(-1)!.opType] ?? 'reads';
          const why = `'${eps.name}' (${fmt(eps.value)}) is 0 in float16, and ${named(path.at(-1)!)} ${verb} what it keeps away from 0`;
          for (const n of [node, ...path]) keep(n, why);
        }
      }
    }
  }
  return findings;
}

/** Initializers (not graph inputs of the main graph: those are fed) and Constant outputs of a graph. */
function* constantValues(graph: Graph): Generator<Value> {
  for (const v of graph.initializers.values()) if (v.initializer!.dataType === DataType.FLOAT) yield v;
  for (const node of graph.nodes) if (node.isOnnxOp('Constant')) yield node.output(0);
}

/** A constant's float32 data, a fresh array or a view (for the small constants whose values are checked one by one). */
function constantData(v: Value, mainInputs: ReadonlySet<Value>): Float32Array | undefined {
  if (v.initializer) return v.initializer.dataType === DataType.FLOAT && !mainInputs.has(v) ? float32Data(v.initializer) : undefined;
  const producer = v.producer();
  return producer?.isOnnxOp('Constant') ? constantFloat32Data(producer)?.data : undefined;
}

/** A constant's float32 data as little-endian bytes, read in place: large weights are scanned without a copy. */
function constantBytes(v: Value, mainInputs: ReadonlySet<Value>): Uint8Array | undefined {
  if (v.initializer) return v.initializer.dataType === DataType.FLOAT && !mainInputs.has(v) ? v.initializer.rawBytes() : undefined;
  const data = constantData(v, mainInputs);
  return data && new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One pass over the bytes (any alignment: raw data in a file is seldom 4-byte aligned, and copying it would cost
 * more than the scan). Byte 3 of a little-endian float32 holds the sign and the exponent's top 7 bits: between
 * 0x39 and 0x46 (|x| from 2^-13 to 2^15) a value is neither below float16's normal range nor beyond 65504, which
 * settles nearly every weight with one load and two compares.
 */
function measure(bytes: Uint8Array): ConstantStats {
  const n = bytes.length >> 2;
  let beyond = 0;
  let largest = 0;
  let allStandIns = true;
  let belowNormal = false;
  let allBelowNormal = true;
  const scratch = new Float32Array(1);
  const scratchBytes = new Uint8Array(scratch.buffer);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const hi = bytes[j + 3]! & 0x7f;
    if (hi > 0x38 && hi < 0x47) {
      allBelowNormal = false;
      continue;
    }
    const magnitude = (hi << 24) | (bytes[j + 2]! << 16) | (bytes[j + 1]! << 8) | bytes[j]!;
    // 2^-14 is 0x38800000, 65504 is 0x477fe000, infinity 0x7f800000.
    if (magnitude < 0x38800000) {
      if (magnitude !== 0) belowNormal = true;
      continue;
    }
    if (magnitude < 0x7f800000) allBelowNormal = false;
    if (magnitude > 0x477fe000 && magnitude < 0x7f800000) {
      scratchBytes.set(bytes.subarray(j, j + 4));
      const a = Math.abs(scratch[0]!);
      beyond++;
      if (a > largest) largest = a;
      if (a < INFINITY_STAND_IN) allStandIns = false;
    }
  }
  let singleValued = true;
  for (let j = 4; j + 3 < bytes.length && singleValued; j += 4) {
    if (bytes[j] !== bytes[0] || bytes[j + 1] !== bytes[1] || bytes[j + 2] !== bytes[2] || bytes[j + 3] !== bytes[3]) singleValued = false;
  }
  return { beyond, largest, allStandIns, singleValued, belowNormal, allBelowNormal };
}

/** Why a divisor's float16 value is wrong, or undefined when every element survives. */
function divisorProblem(name: string, data: Float32Array, flushSubnormals: boolean): string | undefined {
  let worst: { x: number; stored: number; error: number } | undefined;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x === 0 || !Number.isFinite(x) || Math.abs(x) > FLOAT16_MAX) continue;
    const stored = storedAsFloat16(x, flushSubnormals);
    const error = stored === 0 ? Infinity : Math.abs(stored - x) / Math.abs(x);
    if (error > RELATIVE_TOLERANCE && (!worst || error > worst.error)) worst = { x, stored, error };
  }
  if (!worst) return undefined;
  const becomes = worst.stored === 0 ? '0' : `${fmt(worst.stored)}, ${fmt(100 * worst.error)}% off`;
  return `'${name}' (${fmt(worst.x)} becomes ${becomes} in float16)`;
}

/**
 * BatchNormalization computes scale / sqrt(var + epsilon) * (x - mean) + B per channel. Whether float16's scale
 * and variance move that by more than RELATIVE_TOLERANCE of the layer's largest |scale| (x - mean is about
 * sqrt(var) in size, so the error is about |scale16 * sqrt((var + eps) / (var16 + eps)) - scale|): a tiny variance
 * with a tiny epsilon does, a dead channel's tiny scale does not.
 */
function batchNormProblem(node: Node, values: (v: Value) => Float32Array | undefined, flushSubnormals: boolean): string | undefined {
  const scaleValue = node.input(1);
  const varValue = node.input(4);
  const scale = scaleValue ? values(scaleValue) : undefined;
  const variance = varValue ? values(varValue) : undefined;
  if (!scale && !variance) return undefined;
  const epsilon = node.attr('epsilon')?.asNumber() ?? 1e-5;
  const channels = Math.max(scale?.length ?? 0, variance?.length ?? 0);
  const at = (data: Float32Array | undefined, c: number): number => (data ? data[Math.min(c, data.length - 1)]! : 1);
  let reference = 0;
  for (let c = 0; c < channels; c++) if (Number.isFinite(at(scale, c))) reference = Math.max(reference, Math.abs(at(scale, c)));
  if (reference === 0) return undefined;
  let worst: { c: number; error: number; moved: number } | undefined;
  for (let c = 0; c < channels; c++) {
    const s = at(scale, c);
    const v = at(variance, c);
    if (!Number.isFinite(s) || !Number.isFinite(v)) continue;
    const s16 = scale ? storedAsFloat16(s, flushSubnormals) : s;
    const v16 = variance ? storedAsFloat16(v, flushSubnormals) : v;
    const ratio = Math.sqrt((v + epsilon) / (v16 + epsilon));
    const error = Math.abs(s16 * ratio - s) / reference;
    if (error > RELATIVE_TOLERANCE && (!worst || error > worst.error))
      worst = { c, error, moved: s === 0 ? Infinity : Math.abs((s16 * ratio) / s - 1) };
  }
  if (!worst) return undefined;
  const v = at(variance, worst.c);
  const s = at(scale, worst.c);
  const v16 = storedAsFloat16(v, flushSubnormals);
  const detail = variance && v16 !== v ? `var ${fmt(v)} becomes ${fmt(v16)}` : `scale ${fmt(s)} becomes ${fmt(storedAsFloat16(s, flushSubnormals))}`;
  return `float16 moves its multiplier scale / sqrt(var + epsilon) by ${fmt(100 * worst.moved)}% on channel ${worst.c} (${detail}, epsilon ${fmt(epsilon)})`;
}

/** The constant operand of an Add, Max or Clip(min) that float16 turns into 0, if any. */
function epsilonOperand(
  node: Node,
  values: (v: Value) => Float32Array | undefined,
  flushSubnormals: boolean,
): { name: string; value: number } | undefined {
  const candidates = node.opType === 'Add' || node.opType === 'Max' ? node.inputs : node.opType === 'Clip' ? [node.input(1)] : [];
  for (const v of candidates) {
    if (!v) continue;
    const data = values(v);
    if (!data || data.length === 0) continue;
    let tiny = 0;
    let allVanish = true;
    for (let i = 0; i < data.length && allVanish; i++) {
      const x = data[i]!;
      if (x === 0) continue;
      if (storedAsFloat16(x, flushSubnormals) !== 0) allVanish = false;
      else tiny = x;
    }
    if (allVanish && tiny !== 0) return { name: v.name, value: tiny };
  }
  return undefined;
}

/** Nodes from `start`'s output through Sqrt/Abs to one that is singular at 0 (Div's B, Reciprocal, Log, negative Pow). */
function singularPath(start: Node, types: TypeInference): Node[] | undefined {
  const walk = (v: Value, depth: number): Node[] | undefined => {
    if (depth > 3 || tensorElem(types.typeOf(v)) !== DataType.FLOAT) return undefined;
    for (const { node, index } of v.uses()) {
      if (!node.isOnnxOp()) continue;
      const op = node.opType;
      if ((op === 'Div' && index === 1) || op === 'Reciprocal' || op === 'Log') return [node];
      if (op === 'Pow' && index === 0) {
        const exponent = powExponent(node);
        if (exponent !== undefined && exponent < 0) return [node];
        if (exponent !== undefined && exponent > 0 && exponent < 1) {
          const rest = walk(node.output(0), depth + 1);
          if (rest) return [node, ...rest];
        }
        continue;
      }
      if (op === 'Sqrt' || op === 'Abs') {
        const rest = walk(node.output(0), depth + 1);
        if (rest) return [node, ...rest];
      }
    }
    return undefined;
  };
  return walk(start.output(0), 0);
}

/** A Pow's exponent when it is one float32 constant. */
function powExponent(node: Node): number | undefined {
  const v = node.input(1);
  const producer = v?.producer();
  let data: Float32Array | undefined;
  if (v?.initializer) data = v.initializer.dataType === DataType.FLOAT ? float32Data(v.initializer) : undefined;
  else if (producer?.isOnnxOp('Constant')) data = constantFloat32Data(producer)?.data;
  return data && data.length === 1 ? data[0] : undefined;
}
