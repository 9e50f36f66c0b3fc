/** The worker thread of `onnxpress convert` (see convert-action.ts): converts the job's models and posts the results. */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { builtInConversions } from '../conversions/builtins.js';
import { applyConversions } from '../convert.js';
import { isOnnxpressError, messageOf, usageError } from '../errors.js';
import type { Model } from '../ir/model.js';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { lintForTarget } from '../runtime/op-support/lint.js';
import { convertSummary, type ConvertedModel, type ConvertJob, type WorkerError, type WorkerMessage } from './convert-action.js';

function plain(value: unknown): ConvertedModel['summary'] {
  return JSON.parse(JSON.stringify(value ?? {}, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as ConvertedModel['summary'];
}

function errorOf(e: unknown): WorkerError {
  if (isOnnxpressError(e)) {
    return {
      code: e.code,
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
      ...(e.file ? { file: e.file } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  return { message: messageOf(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) };
}

/** Sends the target lint of a converted model to the main thread (which prints it) and refuses ops without a kernel. */
function lintBeforeSave(input: string, model: Model, job: ConvertJob): void {
  const target = job.target!;
  const findings = lintForTarget(model, target);
  if (findings.length > 0) parentPort?.postMessage({ type: 'lint', input, target, findings } satisfies WorkerMessage);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0 && !job.allowUnsupportedOps) {
    throw usageError(
      `the converted model has ops without a kernel in --target ${target}: ${errors.map((f) => f.op).join(', ')}; nothing was written`,
      {
        file: input,
        hint: 'convert for another target, or write it anyway with --allow-unsupported-ops',
      },
    );
  }
}

async function run(job: ConvertJob): Promise<WorkerMessage> {
  try {
    const registry = job.plugins.length ? await builtInConversions().withModules(job.plugins) : builtInConversions();
    const results: ConvertedModel[] = [];
    for (const [i, input] of job.inputs.entries()) {
      const model = loadModel(input);
      const summaries = await applyConversions(model, job.steps, registry);
      if (job.target) lintBeforeSave(input, model, job);
      const save = saveModel(model, job.outputs[i]!, { protect: job.inputs });
      results.push({
        input,
        output: save.path,
        inputBytes: statSync(input).size,
        outputBytes: save.bytes,
        summary: plain(convertSummary(summaries)),
      });
    }
    return { type: 'done', results };
  } catch (e) {
    return { type: 'error', error: errorOf(e) };
  }
}

parentPort?.postMessage(await run(workerData as ConvertJob));
