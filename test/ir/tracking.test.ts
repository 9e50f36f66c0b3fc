/** What the IR tracks for passes: graph-output membership, use order, and the default ONNX domain. */
import { describe, expect, it } from 'vitest';
import { Attribute } from '../../src/ir/attribute.js';
import { isDefaultDomain, normalizeDomain } from '../../src/ir/domain.js';
import { DataType } from '../../src/ir/dtypes.js';
import { Graph, Node, Value } from '../../src/ir/graph.js';
import { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { ModelBuilder } from '../../src/testing/builder.js';

describe('graph outputs tracked by the IR', () => {
  it('replaceAllUsesWith moves graph outputs without being told the graph', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const z = b.node('Neg', [y]);
    b.output(z);
    b.output(y);
    b.output(y);
    const w = b.node('Abs', [x]);
    expect(y.isGraphOutput(b.graph)).toBe(true);
    expect(w.isGraphOutput()).toBe(false);

    y.replaceAllUsesWith(w);

    expect(b.graph.outputs).toEqual([z, w, w]);
    expect(z.producer()!.input(0)).toBe(w);
    expect(y.isGraphOutput()).toBe(false);
    expect(y.outputGraphs()).toEqual([]);
    expect(w.isGraphOutput(b.graph)).toBe(true);
    expect(w.outputGraphs()).toEqual([b.graph]);
  });

  it('moves the outputs of every graph that lists the value, subgraphs included', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const cond = b.input('c', DataType.BOOL, []);
    const y = b.node('Relu', [x]);
    b.output(y);
    // The then-branch returns the outer value y directly.
    const thenGraph = new Graph({ name: 'then', outputs: [y] });
    const elseGraph = new Graph({ name: 'else' });
    const neg = new Node({ opType: 'Neg', inputs: [x], outputs: ['e'] });
    elseGraph.append(neg);
    elseGraph.appendOutput(neg.output(0));
    const ifNode = new Node({
      opType: 'If',
      inputs: [cond],
      outputs: ['r'],
      attributes: [Attribute.graph('then_branch', thenGraph), Attribute.graph('else_branch', elseGraph)],
    });
    b.graph.append(ifNode);
    expect(new Set(y.outputGraphs())).toEqual(new Set([b.graph, thenGraph]));

    const w = b.node('Abs', [x]);
    y.replaceAllUsesWith(w);
    expect(b.graph.outputs[0]).toBe(w);
    expect(thenGraph.outputs[0]).toBe(w);
    expect(elseGraph.outputs[0]).toBe(neg.output(0));
    expect(y.isGraphOutput()).toBe(false);
  });

  it('leaves graph outputs alone when told to', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const z = b.node('Neg', [y]);
    b.output(y);
    b.output(z);
    const w = b.node('Abs', [x]);
    y.replaceAllUsesWith(w, { graphOutputs: false });
    expect(z.producer()!.input(0)).toBe(w);
    expect(b.graph.outputs).toEqual([y, z]);
    expect(y.isGraphOutput(b.graph)).toBe(true);
    expect(w.isGraphOutput()).toBe(false);
  });

  it('keeps membership through the setter, setOutputs, appendOutput and replaceOutput', () => {
    const g = new Graph();
    const [a, bv, c] = [new Value('a'), new Value('b'), new Value('c')];
    g.outputs = [a, bv];
    expect(g.outputs).toEqual([a, bv]);
    expect([a.isGraphOutput(g), bv.isGraphOutput(g), c.isGraphOutput(g)]).toEqual([true, true, false]);

    g.outputs = [bv];
    expect(a.isGraphOutput()).toBe(false);
    expect(bv.isGraphOutput(g)).toBe(true);

    // A value listed twice stays an output until both places are gone.
    g.setOutputs([a, a]);
    expect(bv.isGraphOutput()).toBe(false);
    g.replaceOutput(0, c);
    expect(g.outputs).toEqual([c, a]);
    expect(a.isGraphOutput(g)).toBe(true);
    g.replaceOutput(1, c);
    expect(a.isGraphOutput(g)).toBe(false);
    expect(c.outputGraphs()).toEqual([g]);

    g.appendOutput(bv);
    expect(g.outputs).toEqual([c, c, bv]);
    expect(bv.isGraphOutput(g)).toBe(true);
    expect(() => g.replaceOutput(3, a)).toThrow(/no output 3/);

    // Assigning the current list back (as autoblock does to restore it) changes nothing.
    const saved = g.outputs;
    g.outputs = [...saved, a];
    expect(a.isGraphOutput(g)).toBe(true);
    g.outputs = saved;
    expect(g.outputs).toEqual([c, c, bv]);
    expect(a.isGraphOutput(g)).toBe(false);
    expect(c.isGraphOutput(g)).toBe(true);
    g.outputs = [];
    expect([a, bv, c].some((v) => v.isGraphOutput())).toBe(false);
  });

  it('tracks a value per graph: leaving one graph keeps it an output of another', () => {
    const g1 = new Graph();
    const g2 = new Graph();
    const v = new Value('v');
    g1.appendOutput(v);
    g2.appendOutput(v);
    g1.outputs = [];
    expect(v.isGraphOutput(g1)).toBe(false);
    expect(v.isGraphOutput(g2)).toBe(true);
    expect(v.outputGraphs()).toEqual([g2]);
  });

  it('gives a read-only snapshot: changes go through the mutation API, not the array', () => {
    const g = new Graph();
    const [a, bv] = [new Value('a'), new Value('b')];
    const list = [a];
    g.outputs = list;
    list.push(bv); // the graph copied the list
    expect(g.outputs).toEqual([a]);
    expect(() => (g.outputs as Value[]).push(bv)).toThrow(TypeError);
    expect(() => {
      (g.outputs as Value[])[0] = bv;
    }).toThrow(TypeError);
    expect(g.outputs).toEqual([a]);
    expect(bv.isGraphOutput()).toBe(false);
  });

  it('safe removal and initializer removal use the tracked state', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2]);
    const y = b.node('Relu', [x]);
    const relu = y.producer()!;
    b.graph.outputs = [y];
    expect(() => b.graph.remove(relu)).toThrow(/graph output/);
    b.graph.outputs = [x];
    b.graph.remove(relu);
    expect(b.graph.nodeCount).toBe(0);

    const k = new Value('k');
    k.initializer = Tensor.fromArray('k', DataType.FLOAT, [1], new Float32Array([1]));
    b.graph.addInitializer(k);
    b.graph.appendOutput(k);
    expect(b.graph.removeInitializerIfUnused('k')).toBe(false);
    b.graph.outputs = [x];
    expect(b.graph.removeInitializerIfUnused('k')).toBe(true);
  });
});

