/**
 * The parent's handle on a session worker (session-worker.ts): one child process per model, started with execa,
 * driven over IPC one request at a time (the requests of protocol.ts: load, run, time, measure, close). When the process dies (an ONNX Runtime abort, an out-of-memory kill) the
 * request in flight fails with an E_RUNTIME error naming the model, and the parent carries on. With a deadline,
 * a request still in flight when it passes kills the process: ONNX Runtime's run is a blocking native call, so
 * a hung session cannot be asked to stop.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { OnnxpressError, runtimeError, timeoutError } from '../errors.js';
import type { OutputFile, OutputStats, ParentMessage, SessionSettings, TensorFile, WorkerMessage, WorkerRuntime, WorkerStage } from './protocol.js';
import type { RuntimeInfo, SessionRunner } from './runners.js';

/** The compiled worker: beside this file in dist/, or in dist/ when this file runs from src/ (tests). */
export function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'session-worker.js');
  if (existsSync(sibling)) return sibling;
  const built = resolve(here, '../../dist/runtime/session-worker.js');
  if (existsSync(built)) return built;
  throw runtimeError(`the session worker ${sibling} is missing; build onnxpress (npm run build)`);
}

export interface LoadInfo {
  createMs: number;
  rssBeforeLoadBytes: number;
  inputNames: string[];
  outputNames: string[];
}

export interface RunReply {
  /** How long session.run took in the worker. */
  ms: number;
  /** Where the worker wrote each output. */
  outputs: OutputFile[];
}

/** Where `run` has the worker write outputs, and which. */
export interface RunOutputs {
  dir: string;
  /** File names start with this. */
  prefix: string;
  /** Output names (graph outputs or exposed values); default: every output of the session. */
  names?: readonly string[];
}

const WORKER_OPTIONS = {
  ipc: true,
  serialization: 'json',
  stdin: 'ignore',
  stdout: 'ignore',
  stderr: 'pipe',
  buffer: false,
  reject: false,
  cleanup: true,
} as const;

/** An error the worker reported (the process is still alive): `detail` is ONNX Runtime's own message. */
export class WorkerError extends OnnxpressError {
  constructor(
    readonly stage: WorkerStage,
    readonly detail: string,
    message: string,
    file: string,
  ) {
    super('E_RUNTIME', message, { file });
  }
}

type Waiter = { accept: (m: WorkerMessage) => void; fail: (e: Error) => void; doing: string; timer?: NodeJS.Timeout };

/** When requests must have been answered: `at` in Date.now() time; `seconds` is the limit as the user gave it. */
export interface Deadline {
  at: number;
  seconds: number;
}

const STDERR_KEEP = 16 * 1024;

export class SessionProcess implements SessionRunner {
  onnxruntimeVersion = 'unknown';
  private readonly subprocess: ResultPromise<typeof WORKER_OPTIONS>;
  private waiter: Waiter | undefined;
  private readonly ready: Promise<void>;
  private nextId = 1;
  private stderrTail = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  private timedOut = false;

  /**
   * Starts the worker for one model. `label` names the model in errors ("baseline", "candidate");
   * `crashHint` is added to the message when the process dies.
   */
  constructor(
    readonly label: string,
    readonly modelPath: string,
    private readonly crashHint?: string,
    private readonly deadline?: Deadline,
    readonly runtimeName: WorkerRuntime = 'onnxruntime-node',
    private provider = runtimeName === 'onnxruntime-web' ? 'wasm' : 'cpu',
  ) {
    this.subprocess = execa(process.execPath, [workerScript(), runtimeName], WORKER_OPTIONS);
    this.subprocess.catch(() => undefined);
    this.subprocess.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.subprocess.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.subprocess.on('exit', (code, signal) => this.onExit(code, signal));
    this.ready = this.expect('starting ONNX Runtime for', 'ready').then((m) => {
      this.onnxruntimeVersion = m.onnxruntimeVersion;
    });
    // A worker killed before anyone asked it to load must not become an unhandled rejection; load() still sees it.
    this.ready.catch(() => undefined);
  }

  runtime(): RuntimeInfo {
    return { name: this.runtimeName, version: this.onnxruntimeVersion, provider: this.provider, host: `Node ${process.versions.node}` };
  }

  consoleErrors(): string[] {
    return [];
  }

  /** Resolves once the worker has started and loaded its runtime. */
  started(): Promise<void> {
    return this.ready;
  }

  /**
   * Reads the input samples and creates the session; with `settings.expose`, of a copy of the model that returns
   * those values too.
   */
  async load(settings: SessionSettings, samples: TensorFile[][]): Promise<LoadInfo> {
    await this.ready;
    this.provider = settings.providers.join(',');
    const m = await this.request('creating a session for', { type: 'load', ...settings, samples }, 'loaded');
    return { createMs: m.createMs, rssBeforeLoadBytes: m.rssBeforeLoadBytes, inputNames: m.inputNames, outputNames: m.outputNames };
  }

  /** Runs one sample; the worker writes the outputs to `output.dir` and says where. */
  async run(sample: number, output: RunOutputs): Promise<RunReply> {
    const id = this.nextId++;
    const m = await this.request(
      `running sample ${sample} of`,
      { type: 'run', id, sample, outputDir: output.dir, outputPrefix: output.prefix, ...(output.names ? { outputs: [...output.names] } : {}) },
      'ran',
    );
    return { ms: m.ms, outputs: m.outputs };
  }

  /** Runs one sample and returns how long session.run took, in milliseconds (the outputs stay in the worker). */
  async time(sample: number): Promise<number> {
    const id = this.nextId++;
    const m = await this.request(`running sample ${sample} of`, { type: 'time', id, sample }, 'timed');
    return m.ms;
  }

