/**
 * Running one model's variants in a worker process. A worker that dies (a crash, ONNX Runtime aborting,
 * an out-of-memory kill) costs the variant it was working on; the variants after it get a new worker.
 */
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { decodeMessageLine, encodeTask, type ConvertedVariant, type WorkerEntry, type WorkerTask } from './task.js';

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

/**
 * Runs a task to the end, respawning after a crash for the variants not yet reached. Every variant gets
 * exactly one `entry` callback.
 */
export async function runWorkerTask(task: WorkerTask, callbacks: WorkerCallbacks, workerEntry = defaultWorkerEntry()): Promise<void> {
  let remaining = task.variants;
  while (remaining.length > 0) {
    const done = new Set<string>();
    let current: { variant: string; stage: 'convert' | 'validate'; started: number; converted?: ConvertedVariant } | undefined;
    const child = execa(process.execPath, [workerEntry], {
      input: encodeTask({ ...task, variants: remaining }),
      reject: false,
      buffer: { stdout: false, stderr: true },
      stripFinalNewline: true,
    });
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    for await (const line of lines) {
      const message = decodeMessageLine(line);
      if (!message) continue;
      if (message.type === 'stage') {
        const started = current?.variant === message.variant ? current.started : performance.now();
        current = { variant: message.variant, stage: message.stage, started, ...(message.stage === 'validate' ? { converted: message.converted } : {}) };
        callbacks.stage(message.variant, message.stage);
      } else if (!done.has(message.entry.variant)) {
        done.add(message.entry.variant);
        current = undefined;
        callbacks.entry(message.entry);
      }
    }
    const result = await child;
    const left = remaining.filter((v) => !done.has(v.variant));
    if (left.length === 0) return;

    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode ?? '?'}`;
    const stderr = stderrSummary(String(result.stderr ?? ''));
    const reason = (what: string) => `the worker process ${how} while ${what}${stderr ? ` (stderr: ${stderr})` : ''}`;
    const victim = current && left.find((v) => v.variant === current!.variant);
    if (!victim) {
      // Between variants: try the rest again if this worker got somewhere, else nothing suggests it would help.
      if (done.size > 0) {
        remaining = left;
        continue;
      }
      for (const v of left) callbacks.entry(crashEntry(v.variant, reason('starting'), 0));
      return;
    }
    const seconds = (performance.now() - current!.started) / 1000;
    callbacks.entry({ ...crashEntry(victim.variant, reason(current!.stage === 'convert' ? 'converting' : 'validating'), seconds), ...current!.converted });
    remaining = left.filter((v) => v !== victim);
  }
}

function crashEntry(variant: string, message: string, seconds: number): WorkerEntry {
  return { variant, status: 'error', error: { stage: 'worker', message }, seconds, cacheable: false };
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
