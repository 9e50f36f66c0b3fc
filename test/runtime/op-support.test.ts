/**
 * convert --target: the lint of the output against the target's kernels (runtime/op-support), before anything is
 * written, and a sample of the kernel table checked against the onnxruntime-web in node_modules (its WebAssembly
 * build, in this process): what the table says is missing fails to load there, and what it says is present loads.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as OrtWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Model } from '../../src/ir/model.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { saveModel } from '../../src/io/save.js';
import { lintForTarget } from '../../src/runtime/op-support/lint.js';
import { CPU_MISSING, WEBGPU_KERNELS } from '../../src/runtime/op-support/onnxruntime-web.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';

const ort = createRequire(import.meta.url)('onnxruntime-web') as typeof OrtWeb;
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'fatal';

/** y = op(x), one node; `domain` outside ai.onnx is imported at version 1. */
function oneNode(op: string, type: DataType = DataType.FLOAT, domain = ''): Model {
  const b = new ModelBuilder({ opset: 20, ...(domain ? { opsets: { [domain]: 1 } } : {}) });
  const x = b.input('x', type, [4]);
  b.output(b.node(op, [x], {}, domain ? { domain } : {}), type, [4]);
  return b.build();
}

async function loadsInWasm(model: Model): Promise<boolean> {
  try {
    const session = await ort.InferenceSession.create(modelToBytes(model), { executionProviders: ['wasm'], logSeverityLevel: 4 });
    await session.release();
    return true;
  } catch {
    return false;
  }
}

describe('the kernel table against onnxruntime-web (WebAssembly)', () => {
  it('ops it lists as missing do not load, a sample of the others does, and a custom-op domain does not', async () => {
    for (const op of CPU_MISSING['']!) expect(await loadsInWasm(oneNode(op, DataType.UINT8)), op).toBe(false);
    // Ops on both sides of the WebGPU table: the WebAssembly build has them all.
    const sample = ['Relu', 'Erf', 'Sigmoid', 'Softsign', 'Round', 'Selu'];
    expect(sample.filter((op) => WEBGPU_KERNELS['']!.includes(op)).length).toBeGreaterThan(0);
    expect(sample.filter((op) => !WEBGPU_KERNELS['']!.includes(op)).length).toBeGreaterThan(0);
    for (const op of sample) expect(await loadsInWasm(oneNode(op)), op).toBe(true);
    expect(await loadsInWasm(oneNode('Tokenize', DataType.FLOAT, 'ai.onnx.contrib'))).toBe(false);
  });

  it('the lint names every op without a kernel, with the target', () => {
    expect(lintForTarget(oneNode('Relu'), 'webgpu')).toEqual([]);
    const [warning] = lintForTarget(oneNode('Softsign'), 'webgpu');
    expect(warning).toMatchObject({ severity: 'warning', op: 'Softsign', nodes: 1 });
    expect(warning!.message).toMatch(/no WebGPU kernel in onnxruntime-web .* it runs on the CPU/);
    expect(lintForTarget(oneNode('Softsign'), 'web')).toEqual([]);
    const [error] = lintForTarget(oneNode('Tokenize', DataType.FLOAT, 'ai.onnx.contrib'), 'web');
    expect(error).toMatchObject({ severity: 'error', op: 'ai.onnx.contrib::Tokenize' });
    expect(error!.message).toMatch(/custom-op domain 'ai.onnx.contrib' has no kernels in onnxruntime-web .*WebAssembly/);
  });
});

describe('convert --target', () => {
  it('refuses, before writing anything, an output with an op the target lacks, naming the op and the target', async () => {
    const dir = tempDir();
    const input = join(dir, 'custom.onnx');
    saveModel(oneNode('Tokenize', DataType.FLOAT, 'ai.onnx.contrib'), input);
    const out = join(dir, 'out');
    const r = await runCli(['convert', input, '-o', join(out, 'model.onnx'), '--to', 'none', '--target', 'web']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--target web: error: ai\.onnx\.contrib::Tokenize \(1 node\): custom-op domain/);
    expect(r.stderr).toMatch(/ops without a kernel in --target web: ai\.onnx\.contrib::Tokenize; nothing was written/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);

    const allowed = await runCli(['convert', input, '-o', join(out, 'model.onnx'), '--to', 'none', '--target', 'web', '--allow-unsupported-ops']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(['model.onnx']);
  });

  it('variants --target makes a variant with such an op an error and writes nothing for it', async () => {
    const dir = tempDir();
    const input = join(dir, 'custom.onnx');
    saveModel(oneNode('Tokenize', DataType.FLOAT, 'ai.onnx.contrib'), input);
    const r = await runCli(['variants', input, '--only', 'fp16', '--no-validate', '--target', 'web', '--json']);
    const outcome = (JSON.parse(r.stdout) as { variants: { status: string; error?: { message: string } }[] }).variants[0]!;
    expect(outcome.status).toBe('error');
    expect(outcome.error!.message).toMatch(/ops without a kernel in target web: ai\.onnx\.contrib::Tokenize .*custom-op domain/);
    expect(readdirSync(dir)).toEqual(['custom.onnx']);
  });

  it.skipIf(!HAVE_CORPUS)('webgpu: warns about int8 ops that run on the CPU, and keeps float32 inputs/outputs of an FP16 model', async () => {
    const dir = tempDir();
    const model = join(CORPUS_MODELS_DIR, 'char_gpt', 'model.onnx');
    const q8 = await runCli(['convert', model, '-o', join(dir, 'q8.onnx'), '--to', 'int8', '--target', 'webgpu']);
    expect(q8.exitCode, q8.stderr).toBe(0);
    expect(q8.stderr).toMatch(/--target webgpu: warning: MatMulInteger \(\d+ nodes\): no WebGPU kernel/);
    const fp16 = await runCli(['convert', model, '-o', join(dir, 'fp16.onnx'), '--to', 'fp16', '--target', 'webgpu', '--json']);
    expect(fp16.exitCode, fp16.stderr).toBe(0);
    const inspect = await runCli(['inspect', join(dir, 'fp16.onnx'), '--json']);
    // Without --target webgpu, fp16 makes the logits float16.
    const outputs = (JSON.parse(inspect.stdout) as { outputs: { name: string; elemType: string }[] }).outputs;
    expect(outputs.map((o) => o.elemType)).toEqual(['float']);
  });
});
