/**
 * The rewrites on models built in code, run in onnxruntime-node: each quantized model's output is compared with
 * the same computation done here in float64 on the weights dequantized from the tensors the pass wrote
 * ((q - zero point) * scale), so Gemm's alpha, beta, transA, transB and C, tied weights, subgraphs and the
 * QDQ form are checked exactly, not just "close to float".
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxpressError } from '../../../src/errors.js';
import { Attribute } from '../../../src/ir/attribute.js';
import { DataType } from '../../../src/ir/dtypes.js';
import { Node, type Value } from '../../../src/ir/graph.js';
import { Model, OnnxFunction } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { HEAD_REASON, quantizeNBits } from '../../../src/passes/quantize-nbits/quantize.js';
import { GraphBuilder, ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { cosine, maxAbsDiff } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from '../quantize/helpers.js';

const first = (out: Record<string, ort.Tensor>): Float32Array => Object.values(out)[0]!.data as Float32Array;

/** MatMulNBits' B dequantized from the node's tensors: the K x N matrix, row-major, in float64. */
function dequantizeNBits(node: Node): Float64Array {
  const K = node.attr('K')!.asNumber();
  const N = node.attr('N')!.asNumber();
  const bits = node.attr('bits')!.asNumber();
  const bs = node.attr('block_size')!.asNumber();
  const b = node.input(1)!.initializer!.rawBytes();
  const scales = node.input(2)!.initializer!.toTypedArray() as Float32Array;
  const zp = node.input(3)?.initializer?.rawBytes();
  const kBlocks = Math.ceil(K / bs);
  const rowBytes = (kBlocks * bs * bits) / 8;
  const zpCols = Math.ceil((kBlocks * bits) / 8);
  const w = new Float64Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const blk = Math.floor(k / bs);
      const q = bits === 8 ? b[n * rowBytes + k]! : (b[n * rowBytes + (k >> 1)]! >> ((k & 1) * 4)) & 15;
      const z = !zp ? 1 << (bits - 1) : bits === 8 ? zp[n * zpCols + blk]! : (zp[n * zpCols + (blk >> 1)]! >> ((blk & 1) * 4)) & 15;
      w[k * N + n] = (q - z) * scales[n * kBlocks + blk]!;
    }
  }
  return w;
}

/** GatherBlockQuantized's table dequantized ([rows, K], uint8 data packed along the last axis). */
function dequantizeRows(data: Uint8Array, scales: Float32Array, rows: number, K: number, bs: number, bits: number): Float64Array {
  const rowBytes = Math.ceil((K * bits) / 8);
  const kBlocks = Math.ceil(K / bs);
  const out = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      const q = bits === 8 ? data[r * rowBytes + k]! : (data[r * rowBytes + (k >> 1)]! >> ((k & 1) * 4)) & 15;
      out[r * K + k] = (q - (1 << (bits - 1))) * scales[r * kBlocks + Math.floor(k / bs)]!;
    }
  }
  return out;
}

