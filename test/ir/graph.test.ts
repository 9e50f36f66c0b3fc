import { describe, expect, it } from 'vitest';
import { Attribute } from '../../src/ir/attribute.js';
import { DataType } from '../../src/ir/dtypes.js';
import { Graph, Node, Value } from '../../src/ir/graph.js';
import { sortTopologically, topologicalOrder } from '../../src/ir/toposort.js';
import { ModelBuilder } from '../../src/testing/builder.js';

describe('graph IR', () => {
  it('tracks producers and uses through the mutation API', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const z = b.node('Add', [y, y]);
    expect(y.producer()?.opType).toBe('Relu');
    expect(y.outputIndex()).toBe(0);
    expect(y.uses().map((u) => u.index)).toEqual([0, 1]);
    const add = z.producer()!;
    add.setInput(1, x);
    expect(y.uses()).toEqual([{ node: add, index: 0 }]);
    expect(x.uses().map((u) => [u.node.opType, u.index])).toEqual([
      ['Relu', 0],
      ['Add', 1],
    ]);
  });

  it('replaceAllUsesWith moves every use and the graph outputs', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const z = b.node('Neg', [y]);
    b.output(y);
    b.output(z);
    const w = b.node('Abs', [x]);
    for (const use of y.uses()) expect(use.node.opType).toBe('Neg');
    y.replaceAllUsesWith(w);
    expect(y.useCount).toBe(0);
    expect(z.producer()!.input(0)).toBe(w);
    expect(b.graph.outputs[0]).toBe(w);
  });

  it('uses() is a snapshot, so a pass may rewrite while iterating', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    for (let i = 0; i < 5; i++) b.node('Relu', [x]);
    const replacement = new Value('x2');
    for (const use of x.uses()) use.node.setInput(use.index, replacement);
    expect(x.useCount).toBe(0);
    expect(replacement.useCount).toBe(5);
  });

  it('safe removal refuses, changing nothing, while an output is still used or is a graph output', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const z = b.node('Neg', [y]);
    b.output(z);
    const relu = y.producer()!;
    const neg = z.producer()!;
    expect(() => b.graph.remove(relu)).toThrow(/used by Neg/);
    expect(b.graph.nodeCount).toBe(2);
    expect(x.useCount).toBe(1);
    expect(() => b.graph.remove(neg)).toThrow(/graph output/);
    // Removing a producer together with its only consumer is fine once the output is rerouted.
    b.graph.replaceOutput(0, x);
    b.graph.remove([relu, neg]);
    expect(b.graph.nodeCount).toBe(0);
    expect(x.useCount).toBe(0);
  });

  it('removes a node that owns a subgraph together with the subgraph uses of outer values', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const cond = b.input('c', DataType.BOOL, []);
    const thenGraph = new Graph({ name: 'then' });
    const inner = new Node({ opType: 'Relu', inputs: [x], outputs: ['t'] });
    thenGraph.append(inner);
    thenGraph.appendOutput(inner.output(0));
    const elseGraph = new Graph({ name: 'else' });
    const inner2 = new Node({ opType: 'Neg', inputs: [x], outputs: ['e'] });
    elseGraph.append(inner2);
    elseGraph.appendOutput(inner2.output(0));
    const ifNode = new Node({
      opType: 'If',
      inputs: [cond],
      outputs: ['r'],
      attributes: [Attribute.graph('then_branch', thenGraph), Attribute.graph('else_branch', elseGraph)],
    });
    thenGraph.parentNode = ifNode;
    elseGraph.parentNode = ifNode;
    b.graph.append(ifNode);
    expect(x.useCount).toBe(2);
    expect([...b.graph.allNodes()].map((n) => n.opType)).toEqual(['If', 'Relu', 'Neg']);
    b.graph.remove(ifNode);
    expect(x.useCount).toBe(0);
    expect(cond.useCount).toBe(0);
  });

  it('sorts topologically, stably, counting reads inside subgraphs', () => {
    const g = new Graph();
    const x = new Value('x');
    g.inputs.push(x);
    const a = new Node({ opType: 'A', inputs: [x], outputs: ['a'] });
    const bNode = new Node({ opType: 'B', inputs: [a.output(0)], outputs: ['b'] });
    const c = new Node({ opType: 'C', inputs: [x], outputs: ['c'] });
    // D reads b only inside its subgraph.
    const body = new Graph();
    const inner = new Node({ opType: 'Identity', inputs: [bNode.output(0)], outputs: ['i'] });
    body.append(inner);
    body.appendOutput(inner.output(0));
    const d = new Node({ opType: 'D', inputs: [], outputs: ['d'], attributes: [Attribute.graph('body', body)] });
    g.append(d, bNode, c, a);
    const order = topologicalOrder(g).map((n) => n.opType);
    expect(order.indexOf('A')).toBeLessThan(order.indexOf('B'));
    expect(order.indexOf('B')).toBeLessThan(order.indexOf('D'));
    // C has no dependencies: it keeps its relative place among the nodes that were ready.
    expect(order).toEqual(['C', 'A', 'B', 'D']);
    sortTopologically(g);
    expect([...g.nodes].map((n) => n.opType)).toEqual(order);
  });

  it('names a node on a cycle', () => {
    const g = new Graph();
    const a = new Node({ opType: 'A', outputs: ['a'] });
    const bNode = new Node({ opType: 'B', inputs: [a.output(0)], outputs: ['b'] });
    a.appendInput(bNode.output(0));
    g.append(a, bNode);
    expect(() => topologicalOrder(g)).toThrow(/cycle through [AB] node/);
  });

  it('insertBefore and insertAfter place nodes exactly', () => {
    const g = new Graph();
    const n1 = new Node({ opType: 'N1' });
    const n2 = new Node({ opType: 'N2' });
    g.append(n1, n2);
    g.insertBefore(n2, new Node({ opType: 'Mid' }));
    g.insertAfter(n2, new Node({ opType: 'End' }));
    g.insertBefore(n1, new Node({ opType: 'Start' }));
    expect([...g.nodes].map((n) => n.opType)).toEqual(['Start', 'N1', 'Mid', 'N2', 'End']);
  });

  it('keeps the order a plain list would through random appends, inserts next to any node, removals and iteration', () => {
    // The reference: an array, spliced the obvious (O(n)) way.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const g = new Graph();
      const reference: Node[] = [];
      const removed: Node[] = [];
      for (let step = 0; step < 300; step++) {
        const op = reference.length === 0 ? 0 : random(6);
        const fresh = (): Node[] => {
          // Sometimes a node removed earlier comes back (as a pass may move a node by removing and adding it).
          if (removed.length > 0 && random(4) === 0) return [removed.splice(random(removed.length), 1)[0]!];
          return Array.from({ length: 1 + random(3) }, () => new Node({ opType: `N${round}_${step}` }));
        };
        if (op === 0) {
          const nodes = fresh();
          g.append(...nodes);
          reference.push(...nodes);
        } else if (op === 1 || op === 2) {
          const ref = reference[random(reference.length)]!;
          const nodes = fresh();
          if (op === 1) g.insertBefore(ref, ...nodes);
          else g.insertAfter(ref, ...nodes);
          reference.splice(reference.indexOf(ref) + (op === 2 ? 1 : 0), 0, ...nodes);
        } else if (op === 3) {
          const node = reference.splice(random(reference.length), 1)[0]!;
          g.remove(node, { safe: false });
          removed.push(node);
        } else if (op === 4) {
          // Removing while iterating visits each remaining node once, in order.
          const victim = reference[random(reference.length)]!;
          const seen: Node[] = [];
          for (const n of g.nodes) {
            seen.push(n);
            if (n === victim) g.remove(n, { safe: false });
          }
          expect(seen).toEqual(reference);
          reference.splice(reference.indexOf(victim), 1);
          removed.push(victim);
        } else {
          expect([...g.nodes]).toEqual(reference);
        }
        expect(g.nodeCount).toBe(reference.length);
      }
      expect([...g.nodes]).toEqual(reference);
      for (const n of reference) expect(n.graph).toBe(g);
    }
  });

  it('refuses to insert a node that is already in the graph, or next to one that is not', () => {
    const g = new Graph();
    const [a, b] = [new Node({ opType: 'A' }), new Node({ opType: 'B' })];
    g.append(a, b);
    expect(() => g.insertBefore(a, b)).toThrow(/already in this graph/);
    expect(() => g.insertAfter(new Node({ opType: 'C' }), new Node({ opType: 'D' }))).toThrow(/is not in this graph/);
    g.append(a);
    expect([...g.nodes]).toEqual([a, b]);
    expect(() => g.reorder([a])).toThrow(/exactly the nodes of the graph/);
  });
});
