/**
 * onnxruntime-web in headless Chromium. A `BrowserHost` is one browser and one loopback server for a validation;
 * each model gets a `BrowserSession`: a page of that browser, driven with playwright-core over DevTools, answering
 * the same requests as a session worker (load, run, time, measure, close). The page's console errors and
 * uncaught errors are collected: WebGPU reports validation errors there, not to the code that caused them.
 *
 * The browser and the server stop on close, on failure and on SIGINT/SIGTERM (the whole browser process group is
 * killed, then the signal is raised again).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OnnxpressError, runtimeError, timeoutError } from '../../errors.js';
import { loadModel } from '../../io/load.js';
import type { OutputFile, OutputStats, SessionSettings, TensorFile } from '../protocol.js';
import type { OpenOptions, RuntimeInfo, SessionRunner } from '../runners.js';
import { runnerFor } from '../runners.js';
import type { Deadline, LoadInfo, RunOutputs, RunReply } from '../session.js';
import { WorkerError } from '../session.js';
import { findChromium, launchChromium, WEBGPU_FLAGS, type ChromiumProcess } from './chromium.js';
import { float16Uses } from './float16-uses.js';
import type { PageAnswer, PageRequest } from './page-protocol.js';
import { PageServer } from './server.js';

/** The onnxruntime-web bundle the page loads: every execution provider of the browser build (WebGPU and wasm). */
const ORT_BUNDLE = 'ort.webgpu.bundle.min.mjs';

/** Console messages that are WebGPU's (validation errors, lost devices, shader compilation) rather than the page's. */
const WEBGPU_MESSAGE = /webgpu|wgsl|gpu(device|buffer|adapter|queue)|shader|\[invalid |while validating|device (was )?lost|validation error/i;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export class BrowserHost {
  private readonly sessions = new Set<BrowserSession>();
  private closed = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.killNow();
    for (const s of SIGNALS) process.removeListener(s, this.onSignal);
    process.kill(process.pid, signal);
  };

  private constructor(
    readonly executable: string,
    private readonly chromiumProcess: ChromiumProcess,
    readonly browser: Browser,
    readonly server: PageServer,
    readonly deadline: Deadline | undefined,
  ) {
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  /** Starts Chromium (`executable`, else found on PATH) and the server. */
  static async start(executable: string | undefined, deadline?: Deadline): Promise<BrowserHost> {
    const file = findChromium(executable);
    const server = await PageServer.start();
    let chromiumProcess: ChromiumProcess | undefined;
    try {
      chromiumProcess = await launchChromium(file, WEBGPU_FLAGS);
      const browser = await chromium.connectOverCDP(chromiumProcess.endpoint);
      return new BrowserHost(file, chromiumProcess, browser, server, deadline);
    } catch (e) {
      chromiumProcess?.kill();
      await server.close();
      throw e instanceof OnnxpressError ? e : runtimeError(`cannot drive ${file}: ${(e as Error).message}`, { file, cause: e });
    }
  }

  get version(): string {
    return `Chromium ${this.browser.version()}`;
  }

  session(label: string, modelPath: string, options: OpenOptions): BrowserSession {
    const session = new BrowserSession(this, label, modelPath, runnerFor(options.providers).executionProviders);
    this.sessions.add(session);
    return session;
  }

  /** The deadline passed: everything stops, and the requests in flight fail. */
  timeOut(): void {
    for (const s of this.sessions) s.timedOut = true;
    this.killNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of SIGNALS) process.removeListener(s, this.onSignal);
    await this.browser.close().catch(() => undefined);
    this.chromiumProcess.kill();
    await Promise.all([this.chromiumProcess.exited, this.server.close()]);
  }

  private killNow(): void {
    this.closed = true;
    this.chromiumProcess.kill();
    void this.server.close();
  }
}

