/**
 * Validating a candidate model against its baseline: run both in ONNX Runtime (each in its own process) on the same
 * inputs, compare every output, score accuracy against labels, optionally time them interleaved, and build the
 * typed result (types.ts) that the report writers render.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataType, dataTypeInfo, type TypedArray } from '../ir/dtypes.js';
import { bfloat16ToFloat32, float16ToFloat32 } from '../ir/float16.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { elemTypeOf } from '../ir/types.js';
import { inputError, modelError, runtimeError } from '../errors.js';
import { loadModel } from '../io/load.js';
import { SessionRunners, type SessionRunner } from '../runtime/runners.js';
import { WorkerError, type Deadline, type LoadInfo } from '../runtime/session.js';
import { adaptForCandidate, describeInputSet, loadInputs, modelInputs, type InputSample, type InputSet } from './inputs.js';
import { parseTypeName } from '../io/json-input.js';
import { readLabels, type Labels } from '../io/labels.js';
import { accuracy, compareOutputs, type NumericArray } from './metrics.js';
import { describeModel } from './model-report.js';
import { classifyOutputs } from './roles.js';
import { defaultRounds, median } from './stats.js';
import { inferKindOrSwapped } from './swap.js';
import type { OutputFile, SessionSettings, TensorFile } from '../runtime/protocol.js';
import { buildValidationResult, describeHost } from './result.js';
import { synthesizeInputs } from './synthesize.js';
import { resolveThresholds } from './thresholds.js';
import type { ModelReport, OutputComparison, ValidationResult, ValidationRun } from './types.js';
import { DEFAULT_ITERATIONS, normalizeValidateOptions, type NormalizedValidateOptions, type RawValidateOptions } from './options.js';

export { inferKind } from './swap.js';

export { checkTimeout, normalizeValidateOptions, type LatencyOptions, type NormalizedValidateOptions, type RawValidateOptions } from './options.js';

export interface ValidateProgress {
  phase: 'load' | 'outputs' | 'warmup' | 'latency';
  done: number;
  total: number;
}

/**
 * What `validate` takes: the options of options.ts in any form they accept (see RawValidateOptions), where
 * `inputs` may also be a ready InputSet, and a progress callback.
 */
export interface ValidateOptions extends Omit<RawValidateOptions, 'inputs'> {
  /** Input files and folders (see loadInputs), or a ready input set; absent: inputs are synthesized. */
  inputs?: RawValidateOptions['inputs'] | InputSet;
  onProgress?: (progress: ValidateProgress) => void;
}

/** What the core takes besides the options: things that are not plain data. */
export interface ValidateHooks {
  /** Inputs already in memory, instead of `options.inputs`. */
  inputSet?: InputSet;
  /** Labels already in memory, instead of `options.labels`. */
  labels?: Labels;
  onProgress?: (progress: ValidateProgress) => void;
}

function timeoutDeadline(seconds: number | undefined): Deadline | undefined {
  return seconds === undefined ? undefined : { at: Date.now() + seconds * 1000, seconds };
}

/** Sub-byte output types onnxruntime-node cannot hand to JavaScript: it aborts the process instead. */
const UNRETURNABLE_OUTPUTS = new Set([DataType.INT4, DataType.UINT4, DataType.FLOAT4E2M1, DataType.INT2, DataType.UINT2]);

/**
 * Validates `options.candidate` against `options.baseline`. The options are normalized first
 * (normalizeValidateOptions: E_USAGE for a wrong one). Normalizing a NormalizedValidateOptions again changes
 * nothing, so this is also the validator pipelines load by default (src/pipeline/validator.ts).
 */
export async function validate(options: ValidateOptions): Promise<ValidationResult> {
  const { inputs, onProgress, ...rest } = options;
  const inputSet = inputs !== undefined && typeof inputs !== 'string' && !Array.isArray(inputs) ? (inputs as InputSet) : undefined;
  const normalized = normalizeValidateOptions({
    ...rest,
    ...(inputSet || inputs === undefined ? {} : { inputs: inputs as RawValidateOptions['inputs'] }),
  });
  return runValidation(normalized, { ...(inputSet ? { inputSet } : {}), ...(onProgress ? { onProgress } : {}) });
}

