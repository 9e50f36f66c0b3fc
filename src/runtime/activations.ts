/**
 * How large values inside a model get: the model runs in a session worker (session.ts) with the values exposed as
 * outputs, and the worker returns per-value statistics (largest finite |x|, non-finite count) accumulated over the
 * input sets, never the activations themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { isOnnxpressError, OnnxpressError, usageError } from '../errors.js';
import { inferTypes } from '../passes/elem-types.js';
import { graphInputStats, valuesToMeasure } from '../passes/fp16/autoblock.js';
import type { AutoBlockOptions } from '../passes/fp16/options.js';
import { modelBytesExposing } from './expose.js';
import type { OutputStats, SessionSettings } from './protocol.js';
import { writeSamples } from './samples.js';
import { SessionProcess, WorkerError } from './session.js';

export type { OutputStats } from './protocol.js';

export interface MeasureOptions {
  /** Names the model in errors ("the float32 model"); default 'measured'. */
  label?: string;
  /** The file errors name; default: the model's source file, else the temporary copy that was run. */
  file?: string;
  /** onnxruntime-node execution providers; default ['cpu']. */
  providers?: readonly string[];
  /** Intra-op threads; default ONNX Runtime's own. */
  threads?: number;
  /** Seconds the measuring may take before the worker is killed (E_TIMEOUT); default no limit. */
  timeout?: number;
}

/**
 * Runs the model on every input set (input name -> tensor) with the named values (node outputs or graph inputs
 * of the main graph) exposed, and returns for each: its largest finite |x| and its count of non-finite elements
 * over all the sets. The model itself is not changed.
 */
export async function measureActivations(
  model: Model,
  valueNames: readonly string[],
  inputSets: readonly ReadonlyMap<string, Tensor>[],
  options: MeasureOptions = {},
): Promise<Map<string, OutputStats>> {
  const names = [...new Set(valueNames)];
  const dir = mkdtempSync(join(tmpdir(), 'onnxpress-measure-'));
  let session: SessionProcess | undefined;
  try {
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, modelBytesExposing(model, names));
    const samples = writeSamples(dir, inputSets);
    const limit = options.timeout;
    if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
      throw usageError(`timeout ${limit}: expected a number of seconds above 0`);
    }
    const deadline = limit === undefined ? undefined : { at: Date.now() + limit * 1000, seconds: limit };
    session = new SessionProcess(options.label ?? 'measured', options.file ?? model.sourcePath ?? modelPath, undefined, deadline);
    const settings: SessionSettings = {
      modelPath,
      providers: [...(options.providers ?? ['cpu'])],
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 0,
      graphOptimizationLevel: 'all',
    };
    await session.load(settings, samples);
    const stats = await session.measure(names);
    await session.close();
    return stats;
  } finally {
    session?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The options of --auto-block (AutoBlockOptions of the FP16 pass): the float32 model's activations measured on
 * the input sets (see valuesToMeasure and graphInputStats in src/passes/fp16/autoblock.ts), and the threshold.
 */
export async function measureForAutoBlock(
  model: Model,
  inputSets: readonly ReadonlyMap<string, Tensor>[],
  threshold?: number,
): Promise<AutoBlockOptions> {
  if (inputSets.length === 0) throw usageError('auto-block needs at least one set of inputs');
  const types = inferTypes(model);
  const values = valuesToMeasure(model, types);
  const activations = new Map<string, OutputStats>(graphInputStats(model, inputSets, types));
  if (values.length > 0) {
    let measured: Map<string, OutputStats>;
    try {
      measured = await measureActivations(model, values, inputSets, { label: 'float32' });
    } catch (e) {
      throw autoBlockError(e);
    }
    for (const [name, stats] of measured) activations.set(name, stats);
  }
  return { activations, ...(threshold !== undefined ? { threshold } : {}) };
}

function autoBlockError(e: unknown): unknown {
  if (!isOnnxpressError(e)) return e;
  // The file would be the temporary copy of the model that was run.
  const message = e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
  if (e.code === 'E_RUNTIME' || e.code === 'E_TIMEOUT') {
    const detail = e instanceof WorkerError ? e.detail : message;
    return new OnnxpressError(e.code, `auto-block: ONNX Runtime could not run the float32 model: ${detail}`, { cause: e });
  }
  return new OnnxpressError(e.code, `auto-block: ${message}`, { cause: e });
}
