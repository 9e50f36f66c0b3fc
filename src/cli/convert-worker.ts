/** The worker thread of `onnxpress convert` (see convert-action.ts): converts the job's models and posts the results. */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { builtInConversions } from '../conversions/builtins.js';
import { applyConversions } from '../convert.js';
import { isOnnxpressError, messageOf } from '../errors.js';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
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

async function run(job: ConvertJob): Promise<WorkerMessage> {
  try {
    const registry = job.plugins.length ? await builtInConversions().withModules(job.plugins) : builtInConversions();
    const results: ConvertedModel[] = [];
    for (const [i, input] of job.inputs.entries()) {
      const model = loadModel(input);
      const summaries = await applyConversions(model, job.steps, registry);
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
