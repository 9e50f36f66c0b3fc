/**
 * What `onnxpress convert` does; loaded only when that command runs. The conversion itself runs in a worker thread
 * (convert-worker.ts): reading, converting and writing a model are long synchronous stretches, during which a
 * signal handler on the thread doing them could not run. This thread stays free, so Ctrl-C (SIGINT) or SIGTERM
 * stops the worker at once, removes the partial output it was writing (`.<name>.<pid>.<random>.tmp`, see
 * io/atomic-write.ts) and exits with 128 + the signal's number.
 */
import { constants } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ConversionRegistry } from '../conversions/registry.js';
import type { ConversionSummary } from '../conversions/types.js';
import { OPSET_FLAG, upgradeConversion } from '../conversions/upgrade.js';
import { outputPaths, type ConversionStep } from '../convert.js';
import { OnnxpressError, type ErrorCode } from '../errors.js';
import { removeTempFiles } from '../io/atomic-write.js';
import { formatBytes } from '../report/format.js';
import type { LintFinding, Target } from '../runtime/op-support/lint.js';
import { targetDefaults } from '../conversions/targets.js';
import type { ConvertArgs } from './convert.js';
import { expandAtFiles, runSearch } from './convert-search.js';
import { checkConversionFlags } from './flags.js';
import { printJson } from './output.js';

/** What the worker is given: plain data (the registry travels as its plugin module paths). */
export interface ConvertJob {
  inputs: string[];
  outputs: string[];
  /** The conversions each model goes through (convertSteps). */
  steps: ConversionStep[];
  plugins: string[];
  /** Lint each output for this target before writing it; refuse ops without a kernel unless allowed. */
  target?: Target;
  allowUnsupportedOps?: boolean;
}

/** What `convert --to X` runs: X, after an upgrade when `--opset N` is given (`--to upgrade --opset N` is that alone). */
export function convertSteps(to: string, options: Record<string, unknown>): ConversionStep[] {
  const opset = options[OPSET_FLAG];
  if (opset === undefined || opset === null || to === upgradeConversion.name) return [{ to, options }];
  return [
    { to: upgradeConversion.name, options: { [OPSET_FLAG]: opset } },
    { to, options },
  ];
}

/** The one summary `convert` prints for its steps: the conversion's, with an upgrade's notes first and its summary in `upgrade`. */
export function convertSummary(summaries: readonly ConversionSummary[]): ConversionSummary {
  const summary = summaries.at(-1)!;
  if (summaries.length === 1) return summary;
  const upgrade = summaries[0]!;
  return { ...summary, notes: [...(upgrade.notes ?? []), ...(summary.notes ?? [])], upgrade };
}

/** One converted model, as the worker reports it. */
export interface ConvertedModel {
  input: string;
  output: string;
  inputBytes: number;
  outputBytes: number;
  /** The conversion's summary as JSON would show it. */
  summary: { notes?: string[] } & Record<string, unknown>;
}

/** An error as it crosses from the worker: enough to print it as it would have been printed here. */
export interface WorkerError {
  code?: ErrorCode;
  message: string;
  hint?: string;
  file?: string;
  stack?: string;
}

export type WorkerMessage =
  | { type: 'done'; results: ConvertedModel[] }
  | { type: 'error'; error: WorkerError }
  /** The target lint of one output, sent before it is written. */
  | { type: 'lint'; input: string; target: Target; findings: LintFinding[] };

/** The compiled worker (src/cli and dist/cli both sit two levels below the package root, as run.ts's demo path). */
const WORKER = new URL('../../dist/cli/convert-worker.js', import.meta.url);

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Signal = (typeof SIGNALS)[number];

export async function runConvert(args: ConvertArgs, registry: ConversionRegistry, argv: readonly string[]): Promise<number> {
  checkConversionFlags(args.to, registry, argv);
  const outputs = outputPaths(args.models, args.out, args.outDir);
  const { target, allowUnsupportedOps } = args;
  const options = expandAtFiles(
    Object.fromEntries(
      Object.entries(args).filter(
        ([key, value]) => !['_', '$0', 'target', 'allowUnsupportedOps', 'allow-unsupported-ops'].includes(key) && value !== undefined,
      ),
    ),
  );
  if (target) Object.assign(options, targetDefaults(target, args.to, flagsGiven(argv)));
  if (args.threshold !== undefined) return runSearch(args, options, registry);
  const outcome = await convertInWorker({
    inputs: args.models,
    outputs,
    steps: convertSteps(args.to, options),
    plugins: [...registry.modules],
    ...(target ? { target, allowUnsupportedOps } : {}),
  });
  if ('signal' in outcome) {
    process.stderr.write('onnxpress: interrupted\n');
    return 128 + constants.signals[outcome.signal];
  }
  const results = outcome.results;
  if (args.json) {
    printJson(results.map((r) => ({ input: r.input, output: r.output, inputBytes: r.inputBytes, outputBytes: r.outputBytes, summary: r.summary })));
  } else {
    for (const r of results) {
      const ratio = r.inputBytes > 0 ? ` (${((100 * r.outputBytes) / r.inputBytes).toFixed(1)}%)` : '';
      process.stdout.write(`${r.input} -> ${r.output}: ${formatBytes(r.outputBytes)}${ratio}\n`);
      for (const note of r.summary.notes ?? []) process.stdout.write(`  ${note}\n`);
    }
  }
  return 0;
}

/**
 * Runs the job in a worker thread. On SIGINT or SIGTERM the worker is stopped, the temporary files this process
 * made in the output folders are removed, and the signal is returned instead of results.
 */
export function convertInWorker(job: ConvertJob): Promise<{ results: ConvertedModel[] } | { signal: Signal }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    let outcome: { results: ConvertedModel[] } | undefined;
    let failure: Error | undefined;
    let stopping = false;
    const handlers = SIGNALS.map((signal) => [signal, () => void interrupt(signal)] as const);
    const release = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    const interrupt = async (signal: Signal) => {
      if (stopping) return;
      stopping = true;
      release();
      await worker.terminate();
      for (const dir of new Set(job.outputs.map((output) => path.dirname(output)))) removeTempFiles(dir);
      resolve({ signal });
    };
    for (const [signal, handler] of handlers) process.on(signal, handler);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'lint') printLint(message.input, message.target, message.findings);
      else if (message.type === 'done') outcome = { results: message.results };
      else failure = errorFrom(message.error);
    });
    worker.on('error', (e) => {
      failure ??= e;
    });
    worker.on('exit', (code) => {
      if (stopping) return;
      release();
      if (failure !== undefined) reject(failure);
      else if (outcome) resolve(outcome);
      else reject(new Error(`the conversion worker stopped (exit code ${code}) without a result`));
    });
  });
}

/** The camelCase names of the flags on the command line (`--weight-type auto` -> weightType). */
function flagsGiven(argv: readonly string[]): Set<string> {
  return new Set(
    argv
      .filter((a) => a.startsWith('--'))
      .map((a) => a.slice(2).split('=')[0]!.replace(/^no-/, ''))
      .map((flag) => flag.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())),
  );
}

/** The lint, on stderr, as soon as the worker has it (before the output is written). */
function printLint(input: string, target: Target, findings: readonly LintFinding[]): void {
  for (const f of findings) process.stderr.write(`onnxpress: ${input}: --target ${target}: ${f.severity}: ${f.message}\n`);
}

function errorFrom(e: WorkerError): Error {
  const error =
    e.code !== undefined
      ? Object.assign(new OnnxpressError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}) }), { file: e.file })
      : new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}
