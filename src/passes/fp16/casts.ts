/**
 * Making the nodes a conversion adds (Casts at precision boundaries, float32
 * copies of constants), with names unique in the model, and putting each one
 * next to what it reads: right after the producer, or first in its graph.
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { sortTopologically } from '../../ir/toposort.js';
import type { NameAllocator } from '../names.js';

export const precisionSuffix = (elemType: DataType): string =>
  elemType === DataType.FLOAT16 ? 'fp16' : elemType === DataType.FLOAT ? 'fp32' : `t${elemType}`;

interface Placement {
  node: Node;
  /** Put the node right after this one; null: first in the graph. */
  after: Node | null;
}

export class NodePlacer {
  private readonly placements = new Map<Graph, Placement[]>();
  readonly created = new Set<Node>();

  constructor(readonly names: NameAllocator) {}

  /** Adds a node to a graph, to be placed after `after` (or first) by `finish`. */
  add(graph: Graph, node: Node, after: Node | null): Node {
    graph.append(node);
    this.created.add(node);
    let list = this.placements.get(graph);
    if (!list) this.placements.set(graph, (list = []));
    list.push({ node, after });
    return node;
  }

  /** Cast(input) -> a new value named after the input and the target type. */
  cast(graph: Graph, input: Value, to: DataType, after: Node | null, output?: Value): Node {
    const suffix = precisionSuffix(to);
    const out = output ?? new Value(this.names.fresh(`${input.name}_${suffix}`));
    const node = new Node({
      opType: 'Cast',
      name: this.names.fresh(`${out.name}_cast`),
      inputs: [input],
      outputs: [out],
      attributes: [Attribute.int('to', to)],
    });
    return this.add(graph, node, after);
  }

  /** Puts the added nodes in place, then makes sure every graph is in topological order. */
  finish(model: Model): void {
    for (const [graph, list] of this.placements) placeInGraph(graph, list);
    trySort(model.graph);
    for (const f of model.functions) trySort(f.body);
  }
}

function placeInGraph(graph: Graph, list: Placement[]): void {
  const fresh = new Set(list.map((p) => p.node).filter((n) => graph.has(n)));
  const after = new Map<Node, Node[]>();
  const first: Node[] = [];
  for (const { node, after: anchor } of list) {
    if (!graph.has(node)) continue;
    if (anchor && graph.has(anchor)) {
      let l = after.get(anchor);
      if (!l) after.set(anchor, (l = []));
      l.push(node);
    } else first.push(node);
  }
  const order: Node[] = [];
  const place = (n: Node): void => {
    order.push(n);
    for (const m of after.get(n) ?? []) place(m);
  };
  for (const n of first) place(n);
  for (const n of graph.nodes) if (!fresh.has(n)) place(n);
  graph.reorder(order);
}

function trySort(graph: Graph): void {
  try {
    sortTopologically(graph);
  } catch {
    // A graph that had a cycle before keeps its order; the pass added none.
  }
}
