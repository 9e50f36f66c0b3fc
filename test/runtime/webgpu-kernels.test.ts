/**
 * The WebGPU half of the kernel table (src/runtime/op-support/onnxruntime-web.ts) against the real onnxruntime-web
 * WebGPU provider in headless Chromium: models y = OP(Relu(x)) of ops the table lists and of ops it does not, loaded
 * with node placement logging; OP is placed on WebGpuExecutionProvider exactly when the table says it has a kernel.
 * Skips when Chromium is not installed, except in CI (process.env.CI), where .ci/run installs it.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { chromiumOnPath } from '../../src/runtime/browser/chromium.js';
import { BrowserHost } from '../../src/runtime/browser/host.js';
import { WEBGPU_KERNELS } from '../../src/runtime/op-support/onnxruntime-web.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { tempDir } from '../helpers/temp.js';

const CHROMIUM = chromiumOnPath();
const SAMPLE = ['Relu', 'Sigmoid', 'Softplus', 'Softsign', 'Round', 'Selu'];

describe.skipIf(!CHROMIUM && !process.env.CI)('the WebGPU kernel table against onnxruntime-web in Chromium', () => {
  let host: BrowserHost | undefined;
  afterAll(async () => host?.close());

  it('places each sampled op on WebGPU exactly when the table lists a WebGPU kernel for it', async () => {
    if (!CHROMIUM) throw new Error('CI needs chromium on PATH; .ci/run installs it with apt-get');
    expect(SAMPLE.filter((op) => WEBGPU_KERNELS['']!.includes(op))).toEqual(['Relu', 'Sigmoid', 'Softplus']);
    const dir = tempDir();
    host = await BrowserHost.start(undefined, undefined, { logPlacements: true });
    const placed: Record<string, string> = {};
    for (const op of SAMPLE) {
      const b = new ModelBuilder({ opset: 18 });
      const relu = b.node('Relu', [b.input('x', DataType.FLOAT, [4])]);
      b.output(b.node(op, [relu]), DataType.FLOAT, [4]);
      const file = join(dir, `${op}.onnx`);
      saveModel(b.build(), file);
      const session = host.session(op, file, { providers: ['web-webgpu'] });
      await session.started();
      await session.load(
        { modelPath: file, providers: ['web-webgpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
        [],
      );
      const placements = session.runtime().placements;
      // " All nodes placed on [X]" lists no nodes: X runs them all.
      const providers = Object.entries(placements ?? {});
      placed[op] = providers.find(([, ops]) => ops.length === 0 || ops.includes(op))?.[0] ?? 'nowhere';
      await session.close();
    }
    const expected = Object.fromEntries(
      SAMPLE.map((op) => [op, WEBGPU_KERNELS['']!.includes(op) ? 'WebGpuExecutionProvider' : 'CPUExecutionProvider']),
    );
    expect(placed).toEqual(expected);
  }, 180_000);

  it("collects the page's WebGPU console errors and uncaught errors for the session, and nothing else", async () => {
    const dir = tempDir();
    const b = new ModelBuilder({ opset: 18 });
    b.output(b.node('Relu', [b.input('x', DataType.FLOAT, [4])]), DataType.FLOAT, [4]);
    const file = join(dir, 'relu.onnx');
    saveModel(b.build(), file);
    host ??= await BrowserHost.start(undefined, undefined, { logPlacements: true });
    const session = host.session('console', file, { providers: ['web-webgpu'] });
    await session.started();
    const page = host.browser.contexts().flatMap((c) => c.pages())[0]!;
    await page.evaluate(() => {
      console.error('[Invalid ShaderModule "matmul"] is invalid. - While validating compute stage');
      console.error('an unrelated message');
      setTimeout(() => {
        throw new Error('thrown in the page');
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(session.consoleErrors()).toEqual([
      'console error: [Invalid ShaderModule "matmul"] is invalid. - While validating compute stage',
      'uncaught error in the page: thrown in the page',
    ]);
    await session.close();
  }, 120_000);
});
