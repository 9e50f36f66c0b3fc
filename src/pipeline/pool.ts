/**
 * Running one model's variants in a worker process. A worker that dies (a crash, ONNX Runtime aborting,
 * an out-of-memory kill) costs the variant it was working on; the variants after it get a new worker.
 * So does a variant that runs past the timeout: its worker is stopped with SIGTERM (SIGKILL if it is still
 * there after a grace period). On SIGTERM execa's `cleanup` kills the worker's own session processes,
 * which matters because one stuck in ONNX Runtime's blocking run would not notice its parent is gone.
 */
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { decodeMessageLine, encodeTask, type ConvertedVariant, type WorkerEntry, type WorkerTask } from './task.js';
import type { EntryStage } from './types.js';

/** Runs `work` on every item with at most `jobs` running at once; `work` must not throw. */
export async function runPool<T>(items: readonly T[], jobs: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, runner));
}

/** dist/pipeline/worker.js; under a TypeScript test runner this module is src/pipeline/pool.ts, and the worker still runs compiled. */
export function defaultWorkerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '../../dist/pipeline/worker.js');
  return path.join(path.dirname(here), 'worker.js');
}

export interface WorkerCallbacks {
  stage(variant: string, stage: 'convert' | 'validate'): void;
  entry(entry: WorkerEntry): void;
}

export interface WorkerOptions {
  /** The compiled worker script (default: dist/pipeline/worker.js). */
  workerEntry?: string;
  /** Seconds one variant may take to convert and validate; default: no limit. */
  timeout?: number;
}

/** How long a worker told to stop gets before it is killed. */
const STOP_GRACE_MS = 3000;

/**
 * Runs a task to the end, respawning after a crash or a timeout for the variants not yet reached. Every
 * variant gets exactly one `entry` callback.
 */
export async function runWorkerTask(task: WorkerTask, callbacks: WorkerCallbacks, options: WorkerOptions = {}): Promise<void> {
  const workerEntry = options.workerEntry ?? defaultWorkerEntry();
  let remaining = task.variants;
  while (remaining.length > 0) {
    const done = new Set<string>();
    let current: { variant: string; stage: 'convert' | 'validate'; started: number; converted?: ConvertedVariant } | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const child = execa(process.execPath, [workerEntry], {
      input: encodeTask({ ...task, variants: remaining }),
      reject: false,
      buffer: { stdout: false, stderr: true },
      stripFinalNewline: true,
      forceKillAfterDelay: STOP_GRACE_MS,
    });
    const stopAtTimeout = (): void => {
      timedOut = true;
      child.kill('SIGTERM');
    };
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    for await (const line of lines) {
      const message = decodeMessageLine(line);
      if (!message) continue;
      if (message.type === 'stage') {
        const same = current?.variant === message.variant;
        if (!same && options.timeout !== undefined) timer = setTimeout(stopAtTimeout, options.timeout * 1000);
        current = {
          variant: message.variant,
          stage: message.stage,
          started: same ? current!.started : performance.now(),
          ...(message.stage === 'validate' ? { converted: message.converted } : {}),
        };
        callbacks.stage(message.variant, message.stage);
      } else if (!done.has(message.entry.variant)) {
        clearTimeout(timer);
        done.add(message.entry.variant);
        current = undefined;
        callbacks.entry(message.entry);
      }
    }
    const result = await child;
    clearTimeout(timer);
    const left = remaining.filter((v) => !done.has(v.variant));
    if (left.length === 0) return;

    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode ?? '?'}`;
    const stderr = stderrSummary(String(result.stderr ?? ''));
    const reason = (what: string) => `the worker process ${how} while ${what}${stderr ? ` (stderr: ${stderr})` : ''}`;
    const victim = current && left.find((v) => v.variant === current.variant);
    if (!victim) {
      // Between variants: try the rest again if this worker got somewhere, else nothing suggests it would help.
      if (done.size > 0) {
        remaining = left;
        continue;
      }
      for (const v of left) callbacks.entry(errorEntry(v.variant, 'worker', reason('starting'), 0));
      return;
    }
    const seconds = (performance.now() - current!.started) / 1000;
    const entry = timedOut
      ? errorEntry(victim.variant, current!.stage, `did not finish within the ${options.timeout} s timeout; stopped`, seconds)
      : errorEntry(victim.variant, 'worker', reason(current!.stage === 'convert' ? 'converting' : 'validating'), seconds);
    callbacks.entry({ ...entry, ...current!.converted });
    remaining = left.filter((v) => v !== victim);
  }
}

function errorEntry(variant: string, stage: EntryStage, message: string, seconds: number): WorkerEntry {
  return { variant, status: 'error', error: { stage, message }, seconds, cacheable: false };
}

/** The lines of a dead worker's stderr that say why: error messages first, else the last lines that are not a stack. */
export function stderrSummary(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^at\s/.test(l) && !/^Node\.js v\d/.test(l) && !/^[{}[\]]+$/.test(l));
  const errors = lines.filter((l) => /(^|\s)(\w*Error\b|error:|terminate|abort|what\(\))/i.test(l));
  const chosen = errors.length > 0 ? errors.slice(0, 2) : lines.slice(-2);
  return chosen.join(' | ').slice(0, 600);
}
