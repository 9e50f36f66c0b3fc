import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import type { Model } from '../../../src/ir/model.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { parseModel } from '../../../src/io/load.js';
import { inferTypes } from '../../../src/passes/elem-types.js';
import { findOverflowingNodes } from '../../../src/passes/fp16/autoblock.js';
import { toFloat16 } from '../../../src/passes/fp16/convert.js';
import { measureActivations, measureForAutoBlock } from '../../../src/runtime/activations.js';
import { ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { maxAbsDiff } from '../../helpers/metrics.js';
import { runModelValues as runModel } from '../../helpers/ort.js';

const F32 = DataType.FLOAT;

/**
 * T5's failure in miniature: a projection whose activations pass 65504, then
 * ops that onnxruntime's CPU provider runs in float16 itself (Transpose, Max,
 * LayerNormalization: for the others it computes in float32 between Casts,
 * which hides overflow), then a rescale. Only the big intermediates overflow.
 */
function overflowingModel(): Model {
  const b = new ModelBuilder();
  const x = b.input('x', F32, [1, 8]);
  const w = b.initializer(
    'w',
    new Float32Array(64).map((_, i) => 1000 * (i % 5)),
    [8, 8],
  );
  const big = b.node('MatMul', [x, w], {}, { name: 'proj' });
  const t1 = b.node('Transpose', [big], { perm: [1, 0] }, { name: 't1' });
  const t2 = b.node('Transpose', [t1], { perm: [1, 0] }, { name: 't2' });
  const relu = b.node('Max', [t2, b.initializer('zero', new Float32Array([0]), [])], {}, { name: 'max' });
  const n = b.node('LayerNormalization', [relu, b.initializer('gamma', new Float32Array(8).fill(1), [8])], { axis: -1 }, { name: 'ln' });
  b.output(b.node('Div', [n, b.initializer('scale', new Float32Array([10]), [])], {}, { name: 'rescale' }), F32, [1, 8]);
  return b.build();
}

const input = (scale: number) =>
  new Map([
    [
      'x',
      tensorOf(
        'x',
        new Float32Array(8).map((_, i) => scale * (30 + i)),
        [1, 8],
      ),
    ],
  ]);

describe('auto-block', () => {
  it('measures every float activation of the float32 model in ONNX Runtime', async () => {
    const model = overflowingModel();
    const proj = [...model.graph.nodes].find((n) => n.name === 'proj')!.output(0);
    const stats = await measureActivations(model, [proj.name], [input(1)]);
    // Column j of x W is sum_r (30 + r) * 1000 * ((8r + j) % 5); the largest is j = 4.
    let largest = 0;
    for (let j = 0; j < 8; j++) {
      let sum = 0;
      for (let r = 0; r < 8; r++) sum += (30 + r) * 1000 * ((8 * r + j) % 5);
      largest = Math.max(largest, sum);
    }
    expect(stats.get(proj.name)!.maxAbs).toBe(largest);
    expect(stats.get(proj.name)!.nonFinite).toBe(0);
    // The model itself is unchanged.
    expect(model.graph.outputs).toHaveLength(1);
  });

  it('keeps float32 the producer and readers of a value that would overflow, and fixes the output', async () => {
    const feeds = input(1);
    const reference = await runModel(overflowingModel(), feeds);
    const plain = overflowingModel();
    toFloat16(plain, { keepIoTypes: true });
    const broken = await runModel(parseModel(modelToBytes(plain)), feeds);
    const refValues = reference.values().next().value!.values;
    expect([...broken.values().next().value!.values].some((v) => !Number.isFinite(v))).toBe(true);

    const model = overflowingModel();
    const { summary } = toFloat16(model, { keepIoTypes: true, autoBlock: await measureForAutoBlock(model, [feeds]) });
    // The producer of each big value and every reader of one; the Div after the LayerNorm runs in float16.
    expect(summary.kept.nodes.map((k) => k.name).sort()).toEqual(['ln', 'max', 'proj', 't1', 't2']);
    expect(summary.kept.nodes.every((k) => k.reason === 'auto-block')).toBe(true);
    expect(summary.autoBlock!.overflowing).toHaveLength(4);
    expect(summary.autoBlock!.threshold).toBe(65504 / 2);
    // The text output says so too, not only --json.
    expect(summary.notes.join('\n')).toMatch(
      /auto-block kept 5 node\(s\) float32 \(values past 32752 on the inputs measured\): MatMul 'proj': '.*' reaches \|x\| = /,
    );
    const fixed = await runModel(parseModel(modelToBytes(model)), feeds);
    expect(maxAbsDiff(fixed.values().next().value!.values, refValues)).toBeLessThan(1e-3);
  });

  it('blocks nothing when every activation fits', async () => {
    const model = overflowingModel();
    const found = findOverflowingNodes(model, inferTypes(model), await measureForAutoBlock(model, [input(0.01)]));
    expect(found.nodes.size).toBe(0);
    expect(found.measured).toBeGreaterThanOrEqual(5);
  });

  it('a lower threshold blocks more', async () => {
    const model = overflowingModel();
    const found = findOverflowingNodes(model, inferTypes(model), await measureForAutoBlock(model, [input(0.01)], 100));
    expect([...found.nodes].map((n) => n.name).sort()).toEqual(['ln', 'max', 'proj', 't1', 't2']);
  });

  it('a model ONNX Runtime cannot run gives a clear error', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', F32, [2]);
    b.output(b.node('NoSuchOp', [x]), F32, [2]);
    const model = b.build();
    await expect(measureForAutoBlock(model, [new Map([['x', tensorOf('x', new Float32Array(2), [2])]])])).rejects.toThrow(
      /auto-block: ONNX Runtime could not run the float32 model/,
    );
  });
});
