/**
 * onnxruntime-web in headless Chromium. A `BrowserHost` is one browser, one loopback server and one page for a
 * validation, driven with playwright-core over DevTools; each model gets a `BrowserSession`, a session in that page
 * answering the same requests as a session worker (load, run, time, measure, close). The page's console errors and
 * uncaught errors are collected: WebGPU reports validation errors there, not to the code that caused them.
 *
 * The browser and the server stop on close, on failure, at the deadline and on SIGINT/SIGTERM/SIGHUP (playwright's
 * handlers kill the browser's process group); a process that dies otherwise closes the pipe the browser needs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OnnxpressError, runtimeError, timeoutError } from '../../errors.js';
import { loadModel } from '../../io/load.js';
import type { OutputFile, OutputStats, SessionSettings, TensorFile } from '../protocol.js';
import type { AdapterInfo, OpenOptions, RuntimeInfo, SessionRunner } from '../runners.js';
import { runnerFor } from '../runners.js';
import type { Deadline, LoadInfo, RunOutputs, RunReply } from '../session.js';
import { WorkerError } from '../session.js';
import { findChromium, WEBGPU_FLAGS } from './chromium.js';
import { float16Uses } from './float16-uses.js';
import type { PageAnswer, PageRequest } from './page-protocol.js';
import { PageServer } from './server.js';

/** The onnxruntime-web bundle the page loads: every execution provider of the browser build (WebGPU and wasm). */
const ORT_BUNDLE = 'ort.webgpu.bundle.min.mjs';

