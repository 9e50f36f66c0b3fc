/**
 * Where a model computes in float16: onnxruntime-web's WebGPU provider runs such a model only on an adapter with
 * the `shader-f16` feature (without it, some kernels fail and others return zeros), so a browser session checks
 * this before it loads the model.
 */
import { DataType } from '../../ir/dtypes.js';
import type { Model } from '../../ir/model.js';
import { elemTypeOf } from '../../ir/types.js';

/** Up to `limit` places where the model holds float16 values (graph inputs/outputs, initializers, Casts to float16). */
export function float16Uses(model: Model, limit = 3): string[] {
  const uses: string[] = [];
  const add = (what: string): boolean => {
    uses.push(what);
    return uses.length >= limit;
  };
  const graph = model.graph;
  for (const v of [...graph.inputs, ...graph.outputs]) {
    if (elemTypeOf(v.type) === DataType.FLOAT16 && add(`${graph.inputs.includes(v) ? 'input' : 'output'} '${v.name}'`)) return uses;
  }
  for (const g of model.allGraphs()) {
    for (const [name, value] of g.initializers) {
      if (value.initializer?.dataType === DataType.FLOAT16 && add(`initializer '${name}'`)) return uses;
    }
    for (const node of g.nodes) {
      const to = node.opType === 'Cast' ? node.attr('to') : undefined;
      if (to && to.asNumber() === (DataType.FLOAT16 as number) && add(`Cast '${node.name}' to float16`)) return uses;
    }
  }
  return uses;
}
