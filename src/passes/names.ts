/** Fresh value and node names that collide with nothing already in the model (shared by the passes). */
import type { Model } from '../ir/model.js';

export class NameAllocator {
  private readonly taken = new Set<string>();

  constructor(model: Model) {
    for (const graph of model.allGraphs()) {
      for (const v of graph.inputs) this.taken.add(v.name);
      for (const v of graph.outputs) this.taken.add(v.name);
      for (const name of graph.initializers.keys()) this.taken.add(name);
      for (const node of graph.nodes) {
        if (node.name) this.taken.add(node.name);
        for (const v of node.inputs) if (v) this.taken.add(v.name);
        for (const v of node.outputs) if (v) this.taken.add(v.name);
      }
    }
  }

  /** `base` itself when free, else `base_1`, `base_2`, ... The name is reserved. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }
}