/** Console messages that are WebGPU's (validation errors, lost devices, shader compilation) rather than the page's. */
const WEBGPU_MESSAGE = /webgpu|wgsl|gpu(device|buffer|adapter|queue)|shader|\[invalid |while validating|device (was )?lost|validation error/i;

export class BrowserHost {
  private readonly sessions = new Set<BrowserSession>();
  private closed = false;
  private page: Promise<PageState> | undefined;
  /** Requests run one at a time: the page's sessions share one WebAssembly instance and one GPU device. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The session whose request is in flight: console errors meanwhile are its. */
  private current: BrowserSession | undefined;

  private constructor(
    readonly executable: string,
    readonly browser: Browser,
    readonly server: PageServer,
    readonly deadline: Deadline | undefined,
    private readonly logPlacements: boolean,
  ) {}

  /**
   * Starts Chromium (`executable`, else found on PATH) and the server. `logPlacements`: record which execution
   * provider each node of each session runs on (RuntimeInfo.placements; onnxruntime's verbose log, which costs time).
   */
  static async start(executable: string | undefined, deadline?: Deadline, options: { logPlacements?: boolean } = {}): Promise<BrowserHost> {
    const file = findChromium(executable);
    const server = await PageServer.start();
    try {
      // Playwright talks to the browser over a pipe, so the browser exits when this process dies however it dies;
      // on SIGINT, SIGTERM and SIGHUP it kills the browser's process group, then exits (130 on Ctrl-C).
      const browser = await chromium.launch({
        executablePath: file,
        headless: true,
        args: [...WEBGPU_FLAGS],
        timeout: 60_000,
        handleSIGINT: true,
        handleSIGTERM: true,
        handleSIGHUP: true,
      });
      return new BrowserHost(file, browser, server, deadline, options.logPlacements === true);
    } catch (e) {
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

  /**
   * The page, with onnxruntime-web loaded and, for WebGPU, the adapter requested (once, by the first session to
   * ask: every session of a validation uses the same providers' runtime).
   */
  opened(session: BrowserSession, webgpu: boolean): Promise<PageState> {
    this.page ??= this.openPage(session, webgpu);
    return this.page;
  }

  private async openPage(session: BrowserSession, webgpu: boolean): Promise<PageState> {
    const page = await this.browser.newPage();
    const state: PageState = { page, version: 'unknown' };
    page.on('console', (message) => {
      const type = message.type();
      const text = message.text();
      // onnxruntime's own log lines ("[W:onnxruntime:...]") are not the browser's WebGPU errors.
      if (/\[[VIWEF]:onnxruntime:/.test(text)) return;
      if ((type === 'error' || type === 'warning') && WEBGPU_MESSAGE.test(text)) this.report(`console ${type}: ${text}`);
    });
    page.on('pageerror', (error) => this.report(`uncaught error in the page: ${error.message}`));
    page.on('crash', () => (state.crashed = 'the page crashed'));
    await this.step(session, state, 'starting onnxruntime-web for', async () => {
      await page.goto(`${this.server.origin}/`);
      await page.waitForFunction(() => (globalThis as { onnxpressPage?: unknown }).onnxpressPage !== undefined);
    });
    const answer = await this.ask(
      session,
      state,
      'starting onnxruntime-web for',
      { type: 'start', ortUrl: `/ort/${ORT_BUNDLE}`, wasmPaths: '/ort/', webgpu, placements: this.logPlacements },
      'started',
    );
    state.version = answer.version;
    if (answer.adapter) state.adapter = answer.adapter;
    return state;
  }

  /** A console error belongs to the session whose request is in flight, else to every session. */
  private report(error: string): void {
    for (const s of this.current ? [this.current] : this.sessions) s.errors.push(error);
  }

  /** Sends one request, after the ones before it, and checks the answer's type. */
  request<T extends PageAnswer['type']>(
    session: BrowserSession,
    doing: string,
    request: PageRequest,
    reply: T,
  ): Promise<Extract<PageAnswer, { type: T }>> {
    const next = this.queue.then(async () => this.ask(session, await this.page!, doing, request, reply));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async ask<T extends PageAnswer['type']>(
    session: BrowserSession,
    state: PageState,
    doing: string,
    request: PageRequest,
    reply: T,
  ): Promise<Extract<PageAnswer, { type: T }>> {
    const answer = await this.step(session, state, doing, () =>
      state.page.evaluate(
        (r) => (globalThis as unknown as { onnxpressPage: { handle(r: PageRequest): Promise<PageAnswer> } }).onnxpressPage.handle(r),
        request,
      ),
    );
    if (answer.type === 'error') {
      const stage = request.type === 'start' || request.type === 'close' ? 'load' : request.type;
      const what = stage === 'load' ? 'cannot create an ONNX Runtime session for' : 'onnxruntime-web failed to run';
      const detail = answer.message.replace(/\s*\n\s*/g, ' ').trim();
      throw new WorkerError(stage, detail, `${what} the ${session.label} model in ${this.version}: ${detail}`, session.modelPath);
    }
    if (answer.type !== reply) throw runtimeError(`the page answered '${answer.type}' to a '${request.type}' request`);
    return answer as Extract<PageAnswer, { type: T }>;
  }

  /** Runs a step in the page, turning a deadline, a crash or a closed browser into an error naming the model. */
  private async step<T>(session: BrowserSession, state: PageState, doing: string, step: () => Promise<T>): Promise<T> {
    const deadline = this.deadline;
    let timer: NodeJS.Timeout | undefined;
    if (deadline) timer = setTimeout(() => this.timeOut(), Math.max(0, deadline.at - Date.now()));
    this.current = session;
    try {
      return await step();
    } catch (e) {
      if (this.timedOut) {
        throw timeoutError(`the browser was still ${doing} the ${session.label} model when the ${deadline!.seconds} s timeout ran out`, {
          file: session.modelPath,
        });
      }
      const why = state.crashed ?? (e as Error).message.split('\n')[0];
      throw runtimeError(`${this.version} failed while ${doing} the ${session.label} model: ${why}`, { file: session.modelPath, cause: e });
    } finally {
      this.current = undefined;
      clearTimeout(timer);
    }
  }

  private timedOut = false;

  /** The deadline passed: everything stops, and the requests in flight fail. */
  private timeOut(): void {
    this.timedOut = true;
    this.killNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.browser.close().catch(() => undefined), this.server.close()]);
  }

  private killNow(): void {
    void this.close();
  }
}

interface PageState {
  page: Page;
  version: string;
  adapter?: AdapterInfo;
  crashed?: string;
}

export class BrowserSession implements SessionRunner {
  /** WebGPU errors the page reported while this session's requests ran. */
  readonly errors: string[] = [];
  /** Op types by the execution provider that runs them (with BrowserHost's `logPlacements`). */
  readonly placements = new Map<string, string[]>();
  private info: RuntimeInfo;
  private readonly work = mkdtempSync(join(tmpdir(), 'onnxpress-browser-'));
  private ready: Promise<void> | undefined;
  private loaded = false;

  constructor(
    private readonly host: BrowserHost,
    readonly label: string,
    readonly modelPath: string,
    private readonly executionProviders: string[],
  ) {
    this.info = { name: 'onnxruntime-web', version: 'unknown', provider: executionProviders.join(','), host: host.version };
  }

  runtime(): RuntimeInfo {
    if (this.placements.size === 0) return this.info;
    return { ...this.info, placements: Object.fromEntries([...this.placements].map(([ep, ops]) => [ep, [...new Set(ops)].sort()])) };
  }

  consoleErrors(): string[] {
    return [...this.errors];
  }

  started(): Promise<void> {
    this.ready ??= this.host.opened(this, this.executionProviders.includes('webgpu')).then((state) => {
      this.info = { ...this.info, version: state.version, ...(state.adapter ? { adapter: state.adapter } : {}) };
      // Before any model of the validation loads: the answer does not depend on them.
      this.refuseFloat16WithoutShaderF16();
    });
    return this.ready;
  }

  async load(settings: SessionSettings, samples: TensorFile[][]): Promise<LoadInfo> {
    await this.started();
    let modelFile = settings.modelPath;
    if (settings.expose?.length) {
      const { modelBytesExposing } = await import('../expose.js');
      modelFile = join(this.work, 'exposed.onnx');
      writeFileSync(modelFile, modelBytesExposing(loadModel(settings.modelPath), settings.expose));
    }
    const server = this.host.server;
    const request: PageRequest = {
      type: 'load',
      session: this.label,
      modelUrl: server.serve(modelFile),
      executionProviders: this.executionProviders,
      numThreads: settings.intraOpNumThreads,
      graphOptimizationLevel: settings.graphOptimizationLevel,
      samples: samples.map((sample) => sample.map((t) => ({ name: t.name, dataType: t.dataType, dims: t.dims, url: server.serve(t.file) }))),
    };
    const m = await this.host.request(this, 'creating a session for', request, 'loaded');
    this.loaded = true;
    for (const line of m.placementLog ?? []) readPlacement(line, this.placements);
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
    const request: PageRequest = { type: 'run', session: this.label, sample, ...(output.names ? { outputs: [...output.names] } : {}) };
    const m = await this.host.request(this, `running sample ${sample} of`, request, 'ran');
    const outputs: OutputFile[] = m.outputs.map((o, k) => {
      if (o.base64 === undefined) return { name: o.name, type: o.type, dims: o.dims, strings: o.strings ?? [] };
      const file = join(output.dir, `${output.prefix}-${k}.bin`);
      writeFileSync(file, Buffer.from(o.base64, 'base64'));
      return { name: o.name, type: o.type, dims: o.dims, file };
    });
    return { ms: m.ms, outputs };
  }

  async time(sample: number): Promise<number> {
    return (await this.host.request(this, `running sample ${sample} of`, { type: 'time', session: this.label, sample }, 'timed')).ms;
  }

  async measure(outputs: readonly string[], samples?: readonly number[]): Promise<Map<string, OutputStats>> {
    const request: PageRequest = { type: 'measure', session: this.label, outputs: [...outputs], ...(samples ? { samples: [...samples] } : {}) };
    const m = await this.host.request(this, 'measuring the outputs of', request, 'measured');
    return new Map(m.stats.map(({ name, maxAbs, nonFinite }) => [name, { maxAbs, nonFinite }]));
  }

  /** The page's JavaScript heap (shared by the page's sessions): a browser does not tell a page's resident memory. */
  async peakRss(): Promise<number> {
    return (await this.host.request(this, 'reading the memory use of', { type: 'memory' }, 'memory')).bytes;
  }

  async close(): Promise<void> {
    if (this.loaded) await this.host.request(this, 'closing', { type: 'close', session: this.label }, 'closed').catch(() => undefined);
    this.loaded = false;
    rmSync(this.work, { recursive: true, force: true });
  }

  kill(): void {
    rmSync(this.work, { recursive: true, force: true });
  }
}

/**
 * Reads onnxruntime's verbose node placement log: " Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3"
 * then one "  OpType (node name)" line per node, or " All nodes placed on [WebGpuExecutionProvider]" and no list.
 */
function readPlacement(line: string, placements: Map<string, string[]>): void {
  const text = line.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]/, '');
  if (text === line) return;
  const provider = /(?:Node\(s\)|All nodes) placed on \[(\w+)\]/.exec(text)?.[1];
  if (provider) {
    // Re-inserted, so the provider being listed is the map's last entry.
    const ops = placements.get(provider) ?? [];
    placements.delete(provider);
    placements.set(provider, ops);
    return;
  }
  const node = /^\s+(\S+) \(/.exec(text);
  const current = [...placements.values()].pop();
  if (node && current) current.push(node[1]!);
}

function describeAdapter(adapter: NonNullable<RuntimeInfo['adapter']>): string {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
  return `${name || 'unnamed'}${adapter.software ? ', a software adapter' : ''}`;
}
