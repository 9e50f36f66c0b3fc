/**
 * Removes Casts that change nothing:
 * - a Cast to the type its input already has;
 * - the first of two Casts in a row when it loses nothing (float16 -> float32
 *   -> float16 becomes no Cast at all; float16 -> float32 -> int64 reads the
 *   float16 directly), because a value that survives a cast exactly casts on
 *   the same way;
 * - a second Cast of the same value to the same type.
 * A Cast whose output is a main-graph output stays (the name is part of the
 * model's interface); one that ends a subgraph or function body goes, the
 * body then ending at the Cast's input (those outputs are matched by position).
 */
import { AttrType } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { inferTypes, orderedNodes, tensorElem, type ElemType } from '../elem-types.js';
import { graphSorted } from '../conditions.js';
import { PassBase } from '../pass.js';

const D = DataType;

/** Target types each type converts to exactly (every value keeps its value). */
const EXACT: ReadonlyMap<DataType, ReadonlySet<DataType>> = new Map([
  [D.FLOAT16, new Set([D.FLOAT, D.DOUBLE])],
  [D.BFLOAT16, new Set([D.FLOAT, D.DOUBLE])],
  [D.FLOAT, new Set([D.DOUBLE])],
  [D.INT8, new Set([D.INT16, D.INT32, D.INT64, D.FLOAT16, D.FLOAT, D.DOUBLE])],
  [D.UINT8, new Set([D.UINT16, D.INT16, D.UINT32, D.INT32, D.UINT64, D.INT64, D.FLOAT16, D.FLOAT, D.DOUBLE])],
  [D.INT16, new Set([D.INT32, D.INT64, D.FLOAT, D.DOUBLE])],
  [D.UINT16, new Set([D.UINT32, D.INT32, D.UINT64, D.INT64, D.FLOAT, D.DOUBLE])],
  [D.INT32, new Set([D.INT64, D.DOUBLE])],
  [D.UINT32, new Set([D.UINT64, D.INT64, D.DOUBLE])],
  [D.BOOL, new Set([D.INT8, D.UINT8, D.INT16, D.UINT16, D.INT32, D.UINT32, D.INT64, D.UINT64, D.FLOAT16, D.BFLOAT16, D.FLOAT, D.DOUBLE])],
]);

export function castIsExact(from: DataType, to: DataType): boolean {
  return from === to || (EXACT.get(from)?.has(to) ?? false);
}

function isCast(node: Node | null | undefined): node is Node {
  return !!node && node.isOnnxOp('Cast');
}

/** The `to` of a Cast (opset 6+ int form), or undefined. */
function castTarget(node: Node): DataType | undefined {
  const a = node.attr('to');
  return a && a.type === AttrType.INT ? a.asNumber() : undefined;
}

export interface CastCleanupOptions {
  /** The element type of a value as the graph now stands. */
  typeOf: (value: Value) => ElemType;
  /** Told about a value that now stands for another (the removed Cast's output -> its replacement). */
  onReplace?: (removed: Value, replacement: Value) => void;
}

/** Where each value is a graph output, over the whole model. */
function outputGraphs(model: Model): Map<Value, Graph[]> {
  const map = new Map<Value, Graph[]>();
  for (const g of model.allGraphs()) {
    for (const v of g.outputs) {
      const list = map.get(v);
      if (!list) map.set(v, [g]);
      else if (!list.includes(g)) list.push(g);
    }
  }
  return map;
}

/** Cleans the Casts of the given graphs of the model; returns how many Casts were removed. */
export function removeRedundantCasts(model: Model, graphs: Iterable<Graph>, options: CastCleanupOptions): number {
  const outputsIn = outputGraphs(model);
  let removed = 0;
  const touched = new Set<Node>();

  /** Whether the Cast's output can stand replaced by `by`, rewriting its own graph's output list if need be. */
  const replaceable = (graph: Graph, out: Value, by: Value): boolean => {
    const where = outputsIn.get(out);
    if (!where) return true;
    if (where.length !== 1 || where[0] !== graph || graph === model.graph) return false;
    return by.producer()?.graph === graph;
  };
  const drop = (graph: Graph, node: Node, replacement: Value): boolean => {
    const out = node.output(0);
    if (!replaceable(graph, out, replacement)) return false;
    const isOutput = outputsIn.has(out);
    out.replaceAllUsesWith(replacement);
    if (isOutput) {
      outputsIn.delete(out);
      const list = outputsIn.get(replacement) ?? [];
      if (!list.includes(graph)) list.push(graph);
      outputsIn.set(replacement, list);
    }
    options.onReplace?.(out, replacement);
    graph.remove(node);
    removed++;
    return true;
  };
  for (const graph of graphs) {
    const seen = new Map<Value, Map<DataType, Node>>();
    for (const node of orderedNodes(graph)) {
      if (!isCast(node) || !graph.has(node)) continue;
      const to = castTarget(node);
      const out = node.outputs[0];
      let x = node.input(0);
      if (to === undefined || !out || !x) continue;
      // Read through earlier Casts that lost nothing.
      for (let p = x.producer(); isCast(p); p = x.producer()) {
        const y = p.input(0);
        const from = y ? tensorElem(options.typeOf(y)) : undefined;
        const mid = castTarget(p);
        if (!y || from === undefined || mid === undefined || !castIsExact(from, mid)) break;
        node.setInput(0, y);
        touched.add(p);
        x = y;
      }
      if (tensorElem(options.typeOf(x)) === to && drop(graph, node, x)) continue;
      let byType = seen.get(x);
      if (!byType) seen.set(x, (byType = new Map<DataType, Node>()));
      const twin = byType.get(to);
      if (!twin || !graph.has(twin)) byType.set(to, node);
      else if (!drop(graph, node, twin.output(0)) && drop(graph, twin, out)) byType.set(to, node);
    }
  }
  // Casts that lost their last reader above.
  for (let again = true; again;) {
    again = false;
    for (const p of touched) {
      const g = p.graph;
      const out = p.outputs[0];
      if (!g || !out || out.useCount || outputsIn.has(out)) continue;
      const upstream = p.input(0)?.producer();
      g.remove(p);
      touched.delete(p);
      removed++;
      if (isCast(upstream) && upstream.graph) {
        touched.add(upstream);
        again = true;
      }
    }
  }
  return removed;
}

/** `cleanupCasts` as a pass. */
export class CastCleanupPass extends PassBase<{ removed: number }> {
  readonly name = 'cleanup-casts';
  override readonly requires = [graphSorted];
  override readonly ensures = [graphSorted];

  protected call(model: Model) {
    const summary = cleanupCasts(model);
    return { modified: summary.removed > 0, summary };
  }
}

/** Stand-alone pass: infers element types, then cleans every graph of the model. */
export function cleanupCasts(model: Model): { removed: number } {
  const types = inferTypes(model);
  const removed = removeRedundantCasts(model, [...model.allGraphs()], { typeOf: (v) => types.typeOf(v) });
  return { removed };
}
