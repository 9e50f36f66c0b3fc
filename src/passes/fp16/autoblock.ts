/**
 * --auto-block: keep float32 the nodes that would overflow float16, judged by
 * how large each float activation of the float32 model gets. A value past the
 * threshold keeps both its producer and every node reading it float32, so it
 * never exists as float16; the nodes after it go back to float16 once values
 * are small again (T5's feed-forward and residual sums are the classic case).
 *
 * This is pure IR work over measured statistics: the measuring (running the
 * float32 model in ONNX Runtime, with the values of `valuesToMeasure` exposed
 * as outputs) is the caller's, see src/runtime/activations.ts
 * (measureForAutoBlock). Graph inputs are measured from the input data, by
 * `graphInputStats`.
 */
import { DataType } from '../../ir/dtypes.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { inferTypes, orderedNodes, tensorElem, type TypeInference } from '../elem-types.js';
import { float32Data } from './sources.js';
import { DEFAULT_AUTO_BLOCK_THRESHOLD, type ActivationStats, type AutoBlockOptions } from './options.js';

export type { ActivationStats } from './options.js';

export interface AutoBlockFindings {
  nodes: Set<Node>;
  /** Why each node is kept: the value it makes or reads and that value's largest |x|. */
  details: Map<Node, string>;
  measured: number;
  overflowing: { value: string; maxAbs: number }[];
  threshold: number;
}

const isFloat32 = (types: TypeInference, v: Value): boolean => tensorElem(types.typeOf(v)) === DataType.FLOAT;

function float32NodeOutputs(model: Model, types: TypeInference): Value[] {
  const values: Value[] = [];
  for (const node of orderedNodes(model.graph)) for (const v of node.outputs) if (v && isFloat32(types, v)) values.push(v);
  return values;
}

/**
 * The values auto-block needs measured in ONNX Runtime: the float32 node
 * outputs of the main graph, in topological order.
 */
export function valuesToMeasure(model: Model, types: TypeInference = inferTypes(model)): string[] {
  return float32NodeOutputs(model, types).map((v) => v.name);
}

function maxAbsOf(tensor: Tensor): ActivationStats {
  const data = float32Data(tensor);
  let m = 0;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m && a !== Infinity) m = a;
    if (!Number.isFinite(a)) nonFinite++;
  }
  return { maxAbs: m, nonFinite };
}

/**
 * Statistics of the float32 graph inputs of the main graph, from the float32
 * tensors the input sets give them (over every set).
 */
export function graphInputStats(
  model: Model,
  inputSets: readonly ReadonlyMap<string, Tensor>[],
  types: TypeInference = inferTypes(model),
): Map<string, ActivationStats> {
  const stats = new Map<string, ActivationStats>();
  for (const v of model.graph.inputs) {
    if (!isFloat32(types, v)) continue;
    for (const set of inputSets) {
      const t = set.get(v.name);
      if (!t || t.dataType !== DataType.FLOAT) continue;
      const s = maxAbsOf(t);
      const before = stats.get(v.name);
      stats.set(v.name, before ? { maxAbs: Math.max(before.maxAbs, s.maxAbs), nonFinite: before.nonFinite + s.nonFinite } : s);
    }
  }
  return stats;
}

/** Picks the nodes to keep float32 from the measured activations of the main graph. */
export function findOverflowingNodes(model: Model, types: TypeInference, options: AutoBlockOptions): AutoBlockFindings {
  const threshold = options.threshold ?? DEFAULT_AUTO_BLOCK_THRESHOLD;
  const activations = options.activations;
  const graph = model.graph;

  // Graph inputs that were not given any float32 data count as 0.
  const measured = new Map<Value, number>();
  for (const v of graph.inputs) if (isFloat32(types, v)) measured.set(v, activations.get(v.name)?.maxAbs ?? 0);
  for (const v of float32NodeOutputs(model, types)) {
    const s = activations.get(v.name);
    if (s) measured.set(v, s.maxAbs);
  }

  const nodes = new Set<Node>();
  const details = new Map<Node, string>();
  const overflowing: { value: string; maxAbs: number }[] = [];
  const keep = (node: Node, why: string): void => {
    nodes.add(node);
    if (!details.has(node)) details.set(node, why);
  };
  for (const [v, maxAbs] of measured) {
    if (!(maxAbs > threshold)) continue;
    overflowing.push({ value: v.name, maxAbs });
    const why = `'${v.name}' reaches |x| = ${maxAbs.toPrecision(6)} > ${threshold}`;
    const producer = v.producer();
    if (producer) keep(producer, why);
    for (const use of v.uses()) keep(use.node, why);
  }
  overflowing.sort((a, b) => b.maxAbs - a.maxAbs);
  return { nodes, details, measured: measured.size, overflowing, threshold };
}
