/** The weight-only format, opset raising (and refusing), and subgraphs. */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import { Node } from '../../../src/ir/graph.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { OnnxpressError } from '../../../src/errors.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import { GraphBuilder, ModelBuilder } from '../../../src/testing/builder.js';
import { cosine } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from './helpers.js';

const N = 3;

function mlp(options: { opset?: number; irVersion?: number; softmax?: boolean; sliceWithAttributes?: boolean } = {}): Model {
  const b = new ModelBuilder({ opset: options.opset ?? 17, irVersion: options.irVersion ?? 8 });
  const x = b.input('x', DataType.FLOAT, [N, 8]);
  const w1 = b.initializer('w1', randomFloats(8 * 16, 61, 0.5), [8, 16]);
  const w2 = b.initializer('w2', randomFloats(16 * 4, 62, 0.5), [16, 4]);
  const gemmW = b.initializer('gemm_w', randomFloats(4 * 4, 63, 0.5), [4, 4]);
  let h = b.node('Relu', [b.node('MatMul', [x, w1], {}, { name: 'mm1' })]);
  if (options.sliceWithAttributes) h = b.node('Slice', [h], { starts: [0], ends: [16], axes: [1] });
  const gemmC = b.initializer('gemm_c', randomFloats(4, 65, 0.5), [4]);
  let y = b.node('Gemm', [b.node('MatMul', [h, w2], {}, { name: 'mm2' }), gemmW, gemmC], { transB: 1 }, { name: 'gemm' });
  if (options.softmax) y = b.node('Softmax', [y], { axis: 1 });
  b.output(y, DataType.FLOAT, [N, 4]);
  return b.build();
}

const feeds = { x: floatTensor(randomFloats(N * 8, 64), [N, 8]) };
const first = (out: Record<string, ort.Tensor>): Float32Array => Object.values(out)[0]!.data as Float32Array;

