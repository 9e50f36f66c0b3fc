/**
 * The one way validation opens a session: a `SessionRunner` for a provider name. `cpu` and onnxruntime-node's other
 * execution providers run in onnxruntime-node, `wasm` in onnxruntime-web's WebAssembly backend, both in a child
 * process (SessionProcess); `web-webgpu` and `web-wasm` run onnxruntime-web in a page of headless Chromium
 * (BrowserSession). Every runner answers the same requests (protocol.ts): load, run, time, measure, close.
 */
import type { OutputStats, SessionSettings, TensorFile } from './protocol.js';
import type { BrowserHost } from './browser/host.js';
import type { Deadline, LoadInfo, RunOutputs, RunReply } from './session.js';

/** Where a session ran: the runtime package, its version, its execution provider and, in a browser, the adapter. */
export interface RuntimeInfo {
  name: 'onnxruntime-node' | 'onnxruntime-web';
  version: string;
  /** The execution provider as the runtime names it: 'cpu', 'wasm', 'webgpu', ... */
  provider: string;
  /** Where the runtime ran: in Node, or in a page of this browser ('Chromium 156.0...'). */
  host: string;
  adapter?: AdapterInfo;
  /**
   * Op types by the execution provider onnxruntime placed them on (browser sessions started to log placements;
   * onnxruntime logs them only when a model uses more than one provider: absent, every node ran on the first).
   */
  placements?: Record<string, string[]>;
}

/** A WebGPU adapter as the page sees it (GPUAdapter.info and .features). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  /** A software implementation (SwiftShader, llvmpipe or a fallback adapter): right answers, not a GPU's speed. */
  software: boolean;
}

/** The parent's handle on one model's session, whatever runs it. */
export interface SessionRunner {
  readonly label: string;
  readonly modelPath: string;
  /** Known once `started()` resolved (the adapter once `load` did). */
  runtime(): RuntimeInfo;
  started(): Promise<void>;
  load(settings: SessionSettings, samples: TensorFile[][]): Promise<LoadInfo>;
  run(sample: number, output: RunOutputs): Promise<RunReply>;
  time(sample: number): Promise<number>;
  measure(outputs: readonly string[], samples?: readonly number[]): Promise<Map<string, OutputStats>>;
  /** Peak memory of what runs the session (a process's peak RSS; a page's JS heap), in bytes. */
  peakRss(): Promise<number>;
  /** Errors the runtime reported outside any answer (a browser console's WebGPU validation errors); empty elsewhere. */
  consoleErrors(): string[];
  close(): Promise<void>;
  kill(): void;
}

/** What validate --provider accepts: onnxruntime-node's providers, and onnxruntime-web's in Node and in Chromium. */
export const NODE_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export const WEB_PROVIDERS = ['wasm', 'web-webgpu', 'web-wasm'] as const;

export type RunnerKind = 'node' | 'web-in-node' | 'browser';

/** Which runner a list of providers needs, and the execution providers to ask its runtime for. */
export function runnerFor(providers: readonly string[]): { kind: RunnerKind; executionProviders: string[] } {
  const web = providers.filter((p) => (WEB_PROVIDERS as readonly string[]).includes(p));
  if (web.length === 0) return { kind: 'node', executionProviders: [...providers] };
  if (web.length !== providers.length || web.length > 1) {
    throw new RangeError(`${providers.join(',')}: ${web.join(', ')} cannot be combined with other providers`);
  }
  const provider = web[0]!;
  if (provider === 'wasm') return { kind: 'web-in-node', executionProviders: ['wasm'] };
  return { kind: 'browser', executionProviders: [provider === 'web-webgpu' ? 'webgpu' : 'wasm'] };
}

export interface OpenOptions {
  /** Execution providers as validate --provider names them. */
  providers: readonly string[];
  /** Added to the message when the process running the model dies. */
  crashHint?: string;
  deadline?: Deadline;
  /** Chromium's executable (browser providers); default: found on PATH. */
  browser?: string;
}

/**
 * Opens the runners of one validation. Browser runners share one Chromium and one loopback server, started with the
 * first of them; `close()` stops them (and kills any runner still open).
 */
export class SessionRunners {
  private readonly runners: SessionRunner[] = [];
  private host: Promise<BrowserHost> | undefined;

  async open(label: string, modelPath: string, options: OpenOptions): Promise<SessionRunner> {
    const { kind } = runnerFor(options.providers);
    let runner: SessionRunner;
    if (kind === 'browser') {
      this.host ??= import('./browser/host.js').then((m) => m.BrowserHost.start(options.browser, options.deadline));
      runner = (await this.host).session(label, modelPath, options);
    } else {
      const { SessionProcess } = await import('./session.js');
      runner = new SessionProcess(
        label,
        modelPath,
        options.crashHint,
        options.deadline,
        kind === 'web-in-node' ? 'onnxruntime-web' : 'onnxruntime-node',
      );
    }
    this.runners.push(runner);
    return runner;
  }

  async close(): Promise<void> {
    for (const runner of this.runners) runner.kill();
    const host = this.host;
    this.host = undefined;
    if (host) await (await host.catch(() => undefined))?.close();
  }
}
