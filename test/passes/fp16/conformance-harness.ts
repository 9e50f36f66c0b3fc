/**
 * FP16 conformance on ONNX's backend node tests: every test whose inputs are
 * float32 is converted with --keep-io-types, loaded and run in onnxruntime-node,
 * and compared with the expected outputs at float16 tolerance.
 *
 * A test is 'n/a' when the float32 model itself cannot run here (ONNX Runtime
 * cannot load or run it, its outputs are int4/uint4, which abort the process,
 * or its test data are not plain tensors). A failure carries a category and a
 * reason; docs/conformance.md lists every one (conformance.test.ts checks it).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { isOnnxpressError, messageOf } from '../../../src/errors.js';
import { loadModel } from '../../../src/io/load.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { loadTestDataSet, numericValues, type TestDataSet } from '../../../src/io/tensor-files.js';
import { fromOrtTensor, toOrtTensor } from '../../../src/runtime/ort-tensors.js';
import { runModel } from '../../helpers/ort.js';

// Warnings about shape merging and constant folding would drown the test output.
ort.env.logLevel = 'error';

export type Status = 'pass' | 'fail' | 'n/a';

/** Why a test fails: precision and range are float16 itself; the others would be bugs of the pass. */
export type FailureCategory = 'precision' | 'range' | 'refused' | 'invalid-model' | 'runtime-error' | 'crash';

export interface CaseResult {
  name: string;
  status: Status;
  category?: FailureCategory;
  reason?: string;
}

/** float16 has 11 significant bits (relative step 2^-10 = 9.8e-4): allow about 10 steps, plus an absolute floor. */
export const RTOL = 1e-2;
export const ATOL = 1e-3;
const FLOAT16_MAX = 65504;

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);
const ABORTING_TYPES = new Set<number>([DataType.INT4, DataType.UINT4]);

function elemTypeOf(model: Model, name: string, io: 'inputs' | 'outputs'): number | undefined {
  const v = model.graph[io].find((x) => x.name === name);
  return v?.type && v.type.kind === 'tensor' ? v.type.elemType : undefined;
}

/** The test takes float32 graph inputs (the ones the pass changes). */
export function takesFloat32(model: Model): boolean {
  return model.graph.inputs.some((v) => !v.initializer && v.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT);
}

function outputsAbort(model: Model): boolean {
  return model.graph.outputs.some((v) => v.type?.kind === 'tensor' && ABORTING_TYPES.has(v.type.elemType ?? 0));
}

function maxAbs(values: Float64Array): number {
  let m = 0;
  for (const x of values) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(5));

/** Compares one output; undefined when it is close enough, else why not. */
export function compareOutput(
  name: string,
  expectedType: number,
  expected: Float64Array,
  got: Float64Array,
  inputRange: number,
): { category: FailureCategory; reason: string } | undefined {
  if (expected.length !== got.length) return { category: 'precision', reason: `${name}: ${got.length} elements, expected ${expected.length}` };
  const isFloat = FLOAT_TYPES.has(expectedType);
  const range = maxAbs(expected);
  const atol = ATOL * Math.max(1, range);
  let bad = 0;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const g = got[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(g);
    else if (!Number.isFinite(e)) ok = e === g;
    else if (!isFloat) ok = e === g;
    else ok = Math.abs(e - g) <= atol + RTOL * Math.abs(e);
    if (!ok) {
      bad++;
      const err = Number.isFinite(g) ? Math.abs(e - g) : Infinity;
      if (worst < 0 || err > worstErr) {
        worst = i;
        worstErr = err;
      }
    }
  }
  if (bad === 0) return undefined;
  const detail = `${bad} of ${expected.length} elements differ, worst at ${worst}: expected ${fmt(expected[worst]!)}, got ${fmt(got[worst]!)}`;
  if (range > FLOAT16_MAX || inputRange > FLOAT16_MAX) {
    return { category: 'range', reason: `${name}: values beyond float16's range (max |x| ${fmt(Math.max(range, inputRange))}); ${detail}` };
  }
  return { category: 'precision', reason: `${name}: ${isFloat ? '' : 'non-float output, compared exactly; '}${detail}` };
}

