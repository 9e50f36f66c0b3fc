/**
 * Version converter conformance on ONNX's backend node tests: every test whose model imports a default-domain
 * opset below the target and holds an op that got a new version between the two (in its graph, subgraphs or
 * functions) is upgraded to the target, run in onnxruntime-node, and compared with the test's expected
 * outputs (test_data_set_0/output_K.pb).
 *
 * 'n/a' (cannot be checked): the test data are not plain tensors, the outputs are int4/uint4 (which abort
 * onnxruntime-node), or onnxruntime-node cannot run the original model at its own opset either (or misses the
 * expected outputs with it) and the upgraded model does not pass: the failure cannot be put on the upgrade.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isOnnxpressError, messageOf } from '../../../src/errors.js';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { loadModel } from '../../../src/io/load.js';
import { loadTestDataSet, numericValues, type TestDataSet } from '../../../src/io/tensor-files.js';
import { upgradeOpset } from '../../../src/passes/version/upgrade.js';
import { OP_VERSIONS } from '../../../src/passes/version/versions.js';
import { fromOrtTensor } from '../../../src/runtime/ort-tensors.js';
import { runModel } from '../../helpers/ort.js';

ort.env.logLevel = 'error';

export type Status = 'pass' | 'fail' | 'n/a';
export type FailureCategory = 'refused' | 'crash' | 'invalid-model' | 'runtime-error' | 'mismatch';

export interface CaseResult {
  name: string;
  /** The test model's default-domain opset. */
  opset: number;
  /** The ops that changed between its opset and the target. */
  changed: string[];
  status: Status;
  category?: FailureCategory;
  reason?: string;
}

/**
 * ONNX's backend tests compare with rtol 1e-3 and atol 1e-7; here atol is 1e-5 of the output's largest |value|
 * (at least 1e-5), for float32 round-off in sums such as DFT's.
 */
export const RTOL = 1e-3;
export const ATOL = 1e-5;

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);
const ABORTING_TYPES = new Set<number>([DataType.INT4, DataType.UINT4]);

/** Ops of the model (every graph and function body) that got a new version in (from, to]. */
export function changedOps(model: Model, from: number, to: number): string[] {
  const changed = new Set<string>();
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      if (!node.isOnnxOp()) continue;
      const versions = OP_VERSIONS[node.opType];
      if (!versions) {
        changed.add(node.opType); // not an op of the target: the upgrade must say so
        continue;
      }
      const at = Math.max(from, versions[0]!);
      if (versions.some((v) => v > at && v <= to)) changed.add(node.opType);
    }
  }
  return [...changed].sort();
}

function compare(data: TestDataSet, result: Record<string, ort.Tensor>, outputTypes: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const [name, expectedTensor] of data.outputs) {
    const got = result[name];
    if (!got) {
      problems.push(`${name}: missing from the outputs`);
      continue;
    }
    const expected = numericValues(expectedTensor);
    const values = numericValues(fromOrtTensor(got, name));
    if (expected.length !== values.length) {
      problems.push(`${name}: ${values.length} elements, expected ${expected.length}`);
      continue;
    }
    const isFloat = FLOAT_TYPES.has(outputTypes.get(name) ?? expectedTensor.dataType);
    let range = 0;
    for (const e of expected) if (Number.isFinite(e)) range = Math.max(range, Math.abs(e));
    const atol = ATOL * Math.max(1, range);
    let bad = 0;
    let worst = -1;
    let worstErr = -1;
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i]!;
      const g = values[i]!;
      let ok: boolean;
      if (Number.isNaN(e)) ok = Number.isNaN(g);
      else if (!Number.isFinite(e) || !isFloat) ok = e === g;
      else ok = Math.abs(e - g) <= atol + RTOL * Math.abs(e);
      if (!ok) {
        bad++;
        const err = Number.isFinite(g) ? Math.abs(e - g) : Infinity;
        if (err > worstErr) {
          worstErr = err;
          worst = i;
        }
      }
    }
    if (bad > 0)
      problems.push(`${name}: ${bad} of ${expected.length} elements differ, worst at ${worst}: expected ${expected[worst]}, got ${values[worst]}`);
  }
  return problems;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
}

async function run(
  model: Model | Uint8Array,
  data: TestDataSet,
  outputTypes: ReadonlyMap<string, number>,
): Promise<{ error?: string; stage?: 'load' | 'run'; problems?: string[] }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model instanceof Uint8Array ? model : modelToBytes(model));
  } catch (e) {
    return { error: firstLine(messageOf(e)), stage: 'load' };
  }
  try {
    const result = await runModel(model, data.inputs, {});
    return { problems: compare(data, result, outputTypes) };
  } catch (e) {
    return { error: firstLine(messageOf(e)), stage: 'run' };
  } finally {
    await session.release();
  }
}

/** Runs one backend test at `target`; undefined when the test is not one the converter has work on. */
export async function runCase(dir: string, target: number): Promise<CaseResult | undefined> {
  const name = dir.split('/').pop()!;
  let model: Model;
  try {
    model = loadModel(join(dir, 'model.onnx'));
  } catch {
    return undefined;
  }
  const opset = model.opsetVersion('');
  if (opset === undefined || opset >= target) return undefined;
  const changed = changedOps(model, opset, target);
  if (changed.length === 0) return undefined;
  const base = { name, opset, changed };
  if (model.graph.outputs.some((v) => v.type?.kind === 'tensor' && ABORTING_TYPES.has(v.type.elemType ?? 0))) {
    return { ...base, status: 'n/a', reason: 'int4/uint4 outputs abort onnxruntime-node' };
  }
  const inputNames = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
  const outputNames = model.graph.outputs.map((v) => v.name);
  let data: TestDataSet;
  try {
    data = loadTestDataSet(join(dir, 'test_data_set_0'), inputNames, outputNames);
  } catch {
    return { ...base, status: 'n/a', reason: 'test data are not plain tensors (sequences or optionals)' };
  }
  const outputTypes = new Map<string, number>();
  for (const v of model.graph.outputs) if (v.type?.kind === 'tensor' && v.type.elemType !== undefined) outputTypes.set(v.name, v.type.elemType);

  const original = await run(modelToBytes(model), data, outputTypes);
  const originalOk = !original.error && original.problems!.length === 0;
  const originalWhy = original.error
    ? `onnxruntime-node cannot run the opset ${opset} model either: ${original.error}`
    : `onnxruntime-node's run of the opset ${opset} model already misses: ${original.problems?.[0] ?? ''}`;

  try {
    upgradeOpset(model, target);
  } catch (e) {
    return { ...base, status: 'fail', category: isOnnxpressError(e) ? 'refused' : 'crash', reason: firstLine(messageOf(e)) };
  }
  const upgraded = await run(model, data, outputTypes);
  if (!upgraded.error && upgraded.problems!.length === 0) return { ...base, status: 'pass' };
  if (!originalOk) return { ...base, status: 'n/a', reason: originalWhy };
  if (upgraded.error) {
    return { ...base, status: 'fail', category: upgraded.stage === 'load' ? 'invalid-model' : 'runtime-error', reason: upgraded.error };
  }
  return { ...base, status: 'fail', category: 'mismatch', reason: upgraded.problems!.join('; ') };
}

/** All backend node tests under `root`, in name order. */
export function caseDirs(root: string): string[] {
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'model.onnx')))
    .sort()
    .map((d) => join(root, d));
}

export async function runAll(root: string, target: number, onCase?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const dir of caseDirs(root)) {
    const r = await runCase(dir, target);
    if (!r) continue;
    results.push(r);
    onCase?.(r);
  }
  return results;
}
