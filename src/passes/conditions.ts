/** Conditions passes declare in `requires` and `ensures`, checked by the pass manager. */
import type { Graph, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { nodeReads } from '../ir/toposort.js';
import type { Condition } from './pass.js';

function firstUnsorted(graph: Graph): string | undefined {
  const nodes = new Set(graph.nodes);
  const done = new Set<Value>();
  for (const node of graph.nodes) {
    for (const v of nodeReads(node)) {
      const producer = v.producer();
      if (producer && producer !== node && nodes.has(producer) && !done.has(v)) {
        return `${node.describe()} reads '${v.name}' before ${producer.describe()} makes it`;
      }
    }
    for (const v of node.outputs) if (v) done.add(v);
  }
  return undefined;
}

/** Every graph (main, subgraphs, function bodies) lists each node after the producers of what it reads. */
export const graphSorted: Condition = {
  name: 'graphs sorted',
  check(model: Model) {
    for (const graph of model.allGraphs()) {
      const problem = firstUnsorted(graph);
      if (problem) return problem;
    }
    return undefined;
  },
};
