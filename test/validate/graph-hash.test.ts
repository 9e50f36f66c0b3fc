/** The baseline graph hash in report.json: structure, not weights, and stable across runs and versions. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { GraphBuilder, ModelBuilder } from '../../src/testing/builder.js';
import { graphHash } from '../../src/validate/graph-hash.js';
import { tempDir } from '../helpers/temp.js';

interface Variant {
  weights?: number;
  names?: string;
  alpha?: number;
  op?: 'Relu' | 'Tanh';
  input?: string;
}

/** x [n, 4] -> MatMul(W) -> Add(b) -> LeakyRelu/Relu/Tanh -> If(then: Identity, else: Neg) -> y. */
function model(v: Variant = {}): Model {
  const b = new ModelBuilder({ opset: 17 });
  const prefix = v.names ?? 't';
  const x = b.input(v.input ?? 'x', DataType.FLOAT, ['n', 4]);
  const w = b.initializer(`${prefix}.w`, new Float32Array(16).fill(v.weights ?? 0.5), [4, 4]);
  const bias = b.initializer(`${prefix}.b`, new Float32Array(4).fill(v.weights ?? 0.1), [4]);
  const h = b.node('Add', [b.node('MatMul', [x, w], {}, { name: `${prefix}_mm` }), bias]);
  const act = v.op ? b.node(v.op, [h]) : b.node('LeakyRelu', [h], { alpha: v.alpha ?? 0.01 });
  const branch = (op: string) => {
    const g = new GraphBuilder(op);
    g.output(g.node(op, [act]), DataType.FLOAT, ['n', 4]);
    return g.graph;
  };
  const cond = b.initializer(`${prefix}.cond`, new Uint8Array([1]), [], DataType.BOOL);
  const y = b.node('If', [cond], { then_branch: branch('Identity'), else_branch: branch('Neg') });
  y.name = 'y';
  b.output(y, DataType.FLOAT, ['n', 4]);
  return b.build();
}

describe('graphHash', () => {
  it('ignores weights, value and node names, and whether weights were read', () => {
    const base = graphHash(model());
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(graphHash(model({ weights: 2 }))).toBe(base);
    expect(graphHash(model({ names: 'renamed' }))).toBe(base);
    const dir = tempDir();
    const file = join(dir, 'm.onnx');
    saveModel(model(), file);
    expect(graphHash(loadModel(file))).toBe(base);
    expect(graphHash(loadModel(file, { deferWeights: true }))).toBe(base);
    const copy = join(dir, 'copy.onnx');
    saveModel(loadModel(file), copy);
    expect(graphHash(loadModel(copy, { deferWeights: true }))).toBe(base);
  });

  it('changes with ops, attributes, graph inputs and subgraphs', () => {
    const base = graphHash(model());
    const others = [model({ alpha: 0.2 }), model({ op: 'Relu' }), model({ op: 'Tanh' }), model({ input: 'pixels' })];
    const hashes = new Set([base, ...others.map(graphHash)]);
    expect(hashes.size).toBe(5);
    const swappedBranches = model();
    const ifNode = [...swappedBranches.graph.nodes].find((n) => n.opType === 'If')!;
    const [thenAttr, elseAttr] = [ifNode.attr('then_branch')!, ifNode.attr('else_branch')!];
    [thenAttr.value, elseAttr.value] = [elseAttr.value, thenAttr.value];
    expect(graphHash(swappedBranches)).not.toBe(base);
  });

  it('is stable: format onnxpress-graph/1 hashes this model to this value', () => {
    // Changing what the hash covers makes old reports look like reports of other models: bump the format instead.
    expect(graphHash(model())).toBe(PINNED);
  });
});

const PINNED = '9c712cc5af30983bca954670438ba395c9aa2657970285175b0f685d60279a72';
