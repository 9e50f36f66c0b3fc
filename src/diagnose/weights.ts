/** Statistics of a node's float weights, and the reasons a node is sensitive that can be read off the graph. */
import { DataType } from '../ir/dtypes.js';
import { float16ToFloat32 } from '../ir/float16.js';
import type { Node, Value } from '../ir/graph.js';
import type { WeightStats } from './types.js';

/** max |w| beyond this many standard deviations: outlier weights (a Gaussian's 1M-element max is about 5). */
export const WEIGHT_OUTLIER_RATIO = 10;
/** max |x| beyond this many RMS at a node's input: outlier activations (they stretch a dynamic int8 range). */
export const ACTIVATION_OUTLIER_RATIO = 20;
const FLOAT16_MAX = 65504;
/** Ops whose output shifts a lot when their input shifts a little. */
const AMPLIFIERS = new Set([
  'Softmax',
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipLayerNormalization',
  'Exp',
  'Pow',
  'Div',
  'Reciprocal',
]);
/** Ops that move values without computing: the walk to a node's real consumers goes through them. */
const MOVERS = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Cast', 'Split', 'Slice', 'Concat']);

function floatData(value: Value): Float32Array | Float64Array | undefined {
  const t = value.initializer;
  if (!t) return undefined;
  if (t.dataType === DataType.FLOAT) return t.toTypedArray() as Float32Array;
  if (t.dataType === DataType.DOUBLE) return t.toTypedArray() as Float64Array;
  if (t.dataType === DataType.FLOAT16) return float16ToFloat32(t.toTypedArray() as Uint16Array);
  return undefined;
}

/** Statistics of the node's float initializers of at least 16 elements. */
export function weightStats(node: Node): WeightStats[] {
  const out: WeightStats[] = [];
  for (const input of node.inputs) {
    const data = input ? floatData(input) : undefined;
    if (!input || !data || data.length < 16) continue;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / data.length;
    const std = Math.sqrt(Math.max(0, sumSq / data.length - mean * mean));
    const absMax = Math.max(Math.abs(min), Math.abs(max));
    out.push({ name: input.name, elements: data.length, min, max, std, outlierRatio: std > 0 ? absMax / std : 0 });
  }
  return out;
}

/** The first computing consumers of a value (through ops that only move data). */
function consumers(value: Value, depth = 0): Node[] {
  const out: Node[] = [];
  for (const use of value.uses()) {
    if (MOVERS.has(use.node.opType) && depth < 4) {
      for (const o of use.node.outputs) if (o) out.push(...consumers(o, depth + 1));
    } else out.push(use.node);
  }
  return out;
}

export interface SensitivityFacts {
  node: Node;
  output: Value;
  weights: readonly WeightStats[];
  outputMaxAbs: number;
  inputOutlierRatio?: number;
}

/** Plain-language reasons the node may be sensitive; empty when none applies. */
export function sensitivityReasons(facts: SensitivityFacts): string[] {
  const reasons: string[] = [];
  for (const w of facts.weights) {
    if (w.outlierRatio > WEIGHT_OUTLIER_RATIO) {
      reasons.push(`outlier weights: max |w| of '${w.name}' is ${w.outlierRatio.toFixed(1)}x their standard deviation`);
    }
    const absMax = Math.max(Math.abs(w.min), Math.abs(w.max));
    if (absMax > FLOAT16_MAX) reasons.push(`'${w.name}' holds values beyond float16's range (max |w| ${absMax.toExponential(3)})`);
  }
  if (facts.outputMaxAbs > FLOAT16_MAX) reasons.push(`its output goes beyond float16's range (max |x| ${facts.outputMaxAbs.toExponential(3)})`);
  if (facts.inputOutlierRatio !== undefined && facts.inputOutlierRatio > ACTIVATION_OUTLIER_RATIO) {
    reasons.push(`outlier activations at its input: max |x| is ${facts.inputOutlierRatio.toFixed(0)}x their RMS`);
  }
  const amplifiers = [...new Set(consumers(facts.output).filter((n) => AMPLIFIERS.has(n.opType)))];
  if (amplifiers.length > 0) {
    const names = amplifiers.slice(0, 2).map((n) => `${n.opType}${n.name ? ` '${n.name}'` : ''}`);
    reasons.push(
      `its output feeds ${names.join(' and ')}${amplifiers.length > 2 ? ` and ${amplifiers.length - 2} more` : ''}, which amplifies small errors`,
    );
  }
  return reasons;
}
