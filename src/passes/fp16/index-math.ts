/**
 * Float math on integers: nodes whose float inputs all come from integers
 * (Cast of an int/bool value), from tiny constants, or from other such nodes,
 * and whose float results only go back to integers (Cast to an integer type,
 * comparisons, ArgMax, Shape). Exporters write index computations this way
 * (T5's relative-position buckets: Cast -> Div -> Log -> Div -> Mul -> Cast to
 * int64). In float16 they save nothing but can move a result across an
 * integer boundary; kept float32 they need no Cast at all, since their inputs
 * are Casts and constants that then stay float32 too.
 */
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { containsElemType, orderedNodes, tensorElem, type TypeInference } from '../elem-types.js';

/** Constants up to this many elements count as parameters of index math, not data. */
const SMALL_CONSTANT = 16;

/** Ops that turn floats into integers or booleans (for the rest of their inputs, nothing float). */
const INTEGER_SINKS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'IsNaN', 'IsInf', 'ArgMax', 'ArgMin', 'Shape', 'Size']);

export function findIndexMath(model: Model, types: TypeInference, graphs: Iterable<Graph>, excluded: (node: Node) => boolean): Set<Node> {
  const isFloat32 = (v: Value | null | undefined): boolean => !!v && containsElemType(types.typeOf(v), DataType.FLOAT);
  const isFloatType = (t: number | undefined): boolean =>
    t === DataType.FLOAT || t === DataType.FLOAT16 || t === DataType.DOUBLE || t === DataType.BFLOAT16;
  const graphOutputs = new Set<Value>();
  for (const g of model.allGraphs()) for (const v of g.outputs) graphOutputs.add(v);

  const smallConstant = (v: Value): boolean => {
    if (v.initializer) return v.initializer.elementCount <= SMALL_CONSTANT;
    const p = v.producer();
    if (!p || p.opType !== 'Constant' || !p.isOnnxOp()) return false;
    const t = p.attr('value')?.value as { elementCount?: number } | undefined;
    if (t?.elementCount !== undefined) return t.elementCount <= SMALL_CONSTANT;
    return p.attr('value_float') !== undefined;
  };
  const fromInteger = (v: Value): boolean => {
    const p = v.producer();
    if (!p || p.opType !== 'Cast' || !p.isOnnxOp()) return false;
    const from = tensorElem(types.typeOf(p.input(0)));
    return from !== undefined && !isFloatType(from);
  };
  const isSink = (node: Node): boolean => {
    if (!node.isOnnxOp()) return false;
    if (node.opType === 'Cast') {
      const to = node.attr('to')?.value;
      return typeof to === 'number' && !isFloatType(to);
    }
    return INTEGER_SINKS.has(node.opType);
  };

  const found = new Set<Node>();
  for (const graph of graphs) {
    const candidates = new Set<Node>();
    for (const node of orderedNodes(graph)) {
      if (!node.isOnnxOp() || excluded(node) || node.opType === 'Cast' || node.opType === 'Constant' || node.subgraphs().length) continue;
      if (!node.outputs.some(isFloat32)) continue;
      let fromIndices = false;
      let ok = true;
      for (const v of node.inputs) {
        if (!v || !isFloat32(v)) continue;
        if (fromInteger(v) || (v.producer() && candidates.has(v.producer()!))) fromIndices = true;
        else if (!smallConstant(v)) {
          ok = false;
          break;
        }
      }
      if (ok && fromIndices) candidates.add(node);
    }
    // Drop candidates whose float results reach anything but integers or other candidates, until none does.
    const worklist = [...candidates];
    while (worklist.length) {
      const node = worklist.pop()!;
      if (!candidates.has(node)) continue;
      const leaks = node.outputs.some(
        (v) => isFloat32(v) && (graphOutputs.has(v!) || v!.uses().some((u) => !candidates.has(u.node) && !isSink(u.node))),
      );
      if (!leaks) continue;
      candidates.delete(node);
      for (const v of node.inputs) {
        const p = v?.producer();
        if (p && candidates.has(p)) worklist.push(p);
      }
    }
    for (const n of candidates) found.add(n);
  }
  return found;
}
