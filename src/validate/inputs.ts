/**
 * Input sets for validation: loaded from files (ONNX test-data folders, TensorProto .pb, .npy, JSON) and checked
 * against the model's inputs. Synthesized inputs are in synthesize.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { DataType, dataTypeInfo, dataTypeName } from '../ir/dtypes.js';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '../ir/float16.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import { dimsOf, elemTypeOf } from '../ir/types.js';
import { inputError } from '../errors.js';
import { parseJsonInputs } from '../io/json-input.js';
import { readNpyFile } from '../io/npy.js';
import { findTestDataSets, loadTestInputs, readTensorFile } from '../io/tensor-files.js';
import type { InputProvenance } from './types.js';

/** A graph input the caller must feed (initializers that are also graph inputs are left out). */
export interface ModelInput {
  name: string;
  /** Undefined when the model does not say. */
  dataType: DataType | undefined;
  /** Numbers for fixed dims, names for symbolic ones, null for unknown; undefined when the rank is unknown. */
  dims: (number | string | null)[] | undefined;
}

/** One set of input tensors, by input name: one run of each model. */
export type InputSample = Map<string, Tensor>;

export interface InputSet {
  source: InputProvenance['source'];
  /** Paths, or how the inputs were made. */
  description: string;
  seed?: number;
  samples: InputSample[];
  /** Where each sample came from, for messages ("sample 0 (path)"). */
  origins: string[];
}

export function modelInputs(model: Model): ModelInput[] {
  const graph = model.graph;
  return graph.inputs
    .filter((v) => !graph.initializers.has(v.name))
    .map((v) => ({ name: v.name, dataType: elemTypeOf(v.type), dims: dimsOf(v.type) }));
}

/** The name users know a type by: onnxruntime's ('float32', 'int64'), else ONNX's. */
export function typeLabel(dataType: DataType | undefined): string {
  if (dataType === undefined) return 'an unknown type';
  return dataTypeInfo(dataType).ortName ?? dataTypeName(dataType);
}

const TENSOR_FILE_TYPES = new Set(['.pb', '.npy']);

/**
 * Loads input samples from paths:
 * - a folder: an ONNX test-data folder (`input_K.pb`), or a folder of `test_data_set_N` folders (one sample each);
 * - `FILE.json`: one sample (an object) or several (an array of objects), see json-input.ts;
 * - `FILE.pb` (a TensorProto) or `FILE.npy`, optionally written `NAME=FILE`: one tensor each; all such files together
 *   make one sample. The name is NAME, else the TensorProto's name, else the file name without its extension.
 * Every sample is checked against the model's inputs (see checkSample).
 */
export function loadInputs(paths: readonly string[], inputs: readonly ModelInput[]): InputSet {
  if (paths.length === 0) throw inputError('no input paths given');
  const names = inputs.map((i) => i.name);
  const typeOf = (name: string) => inputs.find((i) => i.name === name)?.dataType;
  const samples: InputSample[] = [];
  const origins: string[] = [];
  const loose: InputSample = new Map();
  const looseFiles: string[] = [];
  let allTestData = true;

  for (const arg of paths) {
    const { name, path } = splitNamedPath(arg);
    if (!existsSync(path)) throw inputError('no such file or folder', { file: path });
    if (statSync(path).isDirectory()) {
      if (name !== undefined) throw inputError(`'${arg}': NAME=PATH names a tensor file, not a folder`);
      for (const dir of findTestDataSets(path)) {
        samples.push(loadTestInputs(dir, names));
        origins.push(dir);
      }
      continue;
    }
    allTestData = false;
    const ext = extname(path).toLowerCase();
    if (ext === '.json') {
      if (name !== undefined) throw inputError(`'${arg}': a JSON file names its inputs itself; drop the NAME= prefix`);
      const parsed = parseJsonInputs(readFileSync(path, 'utf8'), path, typeOf);
      parsed.forEach((sample, i) => {
        samples.push(sample);
        origins.push(parsed.length > 1 ? `${path} [${i}]` : path);
      });
      continue;
    }
    if (!TENSOR_FILE_TYPES.has(ext)) {
      throw inputError('unknown input file type; give a folder, .pb, .npy or .json', { file: path });
    }
    const tensor = ext === '.npy' ? readNpyFile(path, name) : readTensorFile(path);
    const tensorName = name ?? (ext === '.pb' && tensor.name ? tensor.name : basename(path, extname(path)));
    tensor.name = tensorName;
    if (loose.has(tensorName)) throw inputError(`two files give input '${tensorName}'`, { file: path });
    loose.set(tensorName, tensor);
    looseFiles.push(path);
  }
  if (loose.size > 0) {
    samples.push(loose);
    origins.push(looseFiles.join(', '));
  }
  samples.forEach((sample, i) => checkSample(sample, inputs, `sample ${i} (${origins[i]})`));
  return {
    source: allTestData ? 'test-data' : 'files',
    description: paths.join(', '),
    samples,
    origins,
  };
}

/** `NAME=PATH` (when PATH exists or the whole argument does not) or a plain path. */
function splitNamedPath(arg: string): { name?: string; path: string } {
  const match = /^([^=/\\]+)=(.+)$/.exec(arg);
  if (!match || existsSync(arg)) return { path: arg };
  return { name: match[1]!, path: match[2]! };
}

/**
 * Checks one sample against the model's inputs: every input present, nothing extra, the element type equal and the
 * rank and fixed dims as the model declares. Throws E_INPUT naming the input.
 */
