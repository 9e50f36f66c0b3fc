/** Test helpers for the quantization pass (running models and reference metrics: test/helpers/ort.ts and metrics.ts). */
import type { Model } from '../../../src/ir/model.js';
import { mulberry32 } from '../../../src/validate/synthesize.js';

/** Deterministic pseudo-random numbers (mulberry32), uniform in [-scale, scale). */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (next() * 2 - 1) * scale);
}

export function opCounts(model: Model): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph.allNodes()) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
  return counts;
}