/** C = A [M, K] x B [K, N] in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) c[m * N + n]! += a[m * K + k]! * b[k * N + n]!;
  return c;
}

function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

function onlyNode(model: Model, opType: string): Node {
  const nodes = [...model.graph.allNodes()].filter((n) => n.opType === opType);
  expect(nodes.length).toBe(1);
  return nodes[0]!;
}

/** Largest difference relative to the reference's largest magnitude. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  return maxAbsDiff(actual, expected) / scale;
}

describe('Gemm', () => {
  const M = 3;
  const K = 96;
  const N = 40;
  const cases = [
    { name: 'transB, bias [N]', transA: 0, transB: 1, alpha: 1, beta: 1, c: 'bias' },
    { name: 'B as stored, bias [1, N], alpha 0.5', transA: 0, transB: 0, alpha: 0.5, beta: 1, c: 'row' },
    { name: 'transA, beta 2, C computed [M, N]', transA: 1, transB: 1, alpha: 1, beta: 2, c: 'input' },
    { name: 'beta 0: C ignored', transA: 0, transB: 0, alpha: 1.5, beta: 0, c: 'bias' },
    { name: 'no C', transA: 0, transB: 1, alpha: 1, beta: 1, c: 'none' },
  ] as const;

  for (const g of cases) {
    it(`${g.name}: MatMulNBits (+ Mul/Add) computes alpha * A' B' + beta * C on the quantized B`, async () => {
      const b = new ModelBuilder();
      const a = b.input('a', DataType.FLOAT, g.transA ? [K, M] : [M, K]);
      const wData = randomFloats(K * N, 11, 0.5);
      const w = b.initializer('w', wData, g.transB ? [N, K] : [K, N]);
      const cData = randomFloats(g.c === 'input' ? M * N : N, 12);
      const c =
        g.c === 'none' ? null : g.c === 'input' ? b.input('c', DataType.FLOAT, [M, N]) : b.initializer('c', cData, g.c === 'row' ? [1, N] : [N]);
      const attrs = {
        transA: g.transA,
        transB: g.transB,
        alpha: Attribute.float('alpha', g.alpha),
        beta: Attribute.float('beta', g.beta),
      };
      b.output(b.node('Gemm', c ? [a, w, c] : [a, w], attrs, { name: 'gemm' }), DataType.FLOAT, [M, N]);
      const model = b.build();
      const aData = randomFloats(M * K, 13);
      const feeds: Record<string, ort.Tensor> = { a: floatTensor(aData, g.transA ? [K, M] : [M, K]) };
      if (g.c === 'input') feeds.c = floatTensor(cData, [M, N]);
      const float = first(await runModel(model, feeds));

      const { summary } = quantizeNBits(model);
      expect(summary.counts).toEqual({ Gemm: 1 });
      expect(opCounts(model).Gemm).toBeUndefined();
      const nbits = onlyNode(model, 'MatMulNBits');
      expect([nbits.attr('K')!.asNumber(), nbits.attr('N')!.asNumber()]).toEqual([K, N]);
      // A bias of N values with nothing scaling it is MatMulNBits' own input 5.
      expect(nbits.input(5) !== null).toBe(g.c === 'bias' && g.alpha === 1 && g.beta === 1);
      expect(model.graph.initializers.has('w')).toBe(false);

      const out = first(await runModel(model, feeds));
      const aMat = g.transA ? transpose(aData, K, M) : aData;
      const expected = matmul(aMat, dequantizeNBits(nbits), M, K, N).map((v, i) => {
        const bias = g.c === 'none' || g.beta === 0 ? 0 : g.c === 'input' ? cData[i]! : cData[i % N]!;
        return g.alpha * v + g.beta * bias;
      });
      expect(relativeError(out, expected)).toBeLessThan(1e-5);
      expect(cosine(out, float)).toBeGreaterThan(0.99);
    });
  }

  it('a model whose linear layers are Gemm comes out at most 0.45x its float32 size, and runs', async () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      let h: Value = b.input('x', DataType.FLOAT, [4, 256]);
      for (let i = 0; i < 4; i++) {
        const w = b.initializer(`fc${i}.weight`, randomFloats(256 * 256, 20 + i, 0.1), [256, 256]);
        const bias = b.initializer(`fc${i}.bias`, randomFloats(256, 30 + i, 0.1), [256]);
        h = b.node('Gemm', [h, w, bias], { transB: 1 }, { name: `fc${i}` });
        if (i < 3) h = b.node('Relu', [h]);
      }
      b.output(h, DataType.FLOAT, [4, 256]);
      return b.build();
    };
    const before = modelToBytes(build()).length;
    const model = build();
    const { summary } = quantizeNBits(model);
    // Nothing before the Gemms does the model's work (no MatMul or Conv): they are its body, not a head.
    expect(summary.counts).toEqual({ Gemm: 4 });
    const after = modelToBytes(model).length;
    expect(after / before).toBeLessThanOrEqual(0.45);
    const feeds = { x: floatTensor(randomFloats(4 * 256, 40), [4, 256]) };
    expect(cosine(first(await runModel(model, feeds)), first(await runModel(build(), feeds)))).toBeGreaterThan(0.99);
  });

  it("keeps a model's head (Gemms after its last MatMul) float unless --include-nodes names them", async () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', DataType.FLOAT, [2, 64]);
      const h = b.node('MatMul', [x, b.initializer('body', randomFloats(64 * 64, 51, 0.2), [64, 64])], {}, { name: 'body_mm' });
      const p = b.node('Tanh', [
        b.node('Gemm', [h, b.initializer('pool', randomFloats(64 * 64, 52, 0.2), [64, 64])], { transB: 1 }, { name: 'pooler' }),
      ]);
      b.output(
        b.node('Gemm', [p, b.initializer('cls', randomFloats(3 * 64, 53, 0.2), [3, 64])], { transB: 1 }, { name: 'classifier' }),
        DataType.FLOAT,
        [2, 3],
      );
      return b.build();
    };
    const model = build();
    const { summary } = quantizeNBits(model);
    expect(summary.quantized.map((q) => q.node)).toEqual(['body_mm']);
    expect(summary.skipped).toEqual([
      { node: 'pooler', op: 'Gemm', reason: HEAD_REASON },
      { node: 'classifier', op: 'Gemm', reason: HEAD_REASON },
    ]);
    expect(summary.notes.join('\n')).toMatch(/skipped 2 node\(s\), Gemm: the model's head/);
    const named = build();
    expect(quantizeNBits(named, { includeNodes: ['body_mm', 'pooler', 'classifier'] }).summary.counts).toEqual({ MatMul: 1, Gemm: 2 });
    const feeds = { x: floatTensor(randomFloats(128, 54), [2, 64]) };
    expect(first(await runModel(named, feeds)).every(Number.isFinite)).toBe(true);
  });
});

describe('MatMul', () => {
  it('reads B from a Constant node, shares one quantized copy between two MatMuls, and writes accuracy_level only when asked', async () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      const x = b.input('x', DataType.FLOAT, [2, 5, 64]);
      const w = b.node('Constant', [], { value: tensorOf('w', randomFloats(64 * 48, 61, 0.3), [64, 48]) });
      const y1 = b.node('MatMul', [x, w], {}, { name: 'mm1' });
      const y2 = b.node('MatMul', [b.node('Relu', [x]), w], {}, { name: 'mm2' });
      b.output(b.node('Add', [y1, y2]), DataType.FLOAT, [2, 5, 48]);
      return b.build();
    };
    const model = build();
    const { summary } = quantizeNBits(model);
    expect(summary.weightsQuantized).toBe(1);
    expect(opCounts(model).Constant).toBeUndefined();
    const nodes = [...model.graph.nodes].filter((n) => n.opType === 'MatMulNBits');
    expect(nodes.length).toBe(2);
    expect(nodes[0]!.input(1)).toBe(nodes[1]!.input(1));
    expect(nodes.every((n) => !n.attributes.has('accuracy_level'))).toBe(true);
    const feeds = { x: floatTensor(randomFloats(2 * 5 * 64, 62), [2, 5, 64]) };
    expect(cosine(first(await runModel(model, feeds)), first(await runModel(build(), feeds)))).toBeGreaterThan(0.99);

    const level4 = build();
    quantizeNBits(level4, { accuracyLevel: 4, bits: 8, blockSize: 64 });
    const n = [...level4.graph.nodes].find((x) => x.opType === 'MatMulNBits')!;
    expect([...n.attributes.keys()]).toEqual(['K', 'N', 'bits', 'block_size', 'accuracy_level']);
    expect(['bits', 'block_size', 'accuracy_level'].map((k) => n.attr(k)!.asNumber())).toEqual([8, 64, 4]);
    expect(cosine(first(await runModel(level4, feeds)), first(await runModel(build(), feeds)))).toBeGreaterThan(0.999);
  });

  it('K not a multiple of the block size: the last block is padded, and the result matches the dequantized weight', async () => {
    const K = 50;
    const N = 7;
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [3, K]);
    b.output(b.node('MatMul', [x, b.initializer('w', randomFloats(K * N, 63), [K, N])]), DataType.FLOAT, [3, N]);
    const model = b.build();
    quantizeNBits(model, { symmetric: false });
    const node = onlyNode(model, 'MatMulNBits');
    expect(node.input(1)!.initializer!.dims.map(Number)).toEqual([N, 2, 16]);
    expect(node.input(3)!.initializer!.dims.map(Number)).toEqual([N, 1]);
    const xData = randomFloats(3 * K, 64);
    const out = first(await runModel(model, { x: floatTensor(xData, [3, K]) }));
    expect(relativeError(out, matmul(xData, dequantizeNBits(node), 3, K, N))).toBeLessThan(1e-5);
  });

  it('leaves MatMuls whose B is computed, or rank 3, or a graph input, and says so', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    const fed = b.input('fed', DataType.FLOAT, [8, 8]);
    const w3 = b.initializer('w3', randomFloats(2 * 8 * 8, 65), [2, 8, 8]);
    const y = b.node('MatMul', [b.node('MatMul', [x, fed]), b.node('Relu', [fed])]);
    b.output(b.node('MatMul', [y, w3], {}, { name: 'batched' }), DataType.FLOAT, [2, 2, 8]);
    const model = b.build();
    const before = modelToBytes(model);
    const { summary } = quantizeNBits(model);
    expect(summary.modified).toBe(false);
    expect(summary.skipped).toEqual([{ node: 'batched', op: 'MatMul', reason: 'B has rank 3, expected 2' }]);
    expect(summary.notes.join('\n')).toMatch(/2 node\(s\) have no float32 constant weight/);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
  });
});

describe('Gather and tied weights', () => {
  const V = 50;
  const D = 64;

  /** An LM with a tied embedding: Gather(E) for the input, MatMul(h, Transpose(E)) for the logits. */
  function tiedLm(options: { copy?: boolean; d?: number } = {}): Model {
    const d = options.d ?? D;
    const b = new ModelBuilder();
    const ids = b.input('ids', DataType.INT64, [2, 3]);
    const eData = randomFloats(V * d, 71, 0.5);
    const e = b.initializer('embed', eData, [V, d]);
    const h = b.node('Gather', [e, ids], {}, { name: 'embed_gather' });
    const head = options.copy
      ? b.initializer('head_t', Float32Array.from(transpose(eData, V, d)), [d, V])
      : b.node('Transpose', [e], { perm: [1, 0] });
    b.output(b.node('MatMul', [h, head], {}, { name: 'lm_head' }), DataType.FLOAT, [2, 3, V]);
    return b.build();
  }

  const ids = BigInt64Array.of(0n, 7n, 49n, 3n, 3n, 21n);
  const feeds = { ids: new ort.Tensor('int64', ids, [2, 3]) };

  for (const copy of [false, true]) {
    it(`${copy ? 'an exported transposed copy of E' : 'Transpose(E)'} and Gather(E): quantized once, GatherBlockQuantized reads MatMulNBits' B`, async () => {
      const model = tiedLm({ copy });
      const { summary } = quantizeNBits(model, { opTypes: ['MatMul', 'Gather'] });
      expect(summary.counts).toEqual({ MatMul: 1, Gather: 1 });
      expect(summary.tiedWeights).toBe(1);
      expect(summary.notes.join('\n')).toMatch(/1 weight\(s\) shared by a Gather and a MatMul\/Gemm were quantized once/);
      expect(opCounts(model).Transpose).toBeUndefined();
      expect([...model.graph.initializers.keys()].sort()).toEqual(['embed_Q4', 'embed_Q4_rows_shape', 'embed_scales']);
      const nbits = onlyNode(model, 'MatMulNBits');
      const gather = onlyNode(model, 'GatherBlockQuantized');
      expect(gather.input(0)!.producer()!.opType).toBe('Reshape');
      expect(gather.input(0)!.producer()!.input(0)).toBe(nbits.input(1));
      expect(gather.input(2)).toBe(nbits.input(2));
      expect(['bits', 'block_size', 'gather_axis', 'quantize_axis'].map((k) => gather.attr(k)!.asNumber())).toEqual([4, 32, 0, 1]);

      // Both ends computed here from the one dequantized table: logits = E_q[ids] . E_q^T.
      const w = dequantizeNBits(nbits); // [D, V] = E_q^T
      const table = transpose(w, D, V); // E_q [V, D]
      const rows = new Float64Array(ids.length * D);
      ids.forEach((id, i) => rows.set(table.subarray(Number(id) * D, Number(id) * D + D), i * D));
      const out = first(await runModel(model, feeds));
      expect(relativeError(out, matmul(rows, w, ids.length, D, V))).toBeLessThan(1e-5);
    });
  }

  it('D not a multiple of the block size: GatherBlockQuantized gets its own packed rows, shares the scales', async () => {
    const d = 48;
    const model = tiedLm({ d });
    const { summary } = quantizeNBits(model, { opTypes: ['MatMul', 'Gather'] });
    expect(summary.tiedWeights).toBe(1);
    const nbits = onlyNode(model, 'MatMulNBits');
    const gather = onlyNode(model, 'GatherBlockQuantized');
    expect(gather.input(0)!.initializer!.dims.map(Number)).toEqual([V, d / 2]);
    expect(gather.input(2)).toBe(nbits.input(2));
    const data = gather.input(0)!.initializer!.rawBytes();
    const table = dequantizeRows(data, gather.input(2)!.initializer!.toTypedArray() as Float32Array, V, d, 32, 4);
    // The same dequantized table both ways.
    expect(maxAbsDiff(table, transpose(dequantizeNBits(nbits), d, V))).toBe(0);
    const out = first(await runModel(model, feeds));
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('--format qdq: one DequantizeLinear feeds the Gather and, through a Transpose, the MatMul', async () => {
    const model = tiedLm();
    const float = first(await runModel(tiedLm(), feeds));
    const { summary } = quantizeNBits(model, { opTypes: ['MatMul', 'Gather'], format: 'qdq' });
    expect(summary.tiedWeights).toBe(1);
    expect(model.opsetVersion('')).toBe(21);
    const dq = onlyNode(model, 'DequantizeLinear');
    expect(dq.input(0)!.initializer!.dataType).toBe(DataType.INT4);
    expect(dq.input(0)!.initializer!.dims.map(Number)).toEqual([V, D]);
    expect([dq.attr('axis')!.asNumber(), dq.attr('block_size')!.asNumber()]).toEqual([1, 32]);
    expect(
      dq
        .output(0)
        .uses()
        .map((u) => u.node.opType)
        .sort(),
    ).toEqual(['Gather', 'Transpose']);
    expect(cosine(first(await runModel(model, feeds)), float)).toBeGreaterThan(0.99);
  });

  it('skips tables gathered along another axis, and odd rows for 4 bits (they cannot be packed), not for 8', () => {
    const build = (axis: number, d: number): Model => {
      const b = new ModelBuilder();
      const ids = b.input('ids', DataType.INT64, [3]);
      b.output(b.node('Gather', [b.initializer('table', randomFloats(40 * d, 72), [40, d]), ids], { axis }, { name: 'g' }), DataType.FLOAT);
      return b.build();
    };
    expect(quantizeNBits(build(1, 40), { opTypes: ['Gather'] }).summary.skipped[0]!.reason).toMatch(/gathers along axis 1/);
    expect(quantizeNBits(build(0, 33), { opTypes: ['Gather'] }).summary.skipped[0]!.reason).toMatch(/the last axis has 33 values/);
    expect(quantizeNBits(build(0, 33), { opTypes: ['Gather'], bits: 8 }).summary.counts).toEqual({ Gather: 1 });
  });
});