export function checkSample(sample: InputSample, inputs: readonly ModelInput[], where: string): void {
  for (const name of sample.keys()) {
    if (!inputs.some((i) => i.name === name)) {
      throw inputError(`${where}: the model has no input named '${name}' (its inputs: ${inputs.map((i) => i.name).join(', ') || 'none'})`);
    }
  }
  for (const input of inputs) {
    const tensor = sample.get(input.name);
    if (!tensor) throw inputError(`${where}: input '${input.name}' is missing`);
    if (input.dataType !== undefined && tensor.dataType !== input.dataType) {
      throw inputError(`${where}: input '${input.name}' is ${typeLabel(tensor.dataType)} but the model expects ${typeLabel(input.dataType)}`);
    }
    if (input.dims === undefined) continue;
    const dims = tensor.dims.map(Number);
    const expected = `[${input.dims.map((d) => d ?? '?').join(', ')}]`;
    if (dims.length !== input.dims.length) {
      throw inputError(
        `${where}: input '${input.name}' has rank ${dims.length} (shape [${dims.join(', ')}]) but the model expects rank ${input.dims.length} ${expected}`,
      );
    }
    input.dims.forEach((d, axis) => {
      if (typeof d === 'number' && dims[axis] !== d) {
        throw inputError(`${where}: input '${input.name}' has shape [${dims.join(', ')}] but the model expects ${expected}`);
      }
    });
  }
}

/** What the candidate is fed, and what the reader should know about it. */
export interface CandidateFeed {
  samples: InputSample[];
  notes: string[];
}

/**
 * The baseline's samples as the candidate takes them. A candidate converted without keeping its I/O types takes
 * float16 (or bfloat16) where the baseline takes float32: those inputs are rounded. Any other difference in inputs
 * is an E_INPUT error. Inputs the candidate does not have are not passed to it (and a note says so).
 */
export function adaptForCandidate(
  samples: readonly InputSample[],
  baseline: readonly ModelInput[],
  candidate: readonly ModelInput[],
  files: { baseline?: string; candidate?: string } = {},
): CandidateFeed {
  const notes: string[] = [];
  const conversions = new Map<string, DataType>();
  // The error is about the candidate's file; the baseline's is named in the message.
  const where = { file: files.candidate };
  const theBaseline = `the baseline${files.baseline ? ` (${files.baseline})` : ''}`;
  for (const input of candidate) {
    const base = baseline.find((b) => b.name === input.name);
    if (!base) throw inputError(`the candidate needs input '${input.name}', which ${theBaseline} does not have`, where);
    if (input.dataType === undefined || base.dataType === undefined || input.dataType === base.dataType) continue;
    if (!isFloatConvertible(base.dataType, input.dataType)) {
      throw inputError(
        `input '${input.name}' is ${typeLabel(base.dataType)} in ${theBaseline} but ${typeLabel(input.dataType)} in the candidate`,
        where,
      );
    }
    conversions.set(input.name, input.dataType);
    notes.push(`Input '${input.name}' was converted from ${typeLabel(base.dataType)} to ${typeLabel(input.dataType)} for the candidate.`);
  }
  const dropped = baseline.filter((b) => !candidate.some((c) => c.name === b.name)).map((b) => b.name);
  if (dropped.length > 0) notes.push(`The candidate has no input ${dropped.map((n) => `'${n}'`).join(', ')}; it was not passed to it.`);
  if (conversions.size === 0 && dropped.length === 0) return { samples: [...samples], notes };
  const adapted = samples.map((sample) => {
    const out: InputSample = new Map();
    for (const [name, tensor] of sample) {
      if (dropped.includes(name)) continue;
      const to = conversions.get(name);
      out.set(name, to === undefined ? tensor : convertFloat(tensor, to));
    }
    return out;
  });
  return { samples: adapted, notes };
}

const FLOATS = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

function isFloatConvertible(from: DataType, to: DataType): boolean {
  return FLOATS.has(from) && FLOATS.has(to);
}

/** A float tensor converted to another float type (through float32; float64 is rounded to float32 first). */
export function convertFloat(tensor: Tensor, to: DataType): Tensor {
  const data = tensor.toTypedArray();
  let f32: Float32Array;
  if (tensor.dataType === DataType.FLOAT16) f32 = float16ToFloat32(data as Uint16Array);
  else if (tensor.dataType === DataType.BFLOAT16) f32 = bfloat16ToFloat32(data as Uint16Array);
  else f32 = Float32Array.from(data as Float32Array | Float64Array);
  const converted =
    to === DataType.FLOAT16
      ? float32ToFloat16(f32)
      : to === DataType.BFLOAT16
        ? float32ToBfloat16(f32)
        : to === DataType.DOUBLE
          ? Float64Array.from(f32)
          : f32;
  return Tensor.fromArray(tensor.name, to, tensor.dims, converted);
}

/** The provenance block of the report: shapes and types of the first sample. */
export function describeInputSet(set: InputSet): InputProvenance {
  const first = set.samples[0] ?? new Map<string, Tensor>();
  return {
    source: set.source,
    description: set.samples.length > 1 ? `${set.description}; ${set.samples.length} samples` : set.description,
    ...(set.seed !== undefined ? { seed: set.seed } : {}),
    tensors: [...first.entries()].map(([name, t]) => ({ name, dims: t.dims.map(Number), type: typeLabel(t.dataType) })),
  };
}
