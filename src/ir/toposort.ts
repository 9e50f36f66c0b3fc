/** Topological order of a graph's nodes, stable: nodes already in order keep their places. */
import type { Graph, Node, Value } from './graph.js';

/** Values a node reads: its inputs, and outer values its subgraphs read. */
export function nodeReads(node: Node): Set<Value> {
  const reads = new Set<Value>();
  for (const v of node.inputs) if (v) reads.add(v);
  for (const sub of node.subgraphs()) {
    for (const inner of sub.allNodes()) for (const v of inner.inputs) if (v) reads.add(v);
    for (const v of sub.outputs) reads.add(v);
  }
  return reads;
}

/**
 * Returns the nodes in an order where each node follows the producers of what
 * it reads. Throws on a cycle, naming a node on it.
 */
export function topologicalOrder(graph: Graph): Node[] {
  const nodes = [...graph.nodes];
  const index = new Map(nodes.map((n, i) => [n, i]));
  const pending = new Map<Node, number>();
  const dependents = new Map<Node, Node[]>();
  for (const node of nodes) {
    let count = 0;
    for (const v of nodeReads(node)) {
      const p = v.producer();
      if (p && p !== node && index.has(p)) {
        count++;
        let list = dependents.get(p);
        if (!list) dependents.set(p, (list = []));
        list.push(node);
      }
    }
    pending.set(node, count);
  }
  // A min-heap on original position keeps the order stable.
  const heap: number[] = [];
  const push = (i: number): void => {
    heap.push(i);
    let c = heap.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (heap[p]! <= heap[c]!) break;
      [heap[p], heap[c]] = [heap[c]!, heap[p]!];
      c = p;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === p) break;
        [heap[p], heap[m]] = [heap[m]!, heap[p]!];
        p = m;
      }
    }
    return top;
  };
  nodes.forEach((n, i) => {
    if (pending.get(n) === 0) push(i);
  });
  const order: Node[] = [];
  while (heap.length > 0) {
    const node = nodes[pop()]!;
    order.push(node);
    for (const d of dependents.get(node) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) push(index.get(d)!);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((n) => pending.get(n)! > 0)!;
    throw new Error(`graph has a cycle through ${stuck.describe()}`);
  }
  return order;
}

/** Puts the graph's nodes (and those of its subgraphs) in topological order. */
export function sortTopologically(graph: Graph): void {
  for (const g of graph.allGraphs()) g.reorder(topologicalOrder(g));
}
