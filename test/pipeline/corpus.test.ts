/**
 * A pipeline over a folder of models onnxpress has not seen: ONNX's own test models with If subgraphs and
 * LSTMs, an old PyTorch export (IR 3, opset 6, which ONNX Runtime cannot run), and a model with weights in
 * Constant nodes at opset 9. Every variant ends validated or with a reason, with two jobs; a second run comes
 * from the cache.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInConversions } from '../../src/conversions/builtins.js';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { loadPipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { ModelBuilder, tensorOf } from '../../src/testing/builder.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { tempDir, writeFile } from './helpers.js';

const FROM_CORPUS = ['node/test_if', 'node/test_lstm_defaults', 'node/test_lstm_with_peepholes', 'pytorch-converted/test_Linear'];

function constantWeightsModel(file: string): void {
  const b = new ModelBuilder({ opset: 9, irVersion: 4 });
  const x = b.input('x', DataType.FLOAT, [2, 16]);
  const w = b.node('Constant', [], {
    value: tensorOf(
      'w',
      Float32Array.from({ length: 256 }, (_v, i) => Math.cos(i)),
      [16, 16],
    ),
  });
  const bias = b.node('Constant', [], {
    value: tensorOf(
      'b',
      Float32Array.from({ length: 16 }, (_v, i) => i / 16),
      [16],
    ),
  });
  const y = b.node('Add', [b.node('MatMul', [x, w]), bias]);
  b.output(b.node('Relu', [y]), DataType.FLOAT, [2, 16]);
  saveModel(b.build(), file);
}

describe.skipIf(!HAVE_CORPUS)('a folder of unseen models', () => {
  it('runs to completion with --jobs 2, every variant validated or with a reason; the second run is cached', async () => {
    const root = tempDir();
    for (const m of FROM_CORPUS) cpSync(path.join(CORPUS, 'onnx-backend', m), path.join(root, 'zoo', path.basename(m)), { recursive: true });
    writeFile(path.join(root, 'zoo/const_weights/model.onnx'), '');
    constantWeightsModel(path.join(root, 'zoo/const_weights/model.onnx'));
    const conversions = ['int8', 'fp16'].filter((c) => builtInConversions().has(c));
    const file = writeFile(
      path.join(root, 'p.yaml'),
      `models: [zoo]
variants:
  copy: none
${conversions.map((c) => `  ${c}: { to: ${c}${c === 'fp16' ? ', keepIoTypes: true' : ''} }`).join('\n')}
validate:
  latency: false
`,
    );
    const first = await runPipeline(planPipeline(loadPipeline(file)), { jobs: 2 });
    const ids = ['const_weights', 'test_Linear', 'test_if', 'test_lstm_defaults', 'test_lstm_with_peepholes'];
    expect(first.entries.map((e) => `${e.model}/${e.variant}`)).toEqual(ids.flatMap((id) => ['copy', ...conversions].map((v) => `${id}/${v}`)));
    for (const e of first.entries) {
      const what = `${e.model}/${e.variant}: ${e.error?.message}`;
      if (e.status === 'error') expect(e.error!.message.length, what).toBeGreaterThan(10);
      else expect(e.result, what).toBeDefined();
      // ONNX Runtime has no kernel for opset-6 Gemm: the original itself cannot run, which is the reason given.
      if (e.model === 'test_Linear' && e.variant === 'copy') {
        expect(e.error, what).toMatchObject({ stage: 'validate' });
        expect(e.error!.message).toMatch(/Gemm\(6\)/);
      } else if (e.model === 'test_Linear') {
        expect(e.status, what).toBe('error');
      } else if (e.variant === 'copy') {
        // A lossless copy computes exactly what the original does.
        expect(e.status, what).toBe('pass');
        for (const o of e.result!.outputs) expect(o.metrics.maxAbs, what).toBe(0);
      } else {
        // Every conversion of a model ONNX Runtime can run is validated and stays close to the original.
        expect(e.status, what).toBe('pass');
        for (const o of e.result!.outputs) expect(o.metrics.cosine, `${what} ${o.name}`).toBeGreaterThan(0.999);
      }
    }
    // The inputs of corpus models are their test data; the built model has none, so it gets random inputs.
    expect(first.entries.find((e) => e.model === 'test_if')!.result!.inputs.source).toBe('test-data');
    expect(first.entries.find((e) => e.model === 'const_weights')!.result!.inputs.source).toBe('random');

    const second = await runPipeline(planPipeline(loadPipeline(file)), { jobs: 2 });
    const crashed = first.entries.filter((e) => e.error?.stage === 'worker').length;
    expect(second.entries.filter((e) => e.cached)).toHaveLength(first.entries.length - crashed);
    if (crashed === 0) expect(second.seconds).toBeLessThan(first.seconds * 0.1);
  });
});