describe('--format qdq (weight-only)', () => {
  it('stores int8 weights with a DequantizeLinear feeding the unchanged float ops', async () => {
    const float = await runModel(mlp(), feeds);
    const model = mlp();
    const { summary } = quantizeDynamic(model, { format: 'qdq' });
    expect(summary.counts).toEqual({ MatMul: 2, Gemm: 1 });
    expect(opCounts(model)).toEqual({ DequantizeLinear: 3, MatMul: 2, Gemm: 1, Relu: 1 });
    for (const name of ['w1', 'w2', 'gemm_w']) {
      expect(model.graph.initializers.get(`${name}_quantized`)!.initializer!.dataType).toBe(DataType.INT8);
      expect(model.graph.initializers.has(name)).toBe(false);
    }
    expect(cosine(first(float), first(await runModel(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('quantizes per output channel with DequantizeLinear axis (columns of B; rows of a transposed Gemm B)', async () => {
    const float = await runModel(mlp(), feeds);
    const model = mlp();
    quantizeDynamic(model, { format: 'qdq', perChannel: true });
    const axes = Object.fromEntries(
      [...model.graph.nodes].filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.input(0)!.name, n.attr('axis')?.asNumber()]),
    );
    expect(axes).toEqual({ w1_quantized: 1, w2_quantized: 1, gemm_w_quantized: 0 });
    expect(model.graph.initializers.get('w1_scale')!.initializer!.dims.map(Number)).toEqual([16]);
    expect(cosine(first(float), first(await runModel(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('upgrades an opset-12 model to 13 for per-axis DequantizeLinear (Softmax rewritten to keep its meaning)', async () => {
    const model = mlp({ opset: 12, softmax: true });
    const { summary } = quantizeDynamic(model, { format: 'qdq', perChannel: true });
    expect(summary.perChannel).toBe(true);
    expect(summary.opsetRaised).toEqual({ from: 12, to: 13 });
    expect(summary.notes.join('\n')).toMatch(/upgraded from opset 12 to 13: rewrote Softmax 1 \(opset 13\)/);
    expect(model.opsetVersion('')).toBe(13);
    const float = await runModel(mlp({ opset: 12, softmax: true }), feeds);
    expect(cosine(first(float), first(await runModel(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('falls back to per-tensor scales when the model cannot be upgraded to opset 13 for per-axis DequantizeLinear', () => {
    const model = mlp({ opset: 12 });
    // An experimental op ONNX removed: nothing to upgrade it to (the model does not run; only the plan is checked).
    const crop = new Node({ opType: 'Crop', inputs: [model.graph.inputs[0]!], outputs: ['cropped'], name: 'crop' });
    model.graph.append(crop);
    model.graph.appendOutput(crop.output(0));
    const { summary } = quantizeDynamic(model, { format: 'qdq', perChannel: true });
    expect(summary.perChannel).toBe(false);
    expect(summary.notes.join('\n')).toMatch(/per-axis DequantizeLinear needs opset 13 and the model \(opset 12\) cannot be upgraded to it/);
    expect(model.opsetVersion('')).toBe(12);
    for (const name of ['w1', 'w2', 'gemm_w']) expect(model.graph.initializers.get(`${name}_scale`)!.initializer!.dims.map(Number), name).toEqual([]);
  });
});

describe('opset', () => {
  it('raises an opset-9 model to 11 when every op keeps its meaning, and it runs', async () => {
    const float = await runModel(mlp({ opset: 9, irVersion: 4 }), feeds);
    const model = mlp({ opset: 9, irVersion: 4 });
    const { summary } = quantizeDynamic(model);
    expect(summary.opsetRaised).toEqual({ from: 9, to: 11 });
    expect(model.opsetVersion('')).toBe(11);
    expect(Number(model.irVersion)).toBe(6);
    expect(cosine(first(float), first(await runModel(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('upgrades an opset-9 model whose ops changed (Slice with attributes) to 11, and it runs', async () => {
    const float = await runModel(mlp({ opset: 9, irVersion: 4, sliceWithAttributes: true }), feeds);
    const model = mlp({ opset: 9, irVersion: 4, sliceWithAttributes: true });
    const { summary } = quantizeDynamic(model);
    expect(summary.opsetRaised).toEqual({ from: 9, to: 11 });
    expect(summary.notes.join('\n')).toMatch(/the quantized ops need opset 11: upgraded from opset 9 to 11: rewrote Slice 1 \(opset 10\)/);
    expect(cosine(first(float), first(await runModel(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('refuses with the op named, leaving the model as it was, when an op cannot be upgraded', () => {
    const model = mlp({ opset: 9, irVersion: 4 });
    const crop = new Node({ opType: 'Crop', inputs: [model.graph.inputs[0]!], outputs: ['cropped'], name: 'crop' });
    model.graph.append(crop);
    model.graph.appendOutput(crop.output(0));
    const before = modelToBytes(model);
    let error: unknown;
    try {
      quantizeDynamic(model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as Error).message).toMatch(/int8 quantization needs opset 11 and the model imports opset 9: .*Crop \(node 'crop'\)/);
    expect((error as Error).message).not.toMatch(/python|version_converter/i);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
  });

  it('treats an initializer listed as a graph input as a weight only in IR < 4, where every initializer is', async () => {
    const build = (irVersion: number): Model => {
      const b = new ModelBuilder({ opset: 9, irVersion });
      const x = b.input('x', DataType.FLOAT, [N, 8]);
      const w = b.initializer('w', randomFloats(8 * 4, 66, 0.5), [8, 4]);
      w.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: { dims: [{ value: 8 }, { value: 4 }] } };
      b.graph.inputs.push(w);
      b.output(b.node('MatMul', [x, w]), DataType.FLOAT, [N, 4]);
      return b.build();
    };
    const old = build(3);
    expect(quantizeDynamic(old).summary.counts).toEqual({ MatMul: 1 });
    expect(old.graph.inputs.map((v) => v.name)).toEqual(['x']);
    expect(old.graph.initializers.has('w')).toBe(false);
    expect(cosine(first(await runModel(build(3), feeds)), first(await runModel(old, feeds)))).toBeGreaterThan(0.999);
    // From IR 4 on, an initializer that is also an input is a default the caller may override: not a constant.
    const overridable = build(4);
    expect(quantizeDynamic(overridable).summary.modified).toBe(false);
  });

  it('adds the com.microsoft import only when a com.microsoft op is emitted', () => {
    const model = mlp();
    quantizeDynamic(model);
    expect(model.opsetImports.map((o) => o.domain)).toEqual(['']);
  });
});

describe('subgraphs', () => {
  it('quantizes MatMuls inside If branches, sharing one quantized copy of an outer weight', async () => {
    const build = (): Model => {
      const b = new ModelBuilder();
      const cond = b.input('cond', DataType.BOOL, []);
      const x = b.input('x', DataType.FLOAT, [N, 8]);
      const w = b.initializer('w', randomFloats(8 * 8, 71, 0.5), [8, 8]);
      const branch = (name: string, relu: boolean): GraphBuilder => {
        const g = new GraphBuilder(name);
        const y = g.node('MatMul', [x, w], {}, { name: `${name}_mm` });
        g.output(relu ? g.node('Relu', [y]) : y, DataType.FLOAT, [N, 8]);
        return g;
      };
      const out = b.node('If', [cond], { then_branch: branch('then', false).graph, else_branch: branch('else', true).graph });
      b.output(out, DataType.FLOAT, [N, 8]);
      return b.build();
    };
    const model = build();
    const { summary } = quantizeDynamic(model);
    expect(summary.quantized.map((q) => q.node).sort()).toEqual(['else_mm', 'then_mm']);
    expect(summary.weightsQuantized).toBe(1);
    expect([...model.graph.initializers.keys()].sort()).toEqual(['w_quantized', 'w_scale', 'w_zero_point']);
    for (const sub of [...model.graph.nodes][0]!.subgraphs()) {
      const ops = [...sub.nodes].map((n) => n.opType);
      expect(ops).toContain('MatMulInteger');
      expect(ops).not.toContain('MatMul');
    }
    for (const c of [true, false]) {
      const f = { cond: new ort.Tensor('bool', Uint8Array.of(c ? 1 : 0), []), x: feeds.x };
      expect(cosine(first(await runModel(build(), f)), first(await runModel(model, f)))).toBeGreaterThan(0.999);
    }
  });
});