describe('subgraphs and functions', () => {
  it('quantizes MatMuls inside If branches (one copy of an outer weight) and leaves functions float with a note', async () => {
    const build = (withFunction = true): Model => {
      const b = new ModelBuilder({ opsets: { local: 1 } });
      const cond = b.input('cond', DataType.BOOL, []);
      const x = b.input('x', DataType.FLOAT, [2, 32]);
      const w = b.initializer('w', randomFloats(32 * 32, 81, 0.3), [32, 32]);
      const branch = (name: string, relu: boolean): GraphBuilder => {
        const g = new GraphBuilder(name);
        const y = g.node('MatMul', [x, w], {}, { name: `${name}_mm` });
        g.output(relu ? g.node('Relu', [y]) : y, DataType.FLOAT, [2, 32]);
        return g;
      };
      const out = b.node('If', [cond], { then_branch: branch('then', false).graph, else_branch: branch('else', true).graph });
      b.output(out, DataType.FLOAT, [2, 32]);
      const model = b.build();
      if (!withFunction) return model;
      const body = new GraphBuilder('fn');
      const fx = body.input('fx', DataType.FLOAT);
      body.output(
        body.node('MatMul', [fx, body.node('Constant', [], { value: tensorOf('fw', randomFloats(32 * 4, 82), [32, 4]) })], {}, { name: 'fn_mm' }),
      );
      const fn = new OnnxFunction({ name: 'Project', domain: 'local', body: body.graph });
      fn.opsetImports = [{ domain: '', version: 17 }];
      model.functions.push(fn);
      model.graph.append(new Node({ opType: 'Project', domain: 'local', name: 'project', inputs: [x], outputs: ['projected'] }));
      return model;
    };
    const model = build();
    const { summary } = quantizeNBits(model);
    expect(summary.quantized.map((q) => q.node).sort()).toEqual(['else_mm', 'then_mm']);
    expect(summary.weightsQuantized).toBe(1);
    expect(summary.notes.join('\n')).toMatch(/1 candidate node\(s\) inside model-local functions were left in float/);
    expect(opCounts(model).MatMul).toBeUndefined();
    expect([...model.functions[0]!.body.nodes].map((n) => n.opType)).toEqual(['Constant', 'MatMul']);
    expect(model.graph.initializers.has('w')).toBe(false);
    const ifNode = [...model.graph.nodes].find((n) => n.opType === 'If')!;
    for (const sub of ifNode.subgraphs()) expect([...sub.nodes].map((n) => n.opType)).toContain('MatMulNBits');

    const runnable = build(false);
    quantizeNBits(runnable);
    for (const c of [true, false]) {
      const f = { cond: new ort.Tensor('bool', Uint8Array.of(c ? 1 : 0), []), x: floatTensor(randomFloats(64, 83), [2, 32]) };
      expect(cosine(first(await runModel(runnable, f)), first(await runModel(build(false), f)))).toBeGreaterThan(0.99);
    }
  });
});