  /**
   * Runs the samples (default: every one loaded) and returns, for each output named, its largest finite |x| and
   * its count of non-finite elements over all of them. The data never leaves the worker.
   */
  async measure(outputs: readonly string[], samples?: readonly number[]): Promise<Map<string, OutputStats>> {
    const id = this.nextId++;
    const message: ParentMessage = { type: 'measure', id, outputs: [...outputs], ...(samples ? { samples: [...samples] } : {}) };
    const m = await this.request('measuring the outputs of', message, 'measured');
    return new Map(m.stats.map(({ name, maxAbs, nonFinite }) => [name, { maxAbs, nonFinite }]));
  }

  /** Peak resident set size of the worker so far, in bytes. */
  async peakRss(): Promise<number> {
    const id = this.nextId++;
    const m = await this.request('reading the memory use of', { type: 'memory', id }, 'memory');
    return m.peakRssBytes;
  }

  /** Asks the worker to exit and waits for it; kills it if it does not go within `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.exit) return;
    try {
      // A closed channel (reported to the callback, or thrown) means the process is on its way out already.
      this.subprocess.send({ type: 'close' } satisfies ParentMessage, () => undefined);
    } catch {
      // As above.
    }
    const timer = setTimeout(() => this.subprocess.kill('SIGKILL'), graceMs);
    await this.subprocess;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exit) this.subprocess.kill('SIGKILL');
  }

  /** Sends a request and waits for its answer, which must be of type `reply`. */
  private request<T extends WorkerMessage['type']>(doing: string, message: ParentMessage, reply: T): Promise<Extract<WorkerMessage, { type: T }>> {
    if (this.exit) return Promise.reject(this.crashError(doing));
    if (this.waiter) return Promise.reject(new Error(`${this.label}: a request is already in flight`));
    const answer = this.expect(doing, reply);
    this.post(message);
    return answer;
  }

  /** Sends a message; a channel that turns out closed fails the request in flight as a crash. */
  private post(message: ParentMessage): void {
    const failed = (e: unknown): void => this.failWaiter(this.crashError(this.waiter?.doing ?? 'talking to', e));
    try {
      // Node reports a closed channel to the callback (without one, as an 'error' event nobody would handle).
      this.subprocess.send(message, (error) => {
        if (error) failed(error);
      });
    } catch (e) {
      failed(e);
    }
  }

  /** Waits for the next message, which must be of type `type`; at most one waiter at a time (see request). */
  private expect<T extends WorkerMessage['type']>(doing: string, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
    return new Promise((accept, fail) => {
      this.waiter = {
        doing,
        fail,
        ...(this.deadline ? { timer: setTimeout(() => this.timeOut(), Math.max(0, this.deadline.at - Date.now())) } : {}),
        accept: (m) => {
          if (m.type === 'error') fail(this.workerError(m));
          else if (m.type !== type) fail(runtimeError(`${this.label} worker answered '${m.type}' to a '${type}' request`));
          else accept(m as Extract<WorkerMessage, { type: T }>);
        },
      };
    });
  }

  private onMessage(message: WorkerMessage): void {
    this.takeWaiter()?.accept(message);
  }

  private failWaiter(error: Error): void {
    this.takeWaiter()?.fail(error);
  }

  private takeWaiter(): Waiter | undefined {
    const waiter = this.waiter;
    this.waiter = undefined;
    clearTimeout(waiter?.timer);
    return waiter;
  }

  /** The deadline passed with a request in flight: the process is killed, and the request fails when it is gone. */
  private timeOut(): void {
    this.timedOut = true;
    this.subprocess.kill('SIGKILL');
  }

  private onExit(code: number | null, signal: string | null): void {
    this.exit = { code, signal };
    if (this.waiter) this.failWaiter(this.timedOut ? this.timeoutError(this.waiter.doing) : this.crashError(this.waiter.doing));
  }

  private timeoutError(doing: string): OnnxpressError {
    const limit = this.deadline!.seconds;
    return timeoutError(`ONNX Runtime was still ${doing} the ${this.label} model when the ${limit} s timeout ran out`, {
      file: this.modelPath,
    });
  }

  private workerError(m: Extract<WorkerMessage, { type: 'error' }>): WorkerError {
    const what = m.stage === 'load' ? 'cannot create an ONNX Runtime session for' : m.stage === 'memory' ? 'failed on' : 'ONNX Runtime failed to run';
    const detail = oneLine(m.message);
    return new WorkerError(m.stage, detail, `${what} the ${this.label} model: ${detail}`, this.modelPath);
  }

  private crashError(doing: string, cause?: unknown): OnnxpressError {
    const how = this.exit ? (this.exit.signal ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`) : 'stopped answering';
    const detail = lastErrorLine(this.stderrTail);
    const message =
      `ONNX Runtime crashed while ${doing} the ${this.label} model: its process ${how}` +
      `${detail ? ` (${detail})` : ''}${this.crashHint ? `. ${this.crashHint}` : ''}`;
    return runtimeError(message, { file: this.modelPath, cause });
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The most telling line of a crashed process's stderr: the last one that mentions an error, else the last one. */
function lastErrorLine(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    // eslint-disable-next-line no-control-regex -- matching ESC is the point: ANSI colour codes are removed
    .map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').trim())
    // Native stack frames, V8's GC trace and section markers say nothing a user can act on.
    .filter((l) => l !== '' && !/^\d+: 0x[0-9a-f]+/i.test(l) && !/^\[\d+:0x[0-9a-f]+\]/i.test(l) && !/^<---.*--->$/.test(l) && !/^-+ .* -+$/.test(l));
  const telling = [...lines].reverse().find((l) => /error|abort|fatal|terminate|exception/i.test(l));
  const line = telling ?? lines[lines.length - 1];
  return line && line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
