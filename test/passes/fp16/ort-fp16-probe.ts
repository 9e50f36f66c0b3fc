/**
 * Runs a ProbeCase in onnxruntime-node twice, float32 and float16 (some tensors optionally kept
 * float32), and says what ORT did: rejected the model, ran it with its own Casts around a float32
 * kernel, or ran a float16 kernel; and how far the float16 outputs are from the float32 ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode } from '../../../src/proto/codec.js';
import { buildAndRun, FLOAT, FLOAT16, type OrtVerdict } from './ort-fp16-harness.js';
import { materialize, type ProbeCase } from './ort-fp16-cases.js';

export interface CaseOutcome {
  reference: OrtVerdict;
  fp16: OrtVerdict;
  /** Casts ORT inserted because it has no float16 kernel for the node (only when fp16 ran). */
  insertedCasts?: number;
  /** max |fp16 - fp32| / max |fp32| over the float outputs (only when both ran and are comparable). */
  worstError?: number;
}

/** ORT names the Casts it adds around nodes that lack a float16 kernel `InsertedPrecisionFreeCast_*`. */
export function countInsertedCasts(modelPath: string): number {
  const model = decode(fs.readFileSync(modelPath));
  return (model.graph?.node ?? []).filter((n: { name?: string }) => (n.name ?? '').startsWith('InsertedPrecisionFreeCast')).length;
}

export function worstNormalizedError(reference: Record<string, number[]>, got: Record<string, number[]>, names: readonly string[]): number {
  let worst = 0;
  for (const name of names) {
    const a = reference[name] ?? [];
    const b = got[name] ?? [];
    if (a.length !== b.length) return Infinity;
    let scale = 1e-6;
    for (const v of a) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < a.length; i++) {
      if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
      const d = Math.abs(a[i]! - b[i]!) / scale;
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  }
  return worst;
}

export async function probeCase(c: ProbeCase, keepFloat32: ReadonlySet<string> = new Set()): Promise<CaseOutcome> {
  const reference = await buildAndRun(materialize(c, FLOAT));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fp16-case-'));
  try {
    const saved = path.join(dir, 'ort.onnx');
    const fp16 = await buildAndRun(materialize(c, FLOAT16, keepFloat32), { optimizedModelPath: saved });
    const outcome: CaseOutcome = { reference, fp16 };
    if (fp16.stage === 'ok') {
      outcome.insertedCasts = countInsertedCasts(saved);
      if (reference.stage === 'ok' && !c.nondeterministic) {
        outcome.worstError = worstNormalizedError(
          reference.outputs,
          fp16.outputs,
          c.outputs.map((o) => o.name),
        );
      }
    }
    return outcome;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