/** The uses a value should list, kept the obvious way: (node, index) pairs in the order they were made. */
class ReferenceUses {
  private readonly lists = new Map<Value, [Node, number][]>();
  private readonly slots = new Map<Node, (Value | null)[]>();

  set(node: Node, index: number, value: Value | null): void {
    const inputs = this.slots.get(node) ?? [];
    this.slots.set(node, inputs);
    const old = inputs[index] ?? null;
    if (old === value) return;
    if (old) {
      const list = this.lists.get(old)!;
      list.splice(
        list.findIndex(([n, i]) => n === node && i === index),
        1,
      );
    }
    while (inputs.length <= index) inputs.push(null);
    inputs[index] = value;
    if (value) {
      const list = this.lists.get(value) ?? [];
      this.lists.set(value, list);
      list.push([node, index]);
    }
  }

  truncate(node: Node, count: number): void {
    const inputs = this.slots.get(node) ?? [];
    for (let i = inputs.length - 1; i >= count; i--) {
      this.set(node, i, null);
      inputs.pop();
    }
  }

  of(value: Value): [Node, number][] {
    return this.lists.get(value) ?? [];
  }
}

describe('use lists', () => {
  it('list uses in the order they were made, a re-made use last', () => {
    const x = new Value('x');
    const y = new Value('y');
    const a = new Node({ opType: 'A', inputs: [x] });
    new Node({ opType: 'B', inputs: [x] }); // made for its use of x, between A's two
    a.appendInput(x);
    const pairs = (v: Value): [string, number][] => v.uses().map((u) => [u.node.opType, u.index]);
    // Interleaved nodes: A's two uses are not next to each other.
    expect(pairs(x)).toEqual([
      ['A', 0],
      ['B', 0],
      ['A', 1],
    ]);
    a.setInput(0, y);
    a.setInput(0, x);
    expect(pairs(x)).toEqual([
      ['B', 0],
      ['A', 1],
      ['A', 0],
    ]);
    // Setting the same value again is no change, so the order stays.
    a.setInput(1, x);
    expect(pairs(x)).toEqual([
      ['B', 0],
      ['A', 1],
      ['A', 0],
    ]);
    a.truncateInputs(1);
    expect(pairs(x)).toEqual([
      ['B', 0],
      ['A', 0],
    ]);
    expect(x.useCount).toBe(2);
    expect(x.uses()[1]).toEqual({ node: a, index: 0 });
  });

  it('match a plain list of (node, index) pairs through thousands of random setInput calls', () => {
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const values = Array.from({ length: 6 }, (_, i) => new Value(`v${i}`));
    const nodes = Array.from({ length: 8 }, (_, i) => new Node({ opType: `N${i}` }));
    const reference = new ReferenceUses();
    for (let step = 0; step < 5000; step++) {
      const node = nodes[random(nodes.length)]!;
      const op = random(10);
      if (op === 0) {
        const count = random(node.inputs.length + 1);
        node.truncateInputs(count);
        reference.truncate(node, count);
      } else if (op === 1) {
        const list = Array.from({ length: random(5) }, () => (random(4) === 0 ? null : values[random(values.length)]!));
        node.setInputs(list);
        reference.truncate(node, 0);
        list.forEach((v, i) => reference.set(node, i, v));
      } else {
        // Few slots per node, so one node often reads the same value at several inputs.
        const index = random(6);
        const value = random(5) === 0 ? null : values[random(values.length)]!;
        node.setInput(index, value);
        reference.set(node, index, value);
      }
      if (step % 50 === 0 || step === 4999) {
        for (const v of values) {
          expect(v.uses().map((u) => [u.node, u.index])).toEqual(reference.of(v));
          expect(v.useCount).toBe(reference.of(v).length);
        }
      }
    }
  });

  it('uses() returns a new array each time', () => {
    const x = new Value('x');
    const n = new Node({ opType: 'A', inputs: [x, x] });
    const snapshot = x.uses();
    n.clearInputs();
    expect(snapshot.map((u) => u.index)).toEqual([0, 1]);
    expect(x.uses()).toEqual([]);
  });
});

