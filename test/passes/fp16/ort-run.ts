/** Running IR models in onnxruntime-node for the FP16 tests. */
import * as ort from 'onnxruntime-node';
import type { Model } from '../../../src/ir/model.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { numericValues } from '../../../src/io/tensor-files.js';
import { fromOrtTensor, toOrtTensor } from '../../../src/runtime/ort-tensors.js';

export interface RunOutput {
  type: string;
  dims: readonly number[];
  values: Float64Array;
}

/** Runs a model (or its bytes) and returns every output's values as float64. */
export async function runModel(model: Model | Uint8Array, feeds: ReadonlyMap<string, Tensor> | Record<string, Tensor>): Promise<Map<string, RunOutput>> {
  const bytes = model instanceof Uint8Array ? model : modelToBytes(model);
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of feeds instanceof Map ? feeds : Object.entries(feeds)) inputs[name] = toOrtTensor(t);
    const result = await session.run(inputs);
    const out = new Map<string, RunOutput>();
    for (const name of session.outputNames) {
      const t = result[name]!;
      out.set(name, { type: t.type, dims: t.dims, values: numericValues(fromOrtTensor(t, name)) });
    }
    return out;
  } finally {
    await session.release();
  }
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