export class BrowserSession implements SessionRunner {
  timedOut = false;
  private page: Page | undefined;
  private ready: Promise<void> | undefined;
  private info: RuntimeInfo;
  private readonly errors: string[] = [];
  private readonly work = mkdtempSync(join(tmpdir(), 'onnxpress-browser-'));
  private crashed: string | undefined;

  constructor(
    private readonly host: BrowserHost,
    readonly label: string,
    readonly modelPath: string,
    private readonly executionProviders: string[],
  ) {
    this.info = { name: 'onnxruntime-web', version: 'unknown', provider: executionProviders.join(','), host: host.version };
  }

  runtime(): RuntimeInfo {
    return this.info;
  }

  consoleErrors(): string[] {
    return [...this.errors];
  }

  started(): Promise<void> {
    this.ready ??= this.start();
    return this.ready;
  }

  private async start(): Promise<void> {
    const page = await this.host.browser.contexts()[0]!.newPage();
    this.page = page;
    page.on('console', (message) => {
      const type = message.type();
      if ((type === 'error' || type === 'warning') && WEBGPU_MESSAGE.test(message.text())) this.errors.push(`console ${type}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught error in the page: ${error.message}`));
    page.on('crash', () => (this.crashed = 'the page crashed'));
    await this.call('starting onnxruntime-web for', async () => {
      await page.goto(`${this.host.server.origin}/`);
      await page.waitForFunction(() => (globalThis as { onnxpressPage?: unknown }).onnxpressPage !== undefined);
    });
    const webgpu = this.executionProviders.includes('webgpu');
    const answer = await this.request(
      'starting onnxruntime-web for',
      { type: 'start', ortUrl: `/ort/${ORT_BUNDLE}`, wasmPaths: '/ort/', webgpu },
      'started',
    );
    this.info = { ...this.info, version: answer.version, ...(answer.adapter ? { adapter: answer.adapter } : {}) };
  }

  async load(settings: SessionSettings, samples: TensorFile[][]): Promise<LoadInfo> {
    await this.started();
    this.refuseFloat16WithoutShaderF16();
    let modelFile = settings.modelPath;
    if (settings.expose?.length) {
      const { modelBytesExposing } = await import('../expose.js');
      modelFile = join(this.work, 'exposed.onnx');
      writeFileSync(modelFile, modelBytesExposing(loadModel(settings.modelPath), settings.expose));
    }
    const server = this.host.server;
    const request: PageRequest = {
      type: 'load',
      modelUrl: server.serve(modelFile),
      executionProviders: this.executionProviders,
      numThreads: settings.intraOpNumThreads,
      graphOptimizationLevel: settings.graphOptimizationLevel,
      samples: samples.map((sample) => sample.map((t) => ({ name: t.name, dataType: t.dataType, dims: t.dims, url: server.serve(t.file) }))),
    };
    const m = await this.request('creating a session for', request, 'loaded');
    return { createMs: m.createMs, rssBeforeLoadBytes: 0, inputNames: m.inputNames, outputNames: m.outputNames };
  }

  /** A float16 model on an adapter without shader-f16 fails or, worse, returns zeros: refused before it runs. */
  private refuseFloat16WithoutShaderF16(): void {
    const adapter = this.info.adapter;
    if (!adapter || adapter.features.includes('shader-f16')) return;
    // Only the structure is read.
    const uses = float16Uses(loadModel(this.modelPath, { deferWeights: true }));
    if (uses.length === 0) return;
    throw runtimeError(
      `the ${this.label} model computes in float16 (${uses.join(', ')}), but the WebGPU adapter ` +
        `(${describeAdapter(adapter)}) lacks the 'shader-f16' feature, which onnxruntime-web's WebGPU provider needs for float16 ` +
        `(without it float16 kernels fail or return zeros). Validate it on an adapter with shader-f16, or with --provider wasm`,
      { file: this.modelPath },
    );
  }

  async run(sample: number, output: RunOutputs): Promise<RunReply> {
    const m = await this.request(
      `running sample ${sample} of`,
      { type: 'run', sample, ...(output.names ? { outputs: [...output.names] } : {}) },
      'ran',
    );
    const outputs: OutputFile[] = m.outputs.map((o, k) => {
      if (o.base64 === undefined) return { name: o.name, type: o.type, dims: o.dims, strings: o.strings ?? [] };
      const file = join(output.dir, `${output.prefix}-${k}.bin`);
      writeFileSync(file, Buffer.from(o.base64, 'base64'));
      return { name: o.name, type: o.type, dims: o.dims, file };
    });
    return { ms: m.ms, outputs };
  }

  async time(sample: number): Promise<number> {
    return (await this.request(`running sample ${sample} of`, { type: 'time', sample }, 'timed')).ms;
  }

  async measure(outputs: readonly string[], samples?: readonly number[]): Promise<Map<string, OutputStats>> {
    const request: PageRequest = { type: 'measure', outputs: [...outputs], ...(samples ? { samples: [...samples] } : {}) };
    const m = await this.request('measuring the outputs of', request, 'measured');
    return new Map(m.stats.map(({ name, maxAbs, nonFinite }) => [name, { maxAbs, nonFinite }]));
  }

  async peakRss(): Promise<number> {
    return (await this.request('reading the memory use of', { type: 'memory' }, 'memory')).bytes;
  }

  async close(): Promise<void> {
    if (this.page && !this.page.isClosed()) {
      await this.request('closing', { type: 'close' }, 'closed').catch(() => undefined);
      await this.page.close().catch(() => undefined);
    }
    rmSync(this.work, { recursive: true, force: true });
  }

  kill(): void {
    void this.page?.close().catch(() => undefined);
    rmSync(this.work, { recursive: true, force: true });
  }

  private async request<T extends PageAnswer['type']>(doing: string, request: PageRequest, reply: T): Promise<Extract<PageAnswer, { type: T }>> {
    const page = this.page;
    if (!page) throw runtimeError(`${this.label}: the page is not open`);
    const answer = await this.call(doing, () =>
      page.evaluate(
        (r) => (globalThis as unknown as { onnxpressPage: { handle(r: PageRequest): Promise<PageAnswer> } }).onnxpressPage.handle(r),
        request,
      ),
    );
    if (answer.type === 'error') {
      const stage = request.type === 'start' || request.type === 'close' ? 'load' : request.type;
      const what = stage === 'load' ? 'cannot create an ONNX Runtime session for' : 'onnxruntime-web failed to run';
      const detail = answer.message.replace(/\s*\n\s*/g, ' ').trim();
      throw new WorkerError(stage, detail, `${what} the ${this.label} model in ${this.host.version}: ${detail}`, this.modelPath);
    }
    if (answer.type !== reply) throw runtimeError(`${this.label} page answered '${answer.type}' to a '${request.type}' request`);
    return answer as Extract<PageAnswer, { type: T }>;
  }

  /** Runs a step of the page, turning a deadline, a crash or a closed browser into an error naming the model. */
  private async call<T>(doing: string, step: () => Promise<T>): Promise<T> {
    const deadline = this.host.deadline;
    let timer: NodeJS.Timeout | undefined;
    if (deadline) timer = setTimeout(() => this.host.timeOut(), Math.max(0, deadline.at - Date.now()));
    try {
      return await step();
    } catch (e) {
      if (this.timedOut) {
        throw timeoutError(`onnxruntime-web was still ${doing} the ${this.label} model when the ${deadline!.seconds} s timeout ran out`, {
          file: this.modelPath,
        });
      }
      const why = this.crashed ?? (e as Error).message.split('\n')[0];
      throw runtimeError(`${this.host.version} failed while ${doing} the ${this.label} model: ${why}`, { file: this.modelPath, cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeAdapter(adapter: NonNullable<RuntimeInfo['adapter']>): string {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
  return `${name || 'unnamed'}${adapter.software ? ', a software adapter' : ''}`;
}
