/** Finding the float32 constants that feed nodes (the weights), wherever the exporter put them. */
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';

/** A float constant feeding a node: an initializer or a Constant node, possibly behind Identity nodes. */
export interface ConstantWeight {
  tensor: Tensor;
  /** The initializer value or the Constant node's output. */
  origin: Value;
  /** The graph holding the origin: quantized tensors go there, visible to every consumer. */
  owner: Graph;
  /** The value the consumer reads (origin, or the end of an Identity chain). */
  read: Value;
}

/**
 * The float32 constant `value` holds: an initializer (of the main graph or
 * a subgraph; `owners` maps each to its graph), or a Constant node's
 * tensor, looking through Identity nodes. An initializer that is also a
 * graph input can be fed at run time, so it is no constant (except in IR < 4,
 * where every initializer is listed as an input).
 */
export function findConstant(model: Model, owners: ReadonlyMap<Value, Graph>, value: Value | null): ConstantWeight | undefined {
  if (!value) return undefined;
  const irVersion = Number(model.irVersion ?? 0);
  let v = value;
  for (let depth = 0; depth < 64; depth++) {
    if (v.initializer) {
      // A consumer can only hold a Value that is in its scope, so the graph holding it is the right one.
      const owner = owners.get(v);
      if (!owner) return undefined;
      if (owner.inputs.includes(v) && irVersion >= 4) return undefined;
      return floatWeight(v.initializer, v, owner, value);
    }
    const producer = v.producer();
    if (!producer || !producer.isOnnxOp() || !producer.graph) return undefined;
    if (producer.opType === 'Constant') {
      const attr = producer.attr('value');
      if (!(attr?.value instanceof Tensor)) return undefined;
      return floatWeight(attr.value, v, producer.graph, value);
    }
    if (producer.opType !== 'Identity') return undefined;
    const next = producer.input(0);
    if (!next) return undefined;
    v = next;
  }
  return undefined;
}

function floatWeight(tensor: Tensor, origin: Value, owner: Graph, read: Value): ConstantWeight | undefined {
  if (tensor.dataType !== DataType.FLOAT) return undefined;
  return { tensor, origin, owner, read };
}

/** The graph holding each initializer, over the main graph and its subgraphs. */
export function initializerOwners(model: Model): Map<Value, Graph> {
  const owners = new Map<Value, Graph>();
  for (const g of model.graph.allGraphs()) for (const v of g.initializers.values()) owners.set(v, g);
  return owners;
}