describe('QDQ format and the opset', () => {
  function withReduceMean(opset: number, extra?: (b: ModelBuilder, x: Value) => Value): Model {
    const b = new ModelBuilder({ opset });
    const x = b.input('x', DataType.FLOAT, [2, 64]);
    let h = b.node('Div', [x, b.node('ReduceMean', [x], { axes: [1], keepdims: 1 })]);
    if (extra) h = extra(b, h);
    b.output(b.node('MatMul', [h, b.initializer('w', randomFloats(64 * 16, 91, 0.3), [64, 16])], {}, { name: 'mm' }), DataType.FLOAT, [2, 16]);
    return b.build();
  }

  it('raises opset 17 to 21 and gives ReduceMean its axes as an input (onnxruntime leaves the attribute: invalid)', async () => {
    const feeds = { x: floatTensor(randomFloats(128, 92), [2, 64]) };
    const model = withReduceMean(17);
    const { summary } = quantizeNBits(model, { format: 'qdq' });
    expect(summary.opsetRaised).toEqual({ from: 17, to: 21 });
    expect(Number(model.irVersion)).toBe(10);
    const reduce = onlyNode(model, 'ReduceMean');
    expect(reduce.attributes.has('axes')).toBe(false);
    expect([...(reduce.input(1)!.initializer!.toTypedArray() as BigInt64Array)]).toEqual([1n]);
    const dq = onlyNode(model, 'DequantizeLinear');
    expect(dq.input(0)!.initializer!.dataType).toBe(DataType.INT4);
    expect([dq.attr('axis')!.asNumber(), dq.attr('block_size')!.asNumber()]).toEqual([0, 32]);
    expect(dq.input(2)).toBeNull();
    expect(cosine(first(await runModel(model, feeds)), first(await runModel(withReduceMean(17), feeds)))).toBeGreaterThan(0.99);

    const asym = withReduceMean(17);
    quantizeNBits(asym, { format: 'qdq', symmetric: false, bits: 8 });
    const dq8 = onlyNode(asym, 'DequantizeLinear');
    expect([dq8.input(0)!.initializer!.dataType, dq8.input(2)!.initializer!.dataType]).toEqual([DataType.UINT8, DataType.UINT8]);
    expect(cosine(first(await runModel(asym, feeds)), first(await runModel(withReduceMean(17), feeds)))).toBeGreaterThan(0.999);
  });

  it('raises through ops the version converter rewrites on the way, and the model keeps its outputs', async () => {
    // GroupNormalization 18 -> 21: scale and bias per group become per channel.
    const groupNorm = (): Model => {
      const b = new ModelBuilder({ opset: 18 });
      const x = b.input('x', DataType.FLOAT, [2, 4, 64]);
      const scale = b.initializer('gs', Float32Array.of(0.5, 2), [2]);
      const bias = b.initializer('gb', Float32Array.of(0.1, -0.3), [2]);
      const h = b.node('GroupNormalization', [x, scale, bias], { num_groups: 2 });
      b.output(b.node('MatMul', [h, b.initializer('w', randomFloats(64 * 16, 93, 0.3), [64, 16])], {}, { name: 'mm' }), DataType.FLOAT, [2, 4, 16]);
      return b.build();
    };
    const feeds = { x: floatTensor(randomFloats(2 * 4 * 64, 94), [2, 4, 64]) };
    const model = groupNorm();
    const { summary } = quantizeNBits(model, { format: 'qdq' });
    expect(summary.opsetRaised).toEqual({ from: 18, to: 21 });
    expect(summary.notes.join('\n')).toMatch(
      /DequantizeLinear's block_size needs opset 21: upgraded from opset 18 to 21: rewrote GroupNormalization 1/,
    );
    expect(onlyNode(model, 'GroupNormalization').input(1)!.producer()?.opType).toBe('Reshape');
    expect(cosine(first(await runModel(model, feeds)), first(await runModel(groupNorm(), feeds)))).toBeGreaterThan(0.99);

    // Gemm with opset 6's `broadcast` attribute (ONNX's backend test_Linear): the converter drops it at opset 7.
    const [w, c, x] = [randomFloats(16 * 64, 95, 0.3), randomFloats(16, 96), randomFloats(3 * 64, 97)];
    const b = new ModelBuilder({ opset: 6, irVersion: 3 });
    const gemmInputs = [b.input('x', DataType.FLOAT, [3, 64]), b.initializer('w', w, [16, 64]), b.initializer('c', c, [16])];
    b.output(b.node('Gemm', gemmInputs, { transB: 1, broadcast: 1 }, { name: 'linear' }), DataType.FLOAT, [3, 16]);
    const gemm = b.build();
    expect(quantizeNBits(gemm, { format: 'qdq', opTypes: ['Gemm'] }).summary.opsetRaised).toEqual({ from: 6, to: 21 });
    expect(onlyNode(gemm, 'Gemm').attributes.has('broadcast')).toBe(false);
    // onnxruntime runs opset 7 and later: the float result is computed here (x * w' + c).
    const expected = Float64Array.from({ length: 3 * 16 }, (_, i) => {
      const [row, col] = [Math.floor(i / 16), i % 16];
      return w.slice(col * 64, col * 64 + 64).reduce((sum, wk, k) => sum + wk * x[row * 64 + k]!, c[col]!);
    });
    expect(cosine(first(await runModel(gemm, { x: floatTensor(x, [3, 64]) })), expected)).toBeGreaterThan(0.99);
  });

  it('refuses, changing nothing, a model the version converter cannot raise to opset 21', () => {
    const model = withReduceMean(17, (b, h) => b.node('NotAnOnnxOp', [h]));
    const before = modelToBytes(model);
    let error: unknown;
    try {
      quantizeNBits(model, { format: 'qdq' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as Error).message).toMatch(/q4 --format qdq .* needs opset 21 and the model imports opset 17: cannot upgrade: NotAnOnnxOp/);
    expect((error as OnnxpressError).hint).toMatch(/--format qoperator/);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
    // The MatMulNBits form needs no opset change.
    expect(quantizeNBits(model).summary.modified).toBe(true);
  });
});

describe('nothing to do, and options', () => {
  it('a model with nothing to quantize is unchanged, with a note', () => {
    const b = new ModelBuilder();
    b.output(b.node('Relu', [b.input('x', DataType.FLOAT, [2, 8])]), DataType.FLOAT, [2, 8]);
    const model = b.build();
    const before = modelToBytes(model);
    const { summary } = quantizeNBits(model);
    expect(summary.modified).toBe(false);
    expect(summary.notes).toEqual(['nothing to quantize: no MatMul/Gemm node with a float32 constant weight']);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('a model already block-quantized says so and stays as it is', () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [2, 32]);
    b.output(b.node('MatMul', [x, b.initializer('w', randomFloats(32 * 8, 93), [32, 8])]), DataType.FLOAT, [2, 8]);
    const model = b.build();
    quantizeNBits(model);
    const before = modelToBytes(model);
    const { summary } = quantizeNBits(model);
    expect(summary.modified).toBe(false);
    expect(summary.notes.join('\n')).toMatch(/already block-quantized \(1 MatMulNBits\)/);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('--include-nodes and --exclude-nodes pick nodes by name', () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      let h: Value = b.input('x', DataType.FLOAT, [2, 32]);
      for (const name of ['a', 'b', 'c'])
        h = b.node('MatMul', [h, b.initializer(`w_${name}`, randomFloats(32 * 32, name.charCodeAt(0)), [32, 32])], {}, { name });
      b.output(h, DataType.FLOAT, [2, 32]);
      return b.build();
    };
    expect(quantizeNBits(build(), { includeNodes: ['b'] }).summary.quantized.map((q) => q.node)).toEqual(['b']);
    const excluded = quantizeNBits(build(), { excludeNodes: 'a,c' }).summary;
    expect(excluded.quantized.map((q) => q.node)).toEqual(['b']);
    expect(excluded.skipped.map((s) => s.reason)).toEqual(['excluded by --exclude-nodes', 'excluded by --exclude-nodes']);
    expect(quantizeNBits(build(), { includeNodes: ['nope'] }).summary.notes[0]).toMatch(/--include-nodes names no node/);
  });

  it('refuses options it cannot honour', () => {
    const model = new ModelBuilder().build();
    for (const [options, message] of [
      [{ bits: 3 }, /--bits must be 4 or 8/],
      [{ blockSize: 24 }, /--block-size must be a power of two of at least 16/],
      [{ blockSize: 8 }, /--block-size must be a power of two of at least 16/],
      [{ accuracyLevel: 5 }, /--accuracy-level must be 0 to 4/],
      [{ opTypes: ['Conv'] }, /'Conv' cannot be block-quantized/],
      [{ format: 'other' }, /--format must be qoperator or qdq/],
    ] as const) {
      expect(() => quantizeNBits(model, options as never)).toThrow(message);
    }
  });
});
