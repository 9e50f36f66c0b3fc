/** Walking a model's constant tensors: initializers and tensor-valued attributes, in every graph and function. */
import { AttrType } from './attribute.js';
import type { Model } from './model.js';
import type { Tensor } from './tensor.js';

export interface NamedTensor {
  /** The initializer's name, or the first output of the node holding the attribute. */
  name: string;
  tensor: Tensor;
}

export function constantTensors(model: Model): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const graph of model.allGraphs()) {
    for (const v of graph.initializers.values()) if (v.initializer) out.push({ name: v.name, tensor: v.initializer });
    for (const node of graph.nodes) {
      for (const attr of node.attributes.values()) {
        const name = node.outputs[0]?.name ?? node.name ?? attr.name;
        if (attr.type === AttrType.TENSOR && attr.value) out.push({ name, tensor: attr.value as Tensor });
        else if (attr.type === AttrType.TENSORS) for (const tensor of attr.value as Tensor[]) out.push({ name, tensor });
      }
    }
  }
  return out;
}
