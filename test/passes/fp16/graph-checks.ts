/** Structural checks on converted graphs. */
import { expect } from 'vitest';
import type { Graph, Value } from '../../../src/ir/graph.js';
import { nodeReads } from '../../../src/ir/toposort.js';

/** Every node reads only values made before it (or graph inputs, initializers, outer values), in every nested graph. */
export function expectTopologicallySorted(graph: Graph): void {
  const made = new Set<Value>();
  const mine = new Set<Value>();
  for (const n of graph.nodes) for (const v of n.outputs) if (v) mine.add(v);
  for (const n of graph.nodes) {
    for (const v of nodeReads(n)) {
      if (mine.has(v)) expect(made.has(v), `${n.describe()} reads '${v.name}' before it is made`).toBe(true);
    }
    for (const v of n.outputs) if (v) made.add(v);
    for (const g of n.subgraphs()) expectTopologicallySorted(g);
  }
}
