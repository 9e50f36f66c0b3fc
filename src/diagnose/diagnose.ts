/**
 * `diagnose`: where a candidate's drift comes from. Both models run with their intermediate tensors exposed, on
 * the same inputs, in session workers (the one runtime runner); every matched node gets the error of its output
 * end to end (accumulated) and the error its own computation adds when fed the baseline's inputs (introduced,
 * through isolate.ts). Nodes go in chunks: each chunk's tensors are written by the workers, compared one pair at a
 * time, and deleted, so a large model is never held in memory whole.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataType } from '../ir/dtypes.js';
import { bfloat16ToFloat32, float16ToFloat32 } from '../ir/float16.js';
import type { Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import { usageError } from '../errors.js';
import { modelToBytes } from '../io/bytes.js';
import { parseTypeName } from '../io/json-input.js';
import { loadModel } from '../io/load.js';
import { readLabels } from '../io/labels.js';
import { inferTypes } from '../passes/elem-types.js';
import type { OutputFile, SessionSettings, TensorFile } from '../runtime/protocol.js';
import { writeSamples } from '../runtime/samples.js';
import { SessionProcess } from '../runtime/session.js';
import { adaptForCandidate, convertFloat, loadInputs, modelInputs, type InputSet } from '../validate/inputs.js';
import { accuracy } from '../validate/metrics.js';
import { synthesizeInputs } from '../validate/synthesize.js';
import { compareSeverity, ErrorAccumulator } from './error-stats.js';
import { buildIsolation, type IsolatedNode } from './isolate.js';
import { matchNodes, nodeLabel, type MatchedNode } from './match.js';
import type { DiagnoseResult, NodeDiagnosis } from './types.js';
import { sensitivityReasons, weightStats } from './weights.js';

export interface DiagnoseOptions {
  baseline: string;
  candidate: string;
  /** Input files or folders (as validate takes them); absent: inputs are synthesized. */
  inputs?: readonly string[];
  /** Inputs already in memory (wins over `inputs`). */
  inputSet?: InputSet;
  /** Labels for the first graph output's task accuracy (both models). */
  labels?: string;
  /** Only these baseline nodes (names of nodes or of their outputs). */
  nodes?: readonly string[];
  /** Synthesized inputs: seed, number of sets, symbolic dims. */
  seed?: number;
  samples?: number;
  dims?: Record<string, number>;
  /** ONNX Runtime intra-op threads (default 2). */
  threads?: number;
  /** Nodes measured per round of sessions (default 256): bounds the tensors on disk at once. */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_CHUNK = 256;
const FLOAT_OUTPUTS = new Set(['float32', 'float16', 'float64', 'bfloat16']);

function resolveInputSet(options: DiagnoseOptions, baseline: Model): InputSet {
  if (options.inputSet) return options.inputSet;
  if (options.inputs && options.inputs.length > 0) return loadInputs(options.inputs, modelInputs(baseline));
  return synthesizeInputs(baseline, {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    samples: options.samples ?? 1,
    dims: options.dims ?? {},
  });
}

/** A worker's output file as float64-comparable numbers. */
function readFloats(output: OutputFile): Float32Array | Float64Array {
  if (!output.file) throw new Error(`output '${output.name}' has no data file`);
  const bytes = readFileSync(output.file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (output.type) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'float16':
      return float16ToFloat32(new Uint16Array(buffer));
    case 'bfloat16':
      return bfloat16ToFloat32(new Uint16Array(buffer));
    default:
      throw new Error(`output '${output.name}' is ${output.type}, not floating point`);
  }
}

/** A baseline tensor file as an isolation input of element type `to` (written anew when the type differs). */
function feedFile(output: OutputFile, name: string, to: DataType, dir: string, id: string): TensorFile {
  const fromType = parseTypeName(output.type);
  if (fromType === to) return { name, dataType: to, dims: output.dims, file: output.file! };
  const converted = convertFloat(Tensor.fromArray(name, DataType.FLOAT, output.dims, Float32Array.from(readFloats(output))), to);
  const file = join(dir, `feed-${id}.bin`);
  writeFileSync(file, converted.rawBytes());
  return { name, dataType: to, dims: output.dims, file };
}

interface SessionSpec {
  label: string;
  path: string;
  bytes?: Uint8Array;
  expose: string[];
  samples: TensorFile[][];
}

