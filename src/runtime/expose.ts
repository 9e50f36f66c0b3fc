/**
 * Exposing intermediate values: ONNX Runtime returns graph outputs only, so a session that must return a value
 * computed inside the model runs a copy of the model that lists it as a graph output too.
 */
import type { Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { modelToBytes } from '../io/bytes.js';
import { usageError } from '../errors.js';

/**
 * The values of the main graph named (node outputs and graph inputs) that are not graph outputs already, in the
 * order given, each once. Throws E_USAGE for a name the main graph does not have.
 */
export function valuesToExpose(model: Model, names: readonly string[]): Value[] {
  const graph = model.graph;
  const byName = new Map<string, Value>();
  for (const v of graph.inputs) byName.set(v.name, v);
  for (const node of graph.nodes) for (const v of node.outputs) if (v) byName.set(v.name, v);
  const present = new Set(graph.outputs);
  const out: Value[] = [];
  for (const name of names) {
    const value = byName.get(name);
    if (!value) throw usageError(`cannot expose '${name}': the main graph has no input or node output of that name`);
    if (present.has(value)) continue;
    present.add(value);
    out.push(value);
  }
  return out;
}

/**
 * The model's bytes with the named values added after its graph outputs (see valuesToExpose). The model itself
 * is left as it was. External data is inlined (modelToBytes).
 */
export function modelBytesExposing(model: Model, names: readonly string[]): Uint8Array {
  const extra = valuesToExpose(model, names);
  if (extra.length === 0) return modelToBytes(model);
  const graph = model.graph;
  const outputs = graph.outputs;
  try {
    graph.outputs = [...outputs, ...extra];
    return modelToBytes(model);
  } finally {
    graph.outputs = outputs;
  }
}