/** Runs one backend test directory. */
export async function runCase(dir: string): Promise<CaseResult | undefined> {
  const name = dir.split('/').pop()!;
  let model: Model;
  try {
    model = loadModel(join(dir, 'model.onnx'));
  } catch {
    return { name, status: 'n/a', reason: 'the model file does not load' };
  }
  if (!takesFloat32(model)) return undefined;
  if (outputsAbort(model)) return { name, status: 'n/a', reason: 'int4/uint4 outputs abort onnxruntime-node' };
  const inputNames = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
  const outputNames = model.graph.outputs.map((v) => v.name);
  let data: TestDataSet;
  try {
    data = loadTestDataSet(join(dir, 'test_data_set_0'), inputNames, outputNames);
  } catch {
    return { name, status: 'n/a', reason: 'test data are not plain tensors (sequences or optionals)' };
  }
  const outputTypes = new Map(outputNames.map((n) => [n, elemTypeOf(model, n, 'outputs') ?? data.outputs.get(n)?.dataType ?? DataType.FLOAT]));
  let inputRange = 0;
  for (const t of data.inputs.values()) if (FLOAT_TYPES.has(t.dataType)) inputRange = Math.max(inputRange, maxAbs(numericValues(t)));
  let reference: Record<string, ort.Tensor>;
  try {
    reference = await runModel(modelToBytes(model), data.inputs, {}); // onnxruntime's default threads, as the float16 run below
  } catch (e) {
    return { name, status: 'n/a', reason: `onnxruntime-node cannot run the float32 model: ${firstLine(messageOf(e))}` };
  }
  const referenceProblems = compareAll(data, reference, outputTypes, inputRange);
  if (referenceProblems.length) {
    return { name, status: 'n/a', reason: `onnxruntime-node's float32 run already misses the expected outputs (${referenceProblems[0]!.reason})` };
  }

  try {
    toFloat16(model, { keepIoTypes: true });
  } catch (e) {
    const category: FailureCategory = isOnnxpressError(e) ? 'refused' : 'crash';
    return { name, status: 'fail', category, reason: firstLine(messageOf(e)) };
  }
  const bytes = modelToBytes(model);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (e) {
    return { name, status: 'fail', category: 'invalid-model', reason: firstLine(messageOf(e)) };
  }
  let result: Record<string, ort.Tensor>;
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [n, t] of data.inputs) feeds[n] = toOrtTensor(t);
    result = await session.run(feeds);
  } catch (e) {
    return { name, status: 'fail', category: 'runtime-error', reason: firstLine(messageOf(e)) };
  } finally {
    await session.release();
  }
  const problems = compareAll(data, result, outputTypes, inputRange);
  if (problems.length === 0) return { name, status: 'pass' };
  const category = problems.find((p) => p.category !== 'precision' && p.category !== 'range')?.category ?? problems[0]!.category;
  return { name, status: 'fail', category, reason: problems.map((p) => p.reason).join('; ') };
}

function compareAll(
  data: TestDataSet,
  result: Record<string, ort.Tensor>,
  outputTypes: ReadonlyMap<string, number>,
  inputRange: number,
): { category: FailureCategory; reason: string }[] {
  const problems: { category: FailureCategory; reason: string }[] = [];
  for (const [n, expectedTensor] of data.outputs) {
    const got = result[n];
    if (!got) {
      problems.push({ category: 'invalid-model', reason: `${n}: missing from the outputs` });
      continue;
    }
    const p = compareOutput(n, outputTypes.get(n)!, numericValues(expectedTensor), numericValues(fromOrtTensor(got, n)), inputRange);
    if (p) problems.push(p);
  }
  return problems;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
}

/** All backend node tests under `root`, in name order. */
export function caseDirs(root: string): string[] {
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'model.onnx')))
    .sort()
    .map((d) => join(root, d));
}

export async function runAll(root: string, onCase?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dir of caseDirs(root)) {
    const r = await runCase(dir);
    if (!r) continue;
    results.push(r);
    onCase?.(r);
  }
  return results;
}