/** Loads a model in a session worker and runs every sample, returning each sample's outputs by name. */
async function runAll(spec: SessionSpec, names: readonly string[], dir: string, threads: number): Promise<Map<string, OutputFile>[]> {
  let modelPath = spec.path;
  if (spec.bytes) {
    modelPath = join(dir, `${spec.label}.onnx`);
    writeFileSync(modelPath, spec.bytes);
  }
  const session = new SessionProcess(spec.label, spec.bytes ? modelPath : spec.path);
  try {
    const settings: SessionSettings = {
      modelPath,
      providers: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // Exposing shape values of a graph optimized at 'extended' or 'all' crashed ONNX Runtime 1.30 (SIGSEGV, char_gpt).
      graphOptimizationLevel: 'basic',
      ...(spec.expose.length > 0 ? { expose: spec.expose } : {}),
    };
    await session.load(settings, spec.samples);
    const out: Map<string, OutputFile>[] = [];
    for (let s = 0; s < spec.samples.length; s++) {
      const reply = await session.run(s, { dir, prefix: `${spec.label}-${s}`, names });
      out.push(new Map(reply.outputs.map((o) => [o.name, o])));
    }
    await session.close();
    return out;
  } finally {
    session.kill();
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function uniqueNames(values: Iterable<Value>): string[] {
  return [...new Set([...values].map((v) => v.name))];
}

export async function diagnose(options: DiagnoseOptions): Promise<DiagnoseResult> {
  const baselinePath = resolve(options.baseline);
  const candidatePath = resolve(options.candidate);
  const baseline = loadModel(baselinePath);
  const candidate = loadModel(candidatePath);
  const only = options.nodes && options.nodes.length > 0 ? new Set(options.nodes) : undefined;
  const matching = matchNodes(baseline, candidate, only);
  if (only && matching.matched.length === 0 && matching.unmatched.length === 0) {
    throw usageError(`--nodes: the baseline has no node or output named ${[...only].map((n) => `'${n}'`).join(', ')} with a floating-point output`);
  }
  const inputSet = resolveInputSet(options, baseline);
  const feed = adaptForCandidate(inputSet.samples, modelInputs(baseline), modelInputs(candidate), {
    baseline: baselinePath,
    candidate: candidatePath,
  });
  const candidateTypes = inferTypes(candidate);
  const threads = options.threads ?? 2;
  const labels = options.labels !== undefined ? readLabels(options.labels) : undefined;
  const labelsOutput = { baseline: baseline.graph.outputs[0]?.name, candidate: candidate.graph.outputs[0]?.name };
  const accuracyData: { baseline: Float32Array[]; candidate: Float32Array[]; dims: number[][] } = { baseline: [], candidate: [], dims: [] };

  const results: NodeDiagnosis[] = [];
  const work = mkdtempSync(join(tmpdir(), 'onnxpress-diagnose-'));
  const parts = chunks(matching.matched, options.chunkSize ?? DEFAULT_CHUNK);
  let done = 0;
  try {
    const inputFiles = new Map<Tensor, string>();
    const baselineSamples = writeSamples(work, inputSet.samples, inputFiles);
    const candidateSamples = writeSamples(work, feed.samples, inputFiles);
    for (const [p, part] of parts.entries()) {
      const dir = mkdtempSync(join(work, 'chunk-'));
      const isolation = buildIsolation(candidate, part, matching.values, candidateTypes);
      const feedValues = isolation.isolated.flatMap((n) => n.inputs.map((i) => i.baseline));
      const withLabels = labels !== undefined && p === 0;
      const baselineNames = uniqueNames([...part.map((m) => m.output), ...feedValues]);
      const candidateNames = uniqueNames(part.map((m) => m.candidate));
      const baselineFetch = withLabels && labelsOutput.baseline ? [...new Set([...baselineNames, labelsOutput.baseline])] : baselineNames;
      const candidateFetch = withLabels && labelsOutput.candidate ? [...new Set([...candidateNames, labelsOutput.candidate])] : candidateNames;
      const [baselineOut, candidateOut] = await Promise.all([
        runAll({ label: 'baseline', path: baselinePath, expose: baselineNames, samples: baselineSamples }, baselineFetch, dir, threads),
        runAll({ label: 'candidate', path: candidatePath, expose: candidateNames, samples: candidateSamples }, candidateFetch, dir, threads),
      ]);
      if (withLabels) {
        baselineOut.forEach((sample, s) => {
          accuracyData.baseline.push(Float32Array.from(readFloats(sample.get(labelsOutput.baseline!)!)));
          accuracyData.candidate.push(Float32Array.from(readFloats(candidateOut[s]!.get(labelsOutput.candidate!)!)));
          accuracyData.dims.push(sample.get(labelsOutput.baseline!)!.dims);
        });
      }
      const isolatedOut = isolation.isolated.length > 0 ? await runIsolation(isolation.model, isolation.isolated, baselineOut, dir, threads) : [];
      const introducedOf = new Map<MatchedNode, IsolatedNode>(isolation.isolated.map((n) => [n.target, n]));
      const skippedOf = new Map(isolation.skipped.map((s) => [s.target, s.reason]));
      const inputRatios = activationOutliers(feedValues, baselineOut);
      for (const target of part) {
        const accumulated = new ErrorAccumulator();
        const introduced = introducedOf.has(target) ? new ErrorAccumulator() : undefined;
        for (let s = 0; s < baselineOut.length; s++) {
          const reference = readFloats(baselineOut[s]!.get(target.output.name)!);
          accumulated.add(reference, readFloats(candidateOut[s]!.get(target.candidate.name)!));
          if (introduced) introduced.add(reference, readFloats(isolatedOut[s]!.get(introducedOf.get(target)!.output)!));
        }
        results.push(describeNode(target, accumulated, introduced, skippedOf.get(target), inputRatios));
        options.onProgress?.(++done, matching.matched.length);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  results.sort((a, b) => {
    if (a.introduced && b.introduced) return compareSeverity(a.introduced, b.introduced);
    if (a.introduced || b.introduced) return a.introduced ? -1 : 1;
    return compareSeverity(a.accumulated, b.accumulated);
  });
  const result: DiagnoseResult = {
    baseline: baselinePath,
    candidate: candidatePath,
    inputs: inputSet.description,
    samples: inputSet.samples.length,
    nodes: results,
    unmatched: matching.unmatched.map((u) => ({ name: nodeLabel(u.node), opType: u.node.opType, output: u.output.name, reason: u.reason })),
    notFloat: matching.notFloat,
    notes: [...feed.notes],
  };
  if (labels && labelsOutput.baseline && accuracyData.baseline.length > 0) {
    const stack = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
      let at = 0;
      for (const a of parts) {
        out.set(a, at);
        at += a.length;
      }
      return out;
    };
    const dims = [accuracyData.dims.reduce((n, d) => n + (d[0] ?? 1), 0), ...accuracyData.dims[0]!.slice(1)];
    result.accuracy = {
      output: labelsOutput.baseline,
      baseline: accuracy(stack(accuracyData.baseline), dims, labels.values).accuracy,
      candidate: accuracy(stack(accuracyData.candidate), dims, labels.values).accuracy,
    };
  }
  return result;
}

async function runIsolation(
  model: Model,
  isolated: readonly IsolatedNode[],
  baselineOut: readonly Map<string, OutputFile>[],
  dir: string,
  threads: number,
): Promise<Map<string, OutputFile>[]> {
  const samples = baselineOut.map((outputs, s) =>
    isolated.flatMap((node, n) =>
      node.inputs.map((input, k) => feedFile(outputs.get(input.baseline.name)!, input.name, input.elemType, dir, `${s}-${n}-${k}`)),
    ),
  );
  return runAll(
    { label: 'isolation', path: join(dir, 'isolation.onnx'), bytes: modelToBytes(model), expose: [], samples },
    isolated.map((n) => n.output),
    dir,
    threads,
  );
}

/** max |x| / RMS of each baseline value fed to an isolated node, over all samples. */
function activationOutliers(values: readonly Value[], baselineOut: readonly Map<string, OutputFile>[]): Map<string, number> {
  const ratios = new Map<string, number>();
  for (const name of uniqueNames(values)) {
    let absMax = 0;
    let sumSq = 0;
    let n = 0;
    for (const sample of baselineOut) {
      const output = sample.get(name);
      if (!output || !FLOAT_OUTPUTS.has(output.type)) continue;
      const data = readFloats(output);
      for (let i = 0; i < data.length; i++) {
        const x = Math.abs(data[i]!);
        if (!Number.isFinite(x)) continue;
        if (x > absMax) absMax = x;
        sumSq += x * x;
        n++;
      }
    }
    if (n > 0 && sumSq > 0) ratios.set(name, absMax / Math.sqrt(sumSq / n));
  }
  return ratios;
}

function describeNode(
  target: MatchedNode,
  accumulated: ErrorAccumulator,
  introduced: ErrorAccumulator | undefined,
  skipped: string | undefined,
  inputRatios: ReadonlyMap<string, number>,
): NodeDiagnosis {
  const node = target.node;
  const weights = weightStats(node);
  const ratios = node.inputs.filter((v): v is Value => v !== null && !v.initializer).map((v) => inputRatios.get(v.name) ?? 0);
  const inputOutlierRatio = ratios.length > 0 ? Math.max(...ratios) : undefined;
  const outputMaxAbs = accumulated.refMaxAbs;
  return {
    name: nodeLabel(node),
    opType: node.opType,
    output: target.output.name,
    candidateOutput: target.candidate.name,
    matchedBy: target.how,
    index: target.index,
    ...(introduced ? { introduced: introduced.metrics() } : { introducedSkipped: skipped ?? 'not isolated' }),
    accumulated: accumulated.metrics(),
    outputMaxAbs,
    weights,
    ...(inputOutlierRatio !== undefined && inputOutlierRatio > 0 ? { inputOutlierRatio } : {}),
    reasons: sensitivityReasons({ node, output: target.output, weights, outputMaxAbs, ...(inputOutlierRatio ? { inputOutlierRatio } : {}) }),
  };
}
