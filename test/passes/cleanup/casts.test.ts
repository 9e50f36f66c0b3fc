import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Graph } from '../../../src/ir/graph.js';
import { castIsExact, cleanupCasts } from '../../../src/passes/cleanup/casts.js';
import { GraphBuilder, ModelBuilder } from '../../../src/testing/builder.js';

const D = DataType;
const ops = (g: Graph): string[] => [...g.nodes].map((n) => (n.opType === 'Cast' ? `Cast(${n.attr('to')!.asNumber()})` : n.opType));

describe('castIsExact', () => {
  it('knows which casts keep every value', () => {
    expect(castIsExact(D.FLOAT16, D.FLOAT)).toBe(true);
    expect(castIsExact(D.FLOAT, D.FLOAT16)).toBe(false);
    expect(castIsExact(D.INT32, D.FLOAT)).toBe(false); // 2^24 + 1
    expect(castIsExact(D.INT16, D.FLOAT)).toBe(true);
    expect(castIsExact(D.INT64, D.INT32)).toBe(false);
    expect(castIsExact(D.BOOL, D.FLOAT16)).toBe(true);
    expect(castIsExact(D.UINT8, D.INT8)).toBe(false);
  });
});

describe('cleanupCasts', () => {
  it('removes no-op Casts, reads through exact Casts and merges duplicates', () => {
    const b = new ModelBuilder();
    const h = b.input('h', D.FLOAT16, [2]);
    const same = b.node('Cast', [h], { to: D.FLOAT16 });
    const up = b.node('Cast', [same], { to: D.FLOAT });
    const down = b.node('Cast', [up], { to: D.FLOAT16 }); // h again
    const toInt = b.node('Cast', [up], { to: D.INT32 }); // reads h directly
    const twin = b.node('Cast', [h], { to: D.INT32 });
    b.output(b.node('Add', [down, down]), D.FLOAT16, [2]);
    b.output(b.node('Mul', [toInt, twin]), D.INT32, [2]);
    const model = b.build();
    const { removed } = cleanupCasts(model);
    expect(ops(model.graph)).toEqual(['Cast(6)', 'Add', 'Mul']);
    expect(removed).toBe(4);
    const [add, mul] = [...model.graph.nodes].slice(1);
    expect(add!.input(0)).toBe(model.graph.inputs[0]);
    expect(mul!.input(0)).toBe(mul!.input(1));
  });

  it('keeps lossy pairs and Casts that make a main-graph output', () => {
    const b = new ModelBuilder();
    const x = b.input('x', D.FLOAT, [2]);
    const down = b.node('Cast', [x], { to: D.FLOAT16 });
    const up = b.node('Cast', [down], { to: D.FLOAT });
    b.output(b.node('Cast', [b.node('Relu', [up])], { to: D.FLOAT }), D.FLOAT, [2]);
    const model = b.build();
    expect(cleanupCasts(model).removed).toBe(0);
    expect(ops(model.graph)).toEqual(['Cast(10)', 'Cast(1)', 'Relu', 'Cast(1)']);
  });

  it('a subgraph may end at the value a no-op Cast read', () => {
    const b = new ModelBuilder();
    const x = b.input('x', D.FLOAT, [2]);
    const thenB = new GraphBuilder('then');
    const r = thenB.node('Relu', [x]);
    thenB.output(thenB.node('Cast', [r], { to: D.FLOAT }), D.FLOAT, [2]);
    const elseB = new GraphBuilder('else');
    elseB.output(elseB.node('Neg', [x]), D.FLOAT, [2]);
    b.output(b.node('If', [b.input('c', D.BOOL, [])], { then_branch: thenB.graph, else_branch: elseB.graph }), D.FLOAT, [2]);
    const model = b.build();
    expect(cleanupCasts(model).removed).toBe(1);
    expect(ops(thenB.graph)).toEqual(['Relu']);
    expect(thenB.graph.outputs[0]).toBe(r);
  });
});
