/**
 * A weight that a quantized op and a float op share is stored once (shared.ts): a GPT-2-style model with a tied
 * input embedding and LM head, built in code (test/fixtures/tied-gpt/model.mjs), against onnxruntime 1.30's own
 * quantize_dynamic file for the same model (test/fixtures/tied-gpt/ort-int8.onnx, see its README). And every
 * float weight a run leaves behind is reported with the reason.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel, parseModel } from '../../../src/io/load.js';
import { quantizeDynamic } from '../../../src/passes/quantize/quantize.js';
import type { QuantizeDynamicOptions } from '../../../src/passes/quantize/options.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { BATCH, buildTiedGpt, SEQ, tiedGptInputIds } from '../../fixtures/tied-gpt/model.mjs';
import { REPO_ROOT } from '../../helpers/corpus.js';
import { cosine } from '../../helpers/metrics.js';
import { runModel } from '../../helpers/ort.js';
import { tempDir } from '../../helpers/temp.js';
import { opCounts, randomFloats } from './helpers.js';

const REFERENCE = join(REPO_ROOT, 'test', 'fixtures', 'tied-gpt', 'ort-int8.onnx');
const WTE = 'transformer.wte.weight';
const build = (): Model => buildTiedGpt({ ModelBuilder, DataType });
const feeds = { input_ids: new ort.Tensor('int64', tiedGptInputIds(), [BATCH, SEQ]) };

async function logits(model: Model | Uint8Array | string): Promise<Float32Array> {
  return Object.values(await runModel(model, feeds))[0]!.data as Float32Array;
}

function quantized(options: QuantizeDynamicOptions = {}): {
  model: Model;
  bytes: Uint8Array;
  summary: ReturnType<typeof quantizeDynamic>['summary'];
} {
  const model = build();
  const { summary } = quantizeDynamic(model, options);
  return { model, bytes: modelToBytes(model), summary };
}

describe('tied input embedding and LM head (GPT-2 style)', () => {
  it("stores the token table once: at most 1.01x onnxruntime's file, cosine within 0.0001 of onnxruntime's", async () => {
    const float32 = await logits(build());
    const { model, bytes, summary } = quantized();
    const reference = readFileSync(REFERENCE);
    const ours = await logits(bytes);
    const theirs = await logits(REFERENCE);
    expect(bytes.length).toBeLessThanOrEqual(reference.length * 1.01);
    expect(Math.abs(cosine(ours, float32) - cosine(theirs, float32))).toBeLessThanOrEqual(1e-4);

    // The table is there once, as onnxruntime's uint8 Gather copy, bit for bit; no float copy is left.
    const theirModel = loadModel(REFERENCE);
    const table = model.graph.initializers.get(`${WTE}_quantized`)!.initializer!;
    expect(table.dataType).toBe(DataType.UINT8);
    expect(Buffer.from(table.rawBytes()).equals(Buffer.from(theirModel.graph.initializers.get(`${WTE}_quantized`)!.initializer!.rawBytes()))).toBe(
      true,
    );
    expect(model.graph.initializers.has(WTE)).toBe(false);
    expect(
      [...model.graph.initializers.values()].filter((v) => v.initializer!.dataType === DataType.FLOAT && v.initializer!.byteSize >= 4096),
    ).toEqual([]);
    expect(summary.sharedWeights).toEqual([
      { weight: WTE, storedAs: 'uint8', floatReaders: ["Transpose 'lm_head_transpose'"], via: 'Cast/Mul folded at load' },
    ]);
    expect(summary.floatWeightsLeft).toEqual([]);
    expect(summary.notes.join('\n')).toMatch(
      /1 weight\(s\) read by quantized and float ops stored once, quantized: 'transformer.wte.weight' as uint8, which Transpose 'lm_head_transpose' read\(s\) through Cast\/Mul folded at load/,
    );
    // The LM head reads the table rebuilt from the uint8 copy: the values onnxruntime's DequantizeLinear gives it.
    const transpose = [...model.graph.nodes].find((n) => n.name === 'lm_head_transpose')!;
    expect(transpose.input(0)!.producer()!.opType).toBe('Mul');
    expect(cosine(ours, theirs)).toBeGreaterThan(0.999999);
  });

  it('ONNX Runtime folds the rebuilt table at load: the optimized model has no Cast/Sub/Mul on it', async () => {
    const { bytes } = quantized();
    const path = join(tempDir(), 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic', optimizedModelFilePath: path });
    await session.release();
    const optimized = loadModel(path);
    const head = [...optimized.graph.nodes].find((n) => n.opType === 'MatMul' && n.input(1)?.initializer);
    expect(head?.input(1)!.initializer!.dims.map(Number)).toEqual([64, 1024]);
  });

  it('--format qdq: the float reader gets the table through DequantizeLinear', async () => {
    const { model, bytes, summary } = quantized({ format: 'qdq' });
    expect(summary.sharedWeights).toEqual([expect.objectContaining({ weight: WTE, via: 'DequantizeLinear' })]);
    expect(model.graph.initializers.has(WTE)).toBe(false);
    const transpose = [...model.graph.nodes].find((n) => n.name === 'lm_head_transpose')!;
    expect(transpose.input(0)!.producer()!.opType).toBe('DequantizeLinear');
    expect(cosine(await logits(bytes), await logits(build()))).toBeGreaterThan(0.999);
  });

  it('a quantizable op left float asks for the float table: it stays, and the summary says why', () => {
    const byOpTypes = quantized({ opTypes: ['MatMul'] });
    expect(byOpTypes.model.graph.initializers.has(WTE)).toBe(true);
    expect(byOpTypes.summary.sharedWeights).toEqual([]);
    expect(byOpTypes.summary.floatWeightsLeft).toEqual([
      {
        weight: WTE,
        bytes: 1024 * 64 * 4,
        reason: "read by Gather 'wte_gather' (--op-types leaves Gather out), Transpose 'lm_head_transpose' (keeps float math)",
      },
    ]);
    expect(byOpTypes.summary.notes.join('\n')).toMatch(
      /1 float weight\(s\) of 64.0 KiB or more left float, 256.0 KiB in all: 'transformer.wte.weight' \(256.0 KiB\): read by Gather/,
    );

    const excluded = quantized({ excludeNodes: ['wte_gather'] });
    expect(excluded.summary.floatWeightsLeft[0]!.reason).toBe(
      "read by Gather 'wte_gather' (skipped: excluded by --exclude-nodes), Transpose 'lm_head_transpose' (keeps float math)",
    );
  });
});

describe('shared weights elsewhere', () => {
  it('a Conv weight also read by a float op: one int8 copy, the graph stays sorted, outputs close', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [1, 2, 5, 5]);
    const w = b.initializer('w', randomFloats(3 * 2 * 3 * 3, 61, 0.5), [3, 2, 3, 3]);
    // The float reader comes first in the graph, the Conv (whose expansion is made first) after it.
    const norm = b.node('ReduceSum', [b.node('Mul', [w, w], {}, { name: 'square' })], { keepdims: 0 }, { name: 'norm' });
    const y = b.node('Conv', [x, w], { pads: [1, 1, 1, 1] }, { name: 'conv' });
    b.output(b.node('Mul', [y, norm], {}, { name: 'scale' }), DataType.FLOAT, [1, 3, 5, 5]);
    const model = b.build();
    const float = await runModel(modelToBytes(model), { x: new ort.Tensor('float32', randomFloats(50, 62), [1, 2, 5, 5]) });
    const { summary } = quantizeDynamic(model);
    expect(summary.sharedWeights).toEqual([{ weight: 'w', storedAs: 'int8', floatReaders: ["Mul 'square'"], via: 'Cast/Mul folded at load' }]);
    expect(model.graph.initializers.has('w')).toBe(false);
    expect(opCounts(model)).toMatchObject({ Conv: 1, Cast: 1 });
    const got = await runModel(parseModel(modelToBytes(model)), { x: new ort.Tensor('float32', randomFloats(50, 62), [1, 2, 5, 5]) });
    expect(cosine(Object.values(got)[0]!.data as Float32Array, Object.values(float)[0]!.data as Float32Array)).toBeGreaterThan(0.999);
  });
});
