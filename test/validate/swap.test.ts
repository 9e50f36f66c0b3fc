/**
 * Baseline and candidate given the wrong way round (issue 11, section 5, "silent passes"): drift metrics are
 * symmetric, so a swap passes; it must be detected and said, naming both files.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/validate-action.js';
import { DataType } from '../../src/ir/dtypes.js';
import { float32ToFloat16 } from '../../src/ir/float16.js';
import type { Model } from '../../src/ir/model.js';
import { saveModel } from '../../src/io/save.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { buildValidationResult } from '../../src/validate/result.js';
import { detectSwap, inferKind, inferKindOrSwapped } from '../../src/validate/swap.js';
import type { ModelReport } from '../../src/validate/types.js';
import { validate } from '../../src/validate/validate.js';
import { sampleRun } from '../report/sample.js';
import { tempDir } from '../helpers/temp.js';

function report(name: string, fileBytes: number, parameters: Record<string, number>): ModelReport {
  return {
    name,
    path: `/models/${name}`,
    fileBytes,
    externalDataBytes: 0,
    parameters: Object.entries(parameters).map(([dtype, bytes]) => ({ dtype, count: bytes, bytes })),
    ops: {},
  };
}

describe('detectSwap', () => {
  const float = report('model.onnx', 4_000_000, { float: 4_000_000 });
  const int8 = report('model.int8.onnx', 1_100_000, { int8: 1_000_000, float: 40_000 });
  const fp16 = report('model.fp16.onnx', 2_000_000, { float16: 2_000_000 });

  it('is silent in the right order', () => {
    expect(detectSwap(float, int8)).toBeUndefined();
    expect(detectSwap(float, fp16)).toBeUndefined();
    expect(inferKind(float, int8)).toBe('int8');
  });

  it('names both files and each sign: a larger candidate, precision the other way round', () => {
    const swap = detectSwap(int8, float)!;
    expect(swap).toMatchObject({ baseline: '/models/model.int8.onnx', candidate: '/models/model.onnx' });
    expect(swap.reasons).toHaveLength(2);
    expect(swap.reasons[0]).toMatch(/^the candidate model\.onnx \(3\.81 MiB\) is larger than the baseline model\.int8\.onnx \(1\.05 MiB\)$/);
    expect(swap.reasons[1]).toMatch(/baseline model\.int8\.onnx stores more int8\/uint8 parameters .* it looks like the int8 conversion$/);
    expect(inferKind(int8, float)).toBe('other');
    expect(inferKindOrSwapped(int8, float)).toBe('int8');
    expect(detectSwap(fp16, float)!.reasons[1]).toMatch(/float16 parameters/);
  });

  it('does not take a tiny model that grew by a few nodes, or a size change alone within 10%, for a swap', () => {
    expect(detectSwap(report('a.onnx', 2_000, { float: 1_000 }), report('b.onnx', 5_000, { float: 1_000 }))).toBeUndefined();
    expect(detectSwap(report('a.onnx', 4_000_000, { float: 4_000_000 }), report('b.onnx', 4_300_000, { float: 4_300_000 }))).toBeUndefined();
    // A much larger candidate of the same precision is still suspicious.
    expect(detectSwap(report('a.onnx', 1_000_000, { float: 1_000_000 }), report('b.onnx', 4_000_000, { float: 4_000_000 }))!.reasons).toHaveLength(1);
  });

  it('puts the warning first in the notes and in report.json', () => {
    const run = sampleRun({ kind: 'int8' });
    [run.baseline, run.candidate] = [run.candidate, run.baseline];
    const result = buildValidationResult(run);
    expect(result.suspectedSwap).toMatchObject({ baseline: run.baseline.path, candidate: run.candidate.path });
    expect(result.notes[0]).toMatch(/^Warning: baseline and candidate look swapped: /);
    expect(result.notes[0]).toContain(`${run.baseline.path} (given as the baseline) and ${run.candidate.path} (given as the candidate)`);
    expect(renderMarkdown(result)).toMatch(/^> Warning: baseline and candidate look swapped: /m);
    expect(buildValidationResult(sampleRun({ kind: 'int8' })).suspectedSwap).toBeUndefined();
  });
});

/** x [1, 256] -> MatMul(W [256, 256]) -> y; FP16: W stored as float16 and Cast to float32. */
function matmulModel(fp16: boolean): Model {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 256]);
  const w = Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i) * 0.1);
  const weight = fp16
    ? b.node('Cast', [b.initializer('w', float32ToFloat16(w), [256, 256], DataType.FLOAT16)], { to: DataType.FLOAT })
    : b.initializer('w', w, [256, 256]);
  const y = b.node('MatMul', [x, weight]);
  y.name = 'y';
  b.output(y, DataType.FLOAT, [1, 256]);
  return b.build();
}

describe('validate() with the files swapped', () => {
  it('warns naming both files, and applies the conversion kind the files show', async () => {
    const dir = tempDir();
    const float = join(dir, 'model.onnx');
    const half = join(dir, 'model.fp16.onnx');
    saveModel(matmulModel(false), float);
    saveModel(matmulModel(true), half);

    const swapped = await validate({ baseline: half, candidate: float });
    expect(swapped.suspectedSwap).toEqual({ baseline: half, candidate: float, reasons: expect.any(Array) as unknown });
    expect(swapped.suspectedSwap!.reasons.join('; ')).toMatch(/larger than the baseline.*stores more float16 parameters/);
    // Not 'other' with only the NaN check: the fp16 defaults apply (drift is symmetric).
    expect(swapped.kind).toBe('fp16');
    expect(swapped.checks.map((c) => c.id).sort()).toEqual(['cosine@y', 'nan@y', 'top1@y']);
    expect(swapped.notes[0]).toContain(half);
    expect(swapped.notes[0]).toContain(float);
    const text = formatResult(swapped);
    expect(text.split('\n')[1]).toMatch(/^ {2}WARNING {4}baseline and candidate look swapped: .*model\.fp16\.onnx \(given as the baseline\)/);
    expect(text).not.toMatch(/note {7}Warning/);

    const right = await validate({ baseline: float, candidate: half });
    expect(right.suspectedSwap).toBeUndefined();
    expect(right.kind).toBe('fp16');
    expect(right.notes.some((n) => n.startsWith('Warning'))).toBe(false);
  });
});
