import { describe, expect, it } from 'vitest';
import { Attribute } from '../../src/ir/attribute.js';
import { DataType } from '../../src/ir/dtypes.js';
import { Value } from '../../src/ir/graph.js';
import { OnnxFunction } from '../../src/ir/model.js';
import { tensorType } from '../../src/ir/types.js';
import { containsElemType, inferTypes, mapElemType, sameType, tensorElem } from '../../src/passes/elem-types.js';
import { GraphBuilder, ModelBuilder, tensorOf } from '../../src/testing/builder.js';

const D = DataType;

describe('element type inference', () => {
  it('follows the operator rules: fixed types, attributes, the input that sets T', () => {
    const b = new ModelBuilder();
    const x = b.input('x', D.FLOAT, [2, 3]);
    const cond = b.input('cond', D.BOOL, [2, 3]);
    const i = b.input('i', D.INT32, [2]);
    const shape = b.node('Shape', [x]);
    const where = b.node('Where', [cond, x, x]);
    const cast = b.node('Cast', [x], { to: D.INT8 });
    const like = b.node('CastLike', [i, x]);
    const cos = b.node('ConstantOfShape', [shape]);
    const eq = b.node('Equal', [x, x]);
    const [values, indices] = b.nodeMulti('TopK', [x, b.initializer('k', new BigInt64Array([1n]), [1])], {}, { outputs: 2 });
    const [y, mean] = b.nodeMulti('LayerNormalization', [x, b.initializer('g', new Float32Array(3), [3])], {}, { outputs: 2 });
    const constant = b.node('Constant', [], { value_ints: new Attribute('value_ints', 7, [1n, 2n]) });
    const rn = b.node('RandomNormal', [], { shape: [2] });
    const q = b.node('QuantizeLinear', [x, b.initializer('s', new Float32Array([1]), []), b.initializer('zp', new Int8Array([0]), [])]);
    const custom = b.node('Thing', [x], {}, { domain: 'com.example' });
    const types = inferTypes(b.build());
    const elem = (v: Value) => tensorElem(types.typeOf(v));
    expect(elem(shape)).toBe(D.INT64);
    expect(elem(where)).toBe(D.FLOAT);
    expect(elem(cast)).toBe(D.INT8);
    expect(elem(like)).toBe(D.FLOAT);
    expect(elem(cos)).toBe(D.FLOAT);
    expect(elem(eq)).toBe(D.BOOL);
    expect([elem(values!), elem(indices!)]).toEqual([D.FLOAT, D.INT64]);
    expect([elem(y!), elem(mean!)]).toEqual([D.FLOAT, D.FLOAT]);
    expect(elem(constant)).toBe(D.INT64);
    expect(elem(rn)).toBe(D.FLOAT);
    expect(elem(q)).toBe(D.INT8);
    expect(types.typeOf(custom)).toBeUndefined();
  });

  it('declared types win, and subgraphs, Loop bodies and functions are typed', () => {
    const b = new ModelBuilder({ opsets: { local: 1 } });
    const x = b.input('x', D.FLOAT16, [2]);
    const custom = b.node('Thing', [x], {}, { domain: 'com.example' });
    custom.type = tensorType(D.DOUBLE, [2]);
    const thenB = new GraphBuilder('then');
    const t = thenB.node('Cast', [x], { to: D.FLOAT });
    thenB.output(t);
    const elseB = new GraphBuilder('else');
    elseB.output(elseB.node('Cast', [x], { to: D.FLOAT }));
    const ifOut = b.node('If', [b.input('c', D.BOOL, [])], { then_branch: thenB.graph, else_branch: elseB.graph });
    const body = new GraphBuilder('body');
    body.graph.inputs.push(new Value('iter'), new Value('cond'), new Value('acc'));
    const acc = body.graph.inputs[2]!;
    body.output(body.graph.inputs[1]!);
    const next = body.node('Add', [acc, acc]);
    body.output(next);
    const loopOut = b.node('Loop', [null, b.initializer('go', new Uint8Array([1]), [], D.BOOL), b.initializer('a0', new Int32Array([1]), [])], {
      body: body.graph,
    });
    const fnBody = new GraphBuilder('fn');
    const p = new Value('p');
    fnBody.graph.inputs.push(p);
    fnBody.graph.appendOutput(fnBody.node('Neg', [p]));
    const fn = new OnnxFunction({ name: 'F', domain: 'local', body: fnBody.graph });
    const call = b.node('F', [x], {}, { domain: 'local' });
    const model = b.build();
    model.functions.push(fn);
    const types = inferTypes(model);
    expect(tensorElem(types.typeOf(custom))).toBe(D.DOUBLE);
    expect(tensorElem(types.typeOf(t))).toBe(D.FLOAT);
    expect(tensorElem(types.typeOf(ifOut))).toBe(D.FLOAT);
    expect(tensorElem(types.typeOf(acc))).toBe(D.INT32);
    expect(tensorElem(types.typeOf(next))).toBe(D.INT32);
    expect(tensorElem(types.typeOf(loopOut))).toBe(D.INT32);
    expect(tensorElem(types.typeOf(call))).toBe(D.FLOAT16);
    expect(tensorElem(types.typeOf(p))).toBe(D.FLOAT16);
  });

  it('sequence types and the helpers', () => {
    const b = new ModelBuilder();
    const x = b.input('x', D.FLOAT, [2]);
    const seq = b.node('SequenceConstruct', [x, x]);
    const at = b.node('SequenceAt', [seq, b.initializer('i', new BigInt64Array([0n]), [])]);
    const empty = b.node('SequenceEmpty', []);
    const types = inferTypes(b.build());
    const seqType = types.typeOf(seq)!;
    expect(sameType(seqType, { kind: 'sequence', elem: { kind: 'tensor', elemType: D.FLOAT } })).toBe(true);
    expect(tensorElem(types.typeOf(at))).toBe(D.FLOAT);
    expect(sameType(types.typeOf(empty), seqType)).toBe(true);
    expect(containsElemType(seqType, D.FLOAT)).toBe(true);
    const half = mapElemType(seqType, D.FLOAT, D.FLOAT16);
    expect(sameType(half, { kind: 'sequence', elem: { kind: 'tensor', elemType: D.FLOAT16 } })).toBe(true);
    expect(sameType(half, seqType)).toBe(false);
    expect(tensorOf('t', new Float32Array(1), [1]).dataType).toBe(D.FLOAT);
  });
});
