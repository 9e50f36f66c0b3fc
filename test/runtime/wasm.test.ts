/**
 * `--provider wasm`: onnxruntime-web's WebAssembly backend in a session worker computes what onnxruntime-node's CPU
 * provider computes. Each corpus model's float32 file runs on its test_data_set_0 through the worker (onnxruntime-web)
 * and directly in this process (onnxruntime-node, test/helpers/ort.ts); every output must agree to cosine 0.99999.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataTypeInfo } from '../../src/ir/dtypes.js';
import { loadTestInputs } from '../../src/io/tensor-files.js';
import { parseTypeName } from '../../src/io/json-input.js';
import { writeSamples } from '../../src/runtime/samples.js';
import { SessionProcess } from '../../src/runtime/session.js';
import { validate } from '../../src/validate/validate.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { cosine } from '../helpers/metrics.js';
import { runModel } from '../helpers/ort.js';

const work = mkdtempSync(join(tmpdir(), 'onnxpress-wasm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function readFloats(file: string, type: string): Float64Array {
  const dataType = parseTypeName(type)!;
  const bytes = readFileSync(file);
  const Ctor = dataTypeInfo(dataType).array!;
  const copy = new Uint8Array(bytes);
  const values = new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
  return Float64Array.from(values as ArrayLike<number>, Number);
}

describe.skipIf(!HAVE_CORPUS)('onnxruntime-web (wasm) in a session worker', () => {
  it.each(CORPUS_MODELS)(
    '%s: agrees with onnxruntime-node CPU to cosine 0.99999 on every output',
    async (name) => {
      const model = join(CORPUS_MODELS_DIR, name, 'model.onnx');
      const inputs = loadTestInputs(join(CORPUS_MODELS_DIR, name, 'test_data_set_0'));
      const dir = mkdtempSync(join(work, `${name}-`));
      const session = new SessionProcess('candidate', model, undefined, undefined, 'onnxruntime-web');
      try {
        await session.started();
        expect(session.runtime()).toMatchObject({ name: 'onnxruntime-web', provider: 'wasm' });
        expect(session.runtime().version).toMatch(/^1\.\d+\.\d+/);
        const samples = writeSamples(dir, [inputs]);
        await session.load(
          { modelPath: model, providers: ['wasm'], intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
          samples,
        );
        const web = await session.run(0, { dir, prefix: 'web' });
        const node = await runModel(model, inputs);
        expect(web.outputs.map((o) => o.name).sort()).toEqual(Object.keys(node).sort());
        for (const output of web.outputs) {
          const expected = node[output.name]!;
          expect(output.dims, output.name).toEqual(expected.dims.map(Number));
          const similarity = cosine(readFloats(output.file!, output.type), Float64Array.from(expected.data as ArrayLike<number>, Number));
          expect(similarity, `${name} ${output.name}`).toBeGreaterThanOrEqual(0.99999);
        }
      } finally {
        await session.close();
      }
    },
    120_000,
  );

  it('validate --provider wasm --baseline-provider cpu compares the two runtimes and says which ran what', async () => {
    const model = join(CORPUS_MODELS_DIR, 'digits_cnn', 'model.onnx');
    const result = await validate({ baseline: model, candidate: model, providers: 'wasm', baselineProvider: 'cpu', threads: 1 });
    expect(result.passed).toBe(true);
    expect(result.environment.executionProvider).toBe('cpu -> wasm');
    expect(result.baseline.runtime).toMatchObject({ name: 'onnxruntime-node', provider: 'cpu' });
    expect(result.candidate.runtime).toMatchObject({ name: 'onnxruntime-web', provider: 'wasm' });
    expect(result.outputs[0]!.metrics.cosine).toBeGreaterThanOrEqual(0.99999);
  }, 120_000);
});
