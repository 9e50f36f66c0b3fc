/**
 * onnxruntime-web's WebGPU provider in headless Chromium (validate --provider web-webgpu), end to end through the
 * built CLI: real Chromium (Debian's, on PATH), real onnxruntime-web, the corpus's char_gpt and onnxruntime's own
 * q4 and fp16 files of it. Every run is checked to leave no browser process behind (the processes are found by a
 * marker in their environment), on success, on failure and on Ctrl-C.
 * Skips when Chromium is not installed, except in CI (process.env.CI), where .ci/run installs it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumOnPath } from '../../src/runtime/browser/chromium.js';
import type { ValidationResult } from '../../src/validate/types.js';
import { CLI, runCli } from '../helpers/cli.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { processesMarked } from '../helpers/hanging-model.js';
import { tempDir } from '../helpers/temp.js';

const CHROMIUM = chromiumOnPath();
if (!CHROMIUM && !process.env.CI) console.warn('browser runtime tests skipped: no chromium on PATH (apt-get install chromium; CI installs it)');

const CHAR_GPT = join(CORPUS_MODELS_DIR, 'char_gpt');
let markers = 0;

/** Runs the CLI with a fresh marker in its environment; returns what it printed and which marked processes remain. */
async function validateMarked(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; left: number[]; seconds: number }> {
  const marker = `ONNXPRESS_BROWSER_TEST_${process.pid}_${++markers}`;
  const started = performance.now();
  const r = await runCli(['validate', ...args], { env: { [marker]: '1' } });
  const seconds = (performance.now() - started) / 1000;
  return { ...r, left: await settled(marker), seconds };
}

/** Marked processes still alive after up to 5 s (a killed process group takes a moment to go). */
async function settled(marker: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    if (processesMarked(marker).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return processesMarked(marker);
}

describe.skipIf((!CHROMIUM && !process.env.CI) || !HAVE_CORPUS)('validate --provider web-webgpu (headless Chromium)', () => {
  let adapterFeatures: string[] | undefined;

  it('char_gpt float32 vs its q4 file passes, reports the adapter, and leaves no process behind', async () => {
    if (!CHROMIUM) throw new Error('CI needs chromium on PATH; .ci/run installs it with apt-get');
    const report = tempDir();
    const r = await validateMarked([
      '--baseline',
      join(CHAR_GPT, 'model.onnx'),
      '--candidate',
      join(CHAR_GPT, 'ort', 'q4.onnx'),
      '--provider',
      'web-webgpu',
      '--latency',
      '--warmup',
      '1',
      '--iterations',
      '5',
      '--report',
      report,
      '--format',
      'json,md',
    ]);
    console.log(`web-webgpu validation of char_gpt float32 vs q4 (browser start included, 5 timed rounds): ${r.seconds.toFixed(1)} s`);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.left).toEqual([]);
    const result = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as ValidationResult;
    expect(result.passed).toBe(true);
    expect(result.environment.executionProvider).toBe('web-webgpu');
    for (const side of [result.baseline, result.candidate]) {
      expect(side.runtime).toMatchObject({ name: 'onnxruntime-web', provider: 'webgpu' });
      expect(side.runtime!.host).toMatch(/^Chromium \d+/);
      expect(side.runtime!.adapter!.features.length).toBeGreaterThan(0);
    }
    const adapter = result.candidate.runtime!.adapter!;
    adapterFeatures = adapter.features;
    if (adapter.software) expect(result.notes.join('\n')).toMatch(/software WebGPU adapter/);
    expect(result.outputs[0]!.metrics.cosine).toBeGreaterThan(0.99);
    expect(readFileSync(join(report, 'report.md'), 'utf8')).toMatch(/Runtime: onnxruntime-web .*\(webgpu\) in Chromium/);
  }, 180_000);

  it('the FP16 file fails with a message naming shader-f16 on an adapter without it', async () => {
    const r = await validateMarked([
      '--baseline',
      join(CHAR_GPT, 'model.onnx'),
      '--candidate',
      join(CHAR_GPT, 'ort', 'fp16.onnx'),
      '--provider',
      'web-webgpu',
    ]);
    expect(r.left).toEqual([]);
    if (adapterFeatures?.includes('shader-f16')) {
      expect(r.exitCode, r.stderr).toBe(0);
      return;
    }
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/fp16\.onnx: the candidate model computes in float16 .* lacks the 'shader-f16' feature/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  }, 180_000);

  it('--baseline-provider cpu compares the browser with onnxruntime-node', async () => {
    const model = join(CORPUS_MODELS_DIR, 'digits_cnn', 'model.onnx');
    const r = await validateMarked(['--baseline', model, '--candidate', model, '--provider', 'web-webgpu', '--baseline-provider', 'cpu', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.left).toEqual([]);
    const result = JSON.parse(r.stdout) as ValidationResult;
    expect(result.environment.executionProvider).toBe('cpu -> web-webgpu');
    expect(result.baseline.runtime).toMatchObject({ name: 'onnxruntime-node', provider: 'cpu' });
    expect(result.candidate.runtime).toMatchObject({ name: 'onnxruntime-web', provider: 'webgpu' });
    expect(result.outputs[0]!.metrics.cosine).toBeGreaterThanOrEqual(0.9999);
  }, 180_000);

  it('Ctrl-C closes the browser and the server: no process stays behind', async () => {
    const marker = `ONNXPRESS_BROWSER_TEST_${process.pid}_sigint`;
    const args = ['validate', '--baseline', join(CHAR_GPT, 'model.onnx'), '--candidate', join(CHAR_GPT, 'ort', 'q4.onnx')];
    const child = spawn(process.execPath, [CLI, ...args, '--provider', 'web-webgpu', '--latency', '--iterations', '100000'], {
      env: { ...process.env, [marker]: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      // Wait for the browser (more marked processes than the CLI and its session worker), then for it to be working.
      let most = 0;
      for (let i = 0; i < 600 && most < 3; i++) {
        most = Math.max(most, processesMarked(marker).length);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(most).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 5000));
      child.kill('SIGINT');
      const end = await exited;
      expect(end.signal === 'SIGINT' || end.code === 130).toBe(true);
    } finally {
      // A failed expectation must not leave the validation (and its browser) running.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    }
    expect(await settled(marker)).toEqual([]);
  }, 180_000);
});