/** The validation itself, on normalized options. */
export async function runValidation(options: NormalizedValidateOptions, hooks: ValidateHooks = {}): Promise<ValidationResult> {
  const deadline = timeoutDeadline(options.timeout);
  const baselinePath = resolve(options.baseline);
  const candidatePath = resolve(options.candidate);
  // Only the structure is read here (ONNX Runtime loads the weights in its own process).
  const baselineModel = loadModel(baselinePath, { deferWeights: true });
  const candidateModel = loadModel(candidatePath, { deferWeights: true });
  const baseline = describeModel(baselineModel, baselinePath, options.baselineName);
  const candidate = describeModel(candidateModel, candidatePath, options.candidateName);
  const kind = options.kind ?? inferKindOrSwapped(baseline, candidate);
  const thresholds = resolveThresholds(kind, options.thresholds, { defaults: options.defaultThresholds });

  const baselineInputs = modelInputs(baselineModel);
  const inputSet = resolveInputs(options, hooks.inputSet, baselineModel, baselineInputs);
  const feed = adaptForCandidate(inputSet.samples, baselineInputs, modelInputs(candidateModel), {
    baseline: options.baseline,
    candidate: options.candidate,
  });
  const labels = hooks.labels ?? (options.labels !== undefined ? readLabels(options.labels) : undefined);
  const latency = options.latency
    ? { warmup: options.warmup, ...(options.iterations !== undefined ? { iterations: options.iterations } : {}) }
    : undefined;
  const settings: Omit<SessionSettings, 'modelPath'> = {
    providers: [...options.providers],
    intraOpNumThreads: options.threads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: options.graphOptimizationLevel,
  };
  const baselineSettings = { ...settings, providers: [...options.baselineProvider] };

  const progress = hooks.onProgress ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'onnxpress-validate-'));
  const runners = new SessionRunners();
  const open = { ...(deadline ? { deadline } : {}), ...(options.browser !== undefined ? { browser: options.browser } : {}) };
  try {
    const baselineProcess = await runners.open('baseline', baselinePath, {
      ...open,
      providers: baselineSettings.providers,
      crashHint: crashHint(baselineModel),
    });
    const candidateProcess = await runners.open('candidate', candidatePath, {
      ...open,
      providers: settings.providers,
      crashHint: crashHint(candidateModel),
    });
    const files = new Map<Tensor, string>();
    const baselineFiles = writeSamples(work, inputSet.samples, files);
    const candidateFiles = writeSamples(work, feed.samples, files);

    progress({ phase: 'load', done: 0, total: 2 });
    // Both workers start together, but the sessions are created one at a time, so createMs is not measured under contention.
    await Promise.all([baselineProcess.started(), candidateProcess.started()]);
    const baselineLoad = await loadSession(baselineProcess, { modelPath: baselinePath, ...baselineSettings }, baselineFiles);
    progress({ phase: 'load', done: 1, total: 2 });
    const candidateLoad = await loadSession(candidateProcess, { modelPath: candidatePath, ...settings }, candidateFiles);
    progress({ phase: 'load', done: 2, total: 2 });

    const collected = await collectOutputs(baselineProcess, candidateProcess, inputSet.samples.length, work, progress);
    const runnersUsed = [baselineProcess, candidateProcess];
    refuseConsoleErrors(runnersUsed, options.allowConsoleErrors);
    const notes = [...feed.notes];
    // The output the labels score is class scores, whatever the graph says.
    const labelsOutput = labels ? (options.labelsOutput ?? baselineLoad.outputNames[0]) : undefined;
    const outputs = compareAll(collected, notes, [baselineModel, candidateModel], labelsOutput);

    let accuracyResult: ValidationRun['accuracy'];
    if (labels) {
      const name = options.labelsOutput ?? baselineLoad.outputNames[0];
      const output = collected.find((o) => o.name === name);
      if (!output || !output.candidate) {
        throw inputError(`labels: there is no output named '${name}' in both models`, { file: labels.path });
      }
      const score = (values: NumericArray) => {
        try {
          return accuracy(values, output.dims, labels.values);
        } catch (e) {
          throw inputError(`labels do not fit output '${name}': ${(e as Error).message}`, { file: labels.path, cause: e });
        }
      };
      accuracyResult = { output: name!, labels: labels.path, baseline: score(output.baseline), candidate: score(output.candidate) };
    }

    const timings = latency ? await measureLatency(baselineProcess, candidateProcess, inputSet.samples.length, latency, progress) : undefined;
    const [baselineRss, candidateRss] = [await baselineProcess.peakRss(), await candidateProcess.peakRss()];
    refuseConsoleErrors(runnersUsed, options.allowConsoleErrors);
    await Promise.all([baselineProcess.close(), candidateProcess.close()]);

    const run: ValidationRun = {
      kind,
      environment: {
        executionProvider: providerLabel(options.baselineProvider, options.providers),
        onnxruntimeVersion: candidateProcess.runtime().version,
        intraOpNumThreads: settings.intraOpNumThreads,
        interOpNumThreads: settings.interOpNumThreads,
        graphOptimizationLevel: settings.graphOptimizationLevel,
        ...describeHost(),
      },
      inputs: describeInputSet(inputSet),
      baseline: withSession(baseline, baselineLoad, baselineRss, baselineProcess),
      candidate: withSession(candidate, candidateLoad, candidateRss, candidateProcess),
      outputs,
      ...(accuracyResult ? { accuracy: accuracyResult } : {}),
      ...(timings ? { latency: timings } : {}),
    };
    const result = buildValidationResult(run, { thresholds, bootstrap: options.bootstrap });
    result.notes.push(...notes);
    return result;
  } finally {
    await runners.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** 'cpu', or 'cpu -> web-webgpu' when the baseline ran elsewhere than the candidate. */
function providerLabel(baseline: readonly string[], candidate: readonly string[]): string {
  const [b, c] = [baseline.join(','), candidate.join(',')];
  return b === c ? c : `${b} -> ${c}`;
}

/**
 * WebGPU reports validation errors to the page's console, not to the code that caused them: outputs computed
 * meanwhile cannot be trusted, so they fail the run (E_RUNTIME, exit 2) unless the user allows them.
 */
export function refuseConsoleErrors(runners: readonly SessionRunner[], allowed: boolean): void {
  if (allowed) return;
  for (const runner of runners) {
    const errors = runner.consoleErrors();
    if (errors.length === 0) continue;
    const shown = errors.slice(0, 3).map((e) => (e.length > 300 ? `${e.slice(0, 300)}…` : e));
    throw runtimeError(
      `the ${runner.label} model's browser page reported ${errors.length} WebGPU error(s), so its outputs cannot be trusted: ` +
        `${shown.join(' | ')}${errors.length > shown.length ? ' | …' : ''} (--allow-console-errors keeps the run and lists them as notes)`,
      { file: runner.modelPath },
    );
  }
}

/** The given input set, else the input files, else synthesized inputs; with a set or files, `samples` keeps the first N. */
function resolveInputs(
  options: NormalizedValidateOptions,
  given: InputSet | undefined,
  model: Model,
  inputs: ReturnType<typeof modelInputs>,
): InputSet {
  if (!given && options.inputs.length === 0) {
    return synthesizeInputs(model, {
      seed: options.seed,
      ...(options.samples !== undefined ? { samples: options.samples } : {}),
      dims: options.dims,
    });
  }
  const set = given ?? loadInputs(options.inputs, inputs);
  const n = options.samples;
  if (n === undefined || n >= set.samples.length) return set;
  return { ...set, samples: set.samples.slice(0, n), origins: set.origins.slice(0, n) };
}

function crashHint(model: Model): string | undefined {
  const bad = model.graph.outputs.filter((v) => {
    const t = elemTypeOf(v.type);
    return t !== undefined && UNRETURNABLE_OUTPUTS.has(t);
  });
  if (bad.length === 0) return undefined;
  const list = bad.map((v) => `'${v.name}' (${dataTypeInfo(elemTypeOf(v.type)!).name.toLowerCase()})`).join(', ');
  return `The model has graph outputs of sub-byte types, which onnxruntime-node cannot return and aborts on: ${list}`;
}

/** Writes every tensor of every sample once (tensors shared between the two models share a file). */
function writeSamples(dir: string, samples: readonly InputSample[], files: Map<Tensor, string>): TensorFile[][] {
  return samples.map((sample) =>
    [...sample.entries()].map(([name, tensor]) => {
      let file = files.get(tensor);
      if (file === undefined) {
        file = join(dir, `input-${files.size}.bin`);
        writeFileSync(file, tensor.rawBytes());
        files.set(tensor, file);
      }
      return { name, dataType: tensor.dataType, dims: tensor.dims.map(Number), file };
    }),
  );
}

async function loadSession(session: SessionRunner, settings: SessionSettings, samples: TensorFile[][]): Promise<LoadInfo> {
  try {
    return await session.load(settings, samples);
  } catch (e) {
    const provider = settings.providers.join(',');
    if (!(e instanceof WorkerError) || provider === 'cpu') throw e;
    throw runtimeError(
      `execution provider '${provider}' failed to initialize for the ${session.label} model (is it installed and supported on this machine?): ${e.detail}`,
      { file: settings.modelPath, cause: e },
    );
  }
}

interface CollectedOutput {
  name: string;
  dims: number[];
  baselineType: string;
  candidateType: string;
  baseline: NumericArray;
  /** Undefined when the candidate has no such output. */
  candidate: NumericArray | undefined;
  strings: boolean;
}

/** Runs every sample on both models (the two processes in parallel) and gathers the outputs, stacked over samples. */
async function collectOutputs(
  baseline: SessionRunner,
  candidate: SessionRunner,
  samples: number,
  work: string,
  progress: (p: ValidateProgress) => void,
): Promise<CollectedOutput[]> {
  const perSample: { baseline: OutputFile[]; candidate: OutputFile[] }[] = [];
  const data = new Map<string, { baseline: NumericArray[]; candidate: NumericArray[] }>();
  progress({ phase: 'outputs', done: 0, total: samples });
  for (let s = 0; s < samples; s++) {
    const [b, c] = await Promise.all([
      baseline.run(s, { dir: work, prefix: `baseline-${s}` }),
      candidate.run(s, { dir: work, prefix: `candidate-${s}` }),
    ]);
    const entry = { baseline: b.outputs ?? [], candidate: c.outputs ?? [] };
    perSample.push(entry);
    for (const side of ['baseline', 'candidate'] as const) {
      for (const out of entry[side]) {
        const slot = data.get(out.name) ?? { baseline: [], candidate: [] };
        data.set(out.name, slot);
        slot[side].push(readOutput(out));
      }
    }
    progress({ phase: 'outputs', done: s + 1, total: samples });
  }
  const first = perSample[0]!;
  return first.baseline.map((out) => {
    const other = first.candidate.find((c) => c.name === out.name);
    const dimsPerSample = perSample.map((p) => p.baseline.find((o) => o.name === out.name)!.dims);
    perSample.forEach((p, s) => {
      const b = p.baseline.find((o) => o.name === out.name)!;
      const c = p.candidate.find((o) => o.name === out.name);
      if (c && !sameDims(b.dims, c.dims)) {
        throw modelError(
          `output '${out.name}' of sample ${s} has shape [${b.dims.join(', ')}] in the baseline but [${c.dims.join(', ')}] in the candidate`,
        );
      }
    });
    const slot = data.get(out.name)!;
    return {
      name: out.name,
      dims: stackedDims(dimsPerSample),
      baselineType: out.type,
      candidateType: other?.type ?? 'missing',
      baseline: concat(slot.baseline),
      candidate: other ? concat(slot.candidate) : undefined,
      strings: out.type === 'string' || other?.type === 'string',
    };
  });
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The dims that describe an output over all samples: its own for one sample; [samples, ...dims] when every sample
 * has the same shape; else [rows, last] when the last axis agrees (so top-k and accuracy still see rows); else flat.
 */
export function stackedDims(dims: readonly (readonly number[])[]): number[] {
  const first = dims[0]!;
  if (dims.length === 1) return [...first];
  if (dims.every((d) => sameDims(d, first))) return [dims.length, ...first];
  const total = dims.reduce((sum, d) => sum + d.reduce((a, b) => a * b, 1), 0);
  const last = first[first.length - 1];
  if (last !== undefined && last > 0 && dims.every((d) => d.length > 0 && d[d.length - 1] === last)) return [total / last, last];
  return [total];
}

/** Reads an output file as numbers the metrics take: float16 and bfloat16 are widened to float32. */
function readOutput(out: OutputFile): NumericArray {
  if (out.strings) return [];
  const dataType = parseTypeName(out.type);
  const Ctor = dataType === undefined ? undefined : dataTypeInfo(dataType).array;
  if (!Ctor || !out.file) throw runtimeError(`output '${out.name}' has type ${out.type}, which cannot be compared`);
  const bytes = readFileSync(out.file);
  rmSync(out.file, { force: true });
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  const values = new Ctor(aligned.buffer, 0, aligned.byteLength / Ctor.BYTES_PER_ELEMENT);
  if (dataType === DataType.FLOAT16) return float16ToFloat32(values as Uint16Array);
  if (dataType === DataType.BFLOAT16) return bfloat16ToFloat32(values as Uint16Array);
  return values;
}

function concat(parts: readonly NumericArray[]): NumericArray {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as (readonly number[])[]).flat();
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = (first as TypedArray).constructor as new (length: number) => TypedArray;
  const out = new Ctor(total);
  let at = 0;
  for (const p of parts as TypedArray[]) {
    (out as Float32Array).set(p as Float32Array, at);
    at += p.length;
  }
  return out as NumericArray;
}

/** Compares each output and records its role (class scores, recurrent state, other) read from both graphs. */
function compareAll(
  collected: readonly CollectedOutput[],
  notes: string[],
  models: readonly Model[],
  labelsOutput: string | undefined,
): OutputComparison[] {
  const comparisons: OutputComparison[] = [];
  const roles = classifyOutputs(models, collected, labelsOutput !== undefined ? { labelsOutput } : {});
  for (const output of collected) {
    if (!output.candidate) {
      throw modelError(`the candidate has no output named '${output.name}'`);
    }
    if (output.strings) {
      notes.push(`Output '${output.name}' holds strings; it was not compared.`);
      continue;
    }
    comparisons.push({
      name: output.name,
      dims: output.dims,
      baselineType: output.baselineType,
      candidateType: output.candidateType,
      metrics: compareOutputs(output.baseline, output.candidate, output.dims),
      role: roles.get(output.name)!.role,
      roleReason: roles.get(output.name)!.reason,
    });
  }
  return comparisons;
}

/**
 * Warm-up rounds, then timed rounds; each round runs both models once on the same sample (round-robin over the
 * samples), the baseline first in even rounds and the candidate first in odd ones, so drift in machine load hits
 * both alike. Each worker times its own session.run. Without `iterations`, 50 rounds run, and when their median
 * round (both models) took under 1 ms, more follow (defaultRounds).
 */
async function measureLatency(
  baseline: SessionRunner,
  candidate: SessionRunner,
  samples: number,
  settings: { warmup: number; iterations?: number },
  progress: (p: ValidateProgress) => void,
): Promise<NonNullable<ValidationRun['latency']>> {
  const round = async (index: number): Promise<[number, number]> => {
    const sample = index % samples;
    if (index % 2 === 0) {
      const b = await baseline.time(sample);
      const c = await candidate.time(sample);
      return [b, c];
    }
    const c = await candidate.time(sample);
    const b = await baseline.time(sample);
    return [b, c];
  };
  for (let i = 0; i < settings.warmup; i++) {
    await round(i);
    progress({ phase: 'warmup', done: i + 1, total: settings.warmup });
  }
  const baselineMs: number[] = [];
  const candidateMs: number[] = [];
  let total = settings.iterations ?? DEFAULT_ITERATIONS;
  let roundsRule: 'given' | 'default' | 'fast-model' = settings.iterations !== undefined ? 'given' : 'default';
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const [b, c] = await round(i);
    baselineMs.push(b);
    candidateMs.push(c);
    if (roundsRule === 'default' && i + 1 === total) {
      const roundMs = median(baselineMs.map((ms, k) => ms + candidateMs[k]!));
      const wanted = defaultRounds(roundMs, total, (performance.now() - started) / total);
      if (wanted > total) [total, roundsRule] = [wanted, 'fast-model'];
    }
    progress({ phase: 'latency', done: i + 1, total });
  }
  return { warmupRuns: settings.warmup, baselineMs, candidateMs, roundsRule };
}

function withSession(report: ModelReport, load: LoadInfo, peakRssBytes: number, runner: SessionRunner): ModelReport {
  const errors = runner.consoleErrors();
  return {
    ...report,
    session: { createMs: load.createMs, peakRssBytes, rssBeforeLoadBytes: load.rssBeforeLoadBytes },
    runtime: { ...runner.runtime(), ...(errors.length > 0 ? { consoleErrors: errors } : {}) },
  };
}