describe('the default ONNX domain', () => {
  it("treats '', absent and 'ai.onnx' as the default domain, nothing else", () => {
    for (const d of ['', undefined, 'ai.onnx']) expect(isDefaultDomain(d), String(d)).toBe(true);
    for (const d of ['ai.onnx.ml', 'com.microsoft', 'AI.ONNX', 'onnx', ' ']) expect(isDefaultDomain(d), d).toBe(false);
    expect(normalizeDomain(undefined)).toBe('');
    expect(normalizeDomain('')).toBe('');
    expect(normalizeDomain('ai.onnx')).toBe('');
    expect(normalizeDomain('ai.onnx.ml')).toBe('ai.onnx.ml');
    expect(normalizeDomain('com.microsoft')).toBe('com.microsoft');
  });

  it('node.isOnnxOp checks the domain and, if given, the op type', () => {
    expect(new Node({ opType: 'Cast' }).isOnnxOp()).toBe(true);
    expect(new Node({ opType: 'Cast', domain: '' }).isOnnxOp('Cast')).toBe(true);
    expect(new Node({ opType: 'Cast', domain: 'ai.onnx' }).isOnnxOp('Cast')).toBe(true);
    expect(new Node({ opType: 'Cast', domain: 'ai.onnx' }).isOnnxOp('Relu')).toBe(false);
    expect(new Node({ opType: 'Cast', domain: 'com.example' }).isOnnxOp()).toBe(false);
    expect(new Node({ opType: 'Cast', domain: 'com.example' }).isOnnxOp('Cast')).toBe(false);
  });

  it("model opset lookups read 'ai.onnx' and '' as one domain", () => {
    const model = new Model({
      graph: new Graph(),
      opsetImports: [
        { domain: 'ai.onnx', version: 17 },
        { domain: 'ai.onnx.ml', version: 3 },
      ],
    });
    expect(model.opsetVersion()).toBe(17);
    expect(model.opsetVersion('')).toBe(17);
    expect(model.opsetVersion('ai.onnx.ml')).toBe(3);
    model.setOpsetVersion('', 18);
    expect(model.opsetImports).toEqual([
      { domain: 'ai.onnx', version: 18 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
  });
});
