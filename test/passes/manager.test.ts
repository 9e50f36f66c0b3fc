/** The pass contract: order, records, contracts checked, failures named with what ran before, repetition. */
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { graphSorted } from '../../src/passes/conditions.js';
import { PassError, PassManager, Sequential } from '../../src/passes/manager.js';
import { PassBase, type Condition, type Pass } from '../../src/passes/pass.js';
import { ModelBuilder } from '../../src/testing/builder.js';

/** x -> Relu -> Identity -> Identity -> Neg -> y */
function model(): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [2]);
  const r = b.node('Relu', [x], {}, { name: 'relu' });
  const i1 = b.node('Identity', [r], {}, { name: 'id1' });
  const i2 = b.node('Identity', [i1], {}, { name: 'id2' });
  b.output(b.node('Neg', [i2], {}, { name: 'neg' }), DataType.FLOAT, [2]);
  return b.build();
}

const names = (m: Model) => [...m.graph.nodes].map((n) => n.name);

/** Removes the first Identity it finds (one per run), so repeating it matters. */
class RemoveOneIdentity extends PassBase<{ removed: string }> {
  readonly name = 'remove-one-identity';
  override readonly ensures = [graphSorted];
  protected call(m: Model) {
    const node = [...m.graph.nodes].find((n) => n.opType === 'Identity');
    if (!node) return { modified: false };
    const out = node.outputs[0]!;
    for (const use of out.uses()) use.node.setInput(use.index, node.inputs[0]!);
    m.graph.remove(node);
    return { modified: true, summary: { removed: node.name! } };
  }
}

/** Moves the last node to the front: the graph is no longer sorted. */
class Unsort extends PassBase {
  readonly name = 'unsort';
  constructor(override readonly ensures: readonly Condition[] = []) {
    super();
  }
  protected call(m: Model) {
    const nodes = [...m.graph.nodes];
    m.graph.reorder([nodes[nodes.length - 1]!, ...nodes.slice(0, -1)]);
    return { modified: true };
  }
}

const failing: Pass = {
  name: 'failing',
  inPlace: true,
  requires: [],
  ensures: [],
  run: () => {
    throw new Error('it broke');
  },
};

describe('PassManager', () => {
  it('runs passes in order and records what each did', async () => {
    const m = model();
    const result = await new PassManager([new RemoveOneIdentity(), new RemoveOneIdentity(), new RemoveOneIdentity()]).run(m);
    expect(result.model).toBe(m);
    expect(result.modified).toBe(true);
    expect(result.summary).toEqual([
      { name: 'remove-one-identity', modified: true, summary: { removed: 'id1' } },
      { name: 'remove-one-identity', modified: true, summary: { removed: 'id2' } },
      { name: 'remove-one-identity', modified: false },
    ]);
    expect(names(m)).toEqual(['relu', 'neg']);
  });

  it('repeats the list while something changes, up to maxRounds', async () => {
    const twice = model();
    await new PassManager([new RemoveOneIdentity()], { maxRounds: 2 }).run(twice);
    expect(names(twice)).toEqual(['relu', 'neg']);
    const once = model();
    const r = await new PassManager([new RemoveOneIdentity()], { maxRounds: 1 }).run(once);
    expect(names(once)).toEqual(['relu', 'id2', 'neg']);
    const stable = await new PassManager([new RemoveOneIdentity()], { maxRounds: 10 }).run(model());
    // Two rounds that change something, then one that finds nothing: the manager stops there.
    expect(stable.summary.map((s) => s.modified)).toEqual([true, true, false]);
    expect(r.summary).toHaveLength(1);
  });

  it('a failure names the pass and the passes that ran before it', async () => {
    const run = new PassManager([new RemoveOneIdentity(), new RemoveOneIdentity(), failing]).run(model());
    await expect(run).rejects.toThrow(PassError);
    await expect(new PassManager([new RemoveOneIdentity(), failing]).run(model())).rejects.toThrow(
      'it broke [pass failing, after remove-one-identity]',
    );
    await expect(new PassManager([failing]).run(model(), { ranBefore: ['fp16'] })).rejects.toThrow('it broke [pass failing, after fp16]');
  });

  it('checks `ensures` after a pass: a pass that breaks its promise fails, naming the condition', async () => {
    await expect(new PassManager([new Unsort([graphSorted])]).run(model())).rejects.toThrow(
      /broke its promise: 'graphs sorted' does not hold: .*reads '.*' before.*\[pass unsort\]$/,
    );
    // Without the promise, the same change passes; the next pass that requires sorting refuses to run.
    const requiresSorted: Pass = { ...failing, name: 'needs-sorted', requires: [graphSorted] };
    await expect(new PassManager([new Unsort(), requiresSorted]).run(model())).rejects.toThrow(
      /cannot run: 'graphs sorted' does not hold.*\[pass needs-sorted, after unsort\]/,
    );
    // With checks off, nothing is checked.
    await expect(new PassManager([new Unsort([graphSorted])], { checkContracts: false }).run(model())).resolves.toMatchObject({ modified: true });
  });

  it('refuses a pass that says it works in place but returns another model', async () => {
    const liar: Pass = { name: 'liar', inPlace: true, requires: [], ensures: [], run: () => ({ model: model(), modified: true }) };
    await expect(new PassManager([liar]).run(model())).rejects.toThrow(/declared in place but returned another model/);
  });

  it('Sequential nests a list as one pass', async () => {
    const m = model();
    const group = new Sequential('strip', [new RemoveOneIdentity(), new RemoveOneIdentity()]);
    expect(group.ensures).toEqual([graphSorted]);
    const result = await new PassManager([group]).run(m);
    expect(names(m)).toEqual(['relu', 'neg']);
    expect(result.summary[0]!.name).toBe('strip');
    expect((result.summary[0]!.summary as { name: string }[]).map((r) => r.name)).toEqual(['remove-one-identity', 'remove-one-identity']);
  });
});

describe('graphSorted', () => {
  it('holds for a sorted graph and names the first node read before it is made', () => {
    const m = model();
    expect(graphSorted.check(m)).toBeUndefined();
    const nodes = [...m.graph.nodes];
    m.graph.reorder([nodes[1]!, nodes[0]!, nodes[2]!, nodes[3]!]);
    expect(graphSorted.check(m)).toMatch(/id1.*reads '.*' before .*relu/i);
  });
});

describe('PassError', () => {
  it("keeps a first pass's own user-facing error as it was, file and code included", async () => {
    const { OnnxpressError } = await import('../../src/errors.js');
    const own: Pass = {
      ...failing,
      run: () => {
        throw new OnnxpressError('E_MODEL', 'cannot convert this', { file: 'm.onnx' });
      },
    };
    const first = new PassManager([own]).run(model());
    await expect(first).rejects.toMatchObject({ code: 'E_MODEL', file: 'm.onnx', message: 'm.onnx: cannot convert this', pass: 'failing' });
    const later = new PassManager([new RemoveOneIdentity(), own]).run(model());
    await expect(later).rejects.toMatchObject({ code: 'E_MODEL', message: 'm.onnx: cannot convert this [pass failing, after remove-one-identity]' });
  });
});
