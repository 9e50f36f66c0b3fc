/**
 * The version converter on models built at opsets 7 to 10: each is upgraded to several targets and run in
 * onnxruntime-node, and its outputs must equal the original's (which onnxruntime still runs at these opsets).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxpressError } from '../../../src/errors.js';
import { Attribute } from '../../../src/ir/attribute.js';
import { DataType } from '../../../src/ir/dtypes.js';
import { toFloat16Bits } from '../../../src/ir/float16.js';
import { Graph, Node, Value } from '../../../src/ir/graph.js';
import { Model, OnnxFunction } from '../../../src/ir/model.js';
import { tensorType } from '../../../src/ir/types.js';
import { modelToBytes } from '../../../src/io/bytes.js';
import { upgradeBlockers, upgradeOpset } from '../../../src/passes/version/upgrade.js';
import { irVersionFor } from '../../../src/passes/version/versions.js';
import { ModelBuilder, tensorOf } from '../../../src/testing/builder.js';
import { maxAbsDiff } from '../../helpers/metrics.js';
import { runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from '../quantize/helpers.js';

const TARGETS = [11, 13, 18, 21, 23];

type Feeds = Record<string, ort.Tensor>;

const floats = (dims: number[], seed: number, scale = 2): ort.Tensor =>
  new ort.Tensor(
    'float32',
    randomFloats(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    dims,
  );

function builder(opset: number): ModelBuilder {
  return new ModelBuilder({ opset, irVersion: Math.max(4, irVersionFor(opset)) });
}

function values(out: Record<string, ort.Tensor>): Map<string, { dims: readonly number[]; data: number[] }> {
  return new Map(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data as ArrayLike<number | bigint>, Number) }]));
}

/** Runs the original and every upgrade of `build()`; each upgrade's outputs must equal the original's. */
async function expectSameOutputs(
  build: () => Model,
  feeds: Feeds,
  targets = TARGETS,
  tolerance = 1e-6,
  unspecified: string[] = [],
): Promise<Model[]> {
  const expected = values(await runModel(build(), feeds));
  const upgraded: Model[] = [];
  for (const target of targets) {
    const model = build();
    const summary = upgradeOpset(model, target);
    expect(summary.to).toBe(target);
    expect(model.opsetVersion('')).toBe(target);
    expect(Number(model.irVersion)).toBeGreaterThanOrEqual(irVersionFor(target));
    const got = values(await runModel(modelToBytes(model), feeds));
    for (const [name, e] of expected) {
      const g = got.get(name);
      expect(g, `${name} at opset ${target}`).toBeDefined();
      expect(g!.dims, `${name} at opset ${target}`).toEqual(e.dims);
      if (unspecified.includes(name)) continue;
      expect(maxAbsDiff(g!.data, e.data), `${name} at opset ${target}`).toBeLessThanOrEqual(tolerance);
    }
    upgraded.push(model);
  }
  return upgraded;
}

const attrOps = (model: Model, op: string): string[] =>
  [...model.graph.allNodes()].filter((n) => n.opType === op).flatMap((n) => [...n.attributes.keys()]);

describe('attributes that became inputs', () => {
  it('Clip (min/max, opset 11), also with only max, and float16 data', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [3, 4]);
      b.output(b.node('Clip', [x], { min: -0.5, max: 0.75 }), DataType.FLOAT, [3, 4]);
      b.output(b.node('Clip', [x], { max: 0.25 }), DataType.FLOAT, [3, 4]);
      const h = b.input('h', DataType.FLOAT16, [3, 4]);
      b.output(b.node('Clip', [h], { min: Attribute.float('min', -1), max: 1.5 }), DataType.FLOAT16, [3, 4]);
      return b.build();
    };
    const half = Uint16Array.from(randomFloats(12, 25, 2), (v) => toFloat16Bits(v));
    const [m11] = await expectSameOutputs(build, { x: floats([3, 4], 1), h: new ort.Tensor('float16', half, [3, 4]) });
    expect(attrOps(m11!, 'Clip')).toEqual([]);
  });

  it('Slice (starts/ends/axes, opset 10), with an INT64_MAX end and negative starts', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [4, 6]);
      b.output(b.node('Slice', [x], { starts: [1, -4], ends: [3, 9223372036854775807n as unknown as number], axes: [0, 1] }), DataType.FLOAT);
      b.output(b.node('Slice', [x], { starts: [0], ends: [2] }), DataType.FLOAT);
      return b.build();
    };
    await expectSameOutputs(build, { x: floats([4, 6], 2) }, [10, ...TARGETS]);
  });

  it('Pad (pads/value, opset 11): constant with a value, reflect and edge', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 3]);
      b.output(b.node('Pad', [x], { pads: [1, 2, 0, 1], value: 1.5 }), DataType.FLOAT);
      b.output(b.node('Pad', [x], { pads: [0, 1, 1, 0] }), DataType.FLOAT);
      b.output(b.node('Pad', [x], { pads: [1, 1, 1, 1], mode: 'reflect' }), DataType.FLOAT);
      b.output(b.node('Pad', [x], { pads: [0, 2, 0, 2], mode: 'edge' }), DataType.FLOAT);
      return b.build();
    };
    await expectSameOutputs(build, { x: floats([2, 3], 3) });
  });

  it('Split (split at 13, num_outputs at 18), with sizes and equal parts', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 6]);
      const parts = b.nodeMulti('Split', [x], { axis: 1, split: [2, 4] }, { outputs: 2 });
      const equal = b.nodeMulti('Split', [x], { axis: 1 }, { outputs: 3 });
      for (const v of [...parts, ...equal]) b.output(v, DataType.FLOAT);
      return b.build();
    };
    const upgraded = await expectSameOutputs(build, { x: floats([2, 6], 4) });
    const splits = [...upgraded.at(-1)!.graph.nodes].filter((n) => n.opType === 'Split');
    expect(splits.map((n) => n.attr('num_outputs')?.asNumber())).toEqual([undefined, 3]);
  });

  it('Squeeze and Unsqueeze (axes, opset 13), ReduceSum (13) and the other Reduce ops (18)', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 1, 3]);
      b.output(b.node('Unsqueeze', [b.node('Squeeze', [x], { axes: [1] })], { axes: [0, 3] }), DataType.FLOAT);
      b.output(b.node('Squeeze', [x]), DataType.FLOAT);
      b.output(b.node('ReduceSum', [x], { axes: [2], keepdims: 0 }), DataType.FLOAT);
      b.output(b.node('ReduceSum', [x]), DataType.FLOAT);
      for (const op of ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare']) {
        b.output(b.node(op, [x], { axes: [0, 2] }), DataType.FLOAT);
      }
      return b.build();
    };
    const upgraded = await expectSameOutputs(build, { x: floats([2, 1, 3], 5) });
    expect([...upgraded.at(-1)!.graph.nodes].flatMap((n) => [...n.attributes.keys()]).filter((k) => k === 'axes')).toEqual([]);
  });

  it('TopK (k, opset 10)', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [3, 5]);
      const [v, i] = b.nodeMulti('TopK', [x], { k: 2, axis: 1 }, { outputs: 2 });
      b.output(v!, DataType.FLOAT);
      b.output(i!, DataType.INT64);
      return b.build();
    };
    await expectSameOutputs(build, { x: floats([3, 5], 6) }, [10, ...TARGETS]);
  });
});

describe('ops replaced or given new meaning', () => {
  it('Upsample (opset 7 scales attribute, opset 9 scales input) becomes Resize with opset 10 coordinates', async () => {
    const build7 = (mode: string) => (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [1, 2, 3, 4]);
      b.output(b.node('Upsample', [x], { scales: Float32Array.of(1, 1, 2, 3), mode }), DataType.FLOAT);
      return b.build();
    };
    const build9 = (mode: string, scales: number[]) => (): Model => {
      const b = builder(9);
      const x = b.input('x', DataType.FLOAT, [1, 2, 3, 4]);
      const s = b.initializer('scales', Float32Array.from(scales), [4]);
      b.output(b.node('Upsample', [x, s], { mode }), DataType.FLOAT);
      return b.build();
    };
    const feeds = { x: floats([1, 2, 3, 4], 7) };
    for (const mode of ['nearest', 'linear']) {
      const [m] = await expectSameOutputs(build7(mode), feeds, [9, 10, ...TARGETS], 1e-5);
      expect(opCounts(m!)).toEqual({ Upsample: 1 }); // opset 9: still Upsample, scales as an input
      await expectSameOutputs(build9(mode, [1, 1, 2, 2]), feeds, [10, ...TARGETS], 1e-5);
      await expectSameOutputs(build9(mode, [1, 1, 1.5, 2.5]), feeds, [10, ...TARGETS], 1e-5);
    }
    const m = build9('nearest', [1, 1, 2, 2])();
    upgradeOpset(m, 13);
    expect(opCounts(m)).toEqual({ Resize: 1 });
  });

  it('Resize from opset 10, enlarging and shrinking, keeps asymmetric coordinates and its nearest-pixel rule', async () => {
    const build = (mode: string, scales: number[]) => (): Model => {
      const b = builder(10);
      const x = b.input('x', DataType.FLOAT, [1, 1, 4, 6]);
      b.output(b.node('Resize', [x, b.initializer('scales', Float32Array.from(scales), [4])], { mode }), DataType.FLOAT);
      return b.build();
    };
    const feeds = { x: floats([1, 1, 4, 6], 8) };
    for (const mode of ['nearest', 'linear']) {
      for (const scales of [
        [1, 1, 2, 1.5],
        [1, 1, 0.5, 0.75],
        [1, 1, 0.6, 0.4],
      ]) {
        await expectSameOutputs(build(mode, scales), feeds, TARGETS, 1e-5);
      }
    }
  });

  it('Scatter (deprecated at 11) becomes ScatterElements', async () => {
    const build = (): Model => {
      const b = builder(9);
      const x = b.input('x', DataType.FLOAT, [3, 3]);
      const idx = b.initializer('idx', BigInt64Array.from([1n, 0n, 2n, 0n, 2n, 1n]), [2, 3]);
      const upd = b.initializer('upd', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
      b.output(b.node('Scatter', [x, idx, upd], { axis: 0 }), DataType.FLOAT);
      b.output(b.node('Scatter', [x, idx, upd], { axis: 1 }), DataType.FLOAT);
      return b.build();
    };
    const [m] = await expectSameOutputs(build, { x: floats([3, 3], 9) });
    expect(opCounts(m!)).toEqual({ ScatterElements: 2 });
  });

  it('Dropout (mask type at 10, ratio input at 12), with the mask used', async () => {
    const masks: string[] = [];
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 3]);
      const [y, mask] = b.nodeMulti('Dropout', [x], { ratio: 0.3 }, { outputs: 2 });
      b.output(b.node('Relu', [y!]), DataType.FLOAT);
      masks.push(b.output(b.node('Identity', [mask!]), DataType.FLOAT).name);
      b.output(b.node('Dropout', [x]), DataType.FLOAT);
      return b.build();
    };
    // The mask in inference is unspecified before opset 12 (onnxruntime writes zeros; opset 12 says all true).
    const upgraded = await expectSameOutputs(build, { x: floats([2, 3], 10) }, [10, 12, ...TARGETS], 1e-6, masks);
    const mask = [...upgraded[0]!.graph.nodes].find((n) => n.opType === 'Cast');
    expect(mask?.attr('to')?.asNumber()).toBe(DataType.FLOAT);
  });

  it('BatchNormalization: spatial=1 and spatial=0 (opset 9), training outputs (training_mode at 14)', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 3, 2, 2]);
      const c = (name: string, seed: number, dims: number[], offset = 0) =>
        b.initializer(
          name,
          Float32Array.from(
            randomFloats(
              dims.reduce((p, q) => p * q, 1),
              seed,
            ),
            (v) => v + offset,
          ),
          dims,
        );
      const per = [c('s', 11, [3]), c('b', 12, [3]), c('m', 13, [3]), c('v', 14, [3], 2)];
      b.output(b.nodeMulti('BatchNormalization', [x, ...per], { epsilon: 1e-3, momentum: 0.8 }, { outputs: 5 })[0]!, DataType.FLOAT);
      const act = [c('s2', 15, [3, 2, 2]), c('b2', 16, [3, 2, 2]), c('m2', 17, [3, 2, 2]), c('v2', 18, [3, 2, 2], 2)];
      b.output(b.node('BatchNormalization', [x, ...act], { spatial: 0 }), DataType.FLOAT);
      return b.build();
    };
    const upgraded = await expectSameOutputs(build, { x: floats([2, 3, 2, 2], 19) }, [9, ...TARGETS], 1e-5);
    // Five outputs meant training mode (the batch's statistics): opset 14 says so with training_mode=1.
    const bn = [...upgraded.at(-1)!.graph.nodes].filter((n) => n.opType === 'BatchNormalization');
    expect(bn.map((n) => [n.outputs.length, n.attr('training_mode')?.asNumber()])).toEqual([[3, 1]]);
  });

  it('Softmax, LogSoftmax and Hardmax (opset 13): the 2-D coercion of older versions is kept', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [2, 3, 4]);
      for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
        b.output(b.node(op, [x], { axis: 1 }), DataType.FLOAT);
        b.output(b.node(op, [x]), DataType.FLOAT);
        b.output(b.node(op, [x], { axis: 2 }), DataType.FLOAT); // the last axis: unchanged
      }
      return b.build();
    };
    const upgraded = await expectSameOutputs(build, { x: floats([2, 3, 4], 20) }, TARGETS, 1e-5);
    expect(opCounts(upgraded.at(-1)!).Flatten).toBe(6);
  });

  it('Scan from opset 8 keeps its batch axis (a Loop over the batch)', async () => {
    const build = (): Model => {
      const b = builder(8);
      const init = b.input('init', DataType.FLOAT, [2, 3]);
      const xs = b.input('xs', DataType.FLOAT, [2, 4, 3]);
      const state = new Value('s', tensorType(DataType.FLOAT, [3]));
      const item = new Value('x_t', tensorType(DataType.FLOAT, [3]));
      const next = new Value('s_next', tensorType(DataType.FLOAT, [3]));
      const out = new Value('y_t', tensorType(DataType.FLOAT, [3]));
      const body = new Graph({
        name: 'body',
        inputs: [state, item],
        nodes: [
          new Node({ opType: 'Add', inputs: [state, item], outputs: [next], name: 'acc' }),
          new Node({ opType: 'Mul', inputs: [next, item], outputs: [out], name: 'prod' }),
        ],
      });
      body.setOutputs([next, out]);
      const [final, ys] = b.nodeMulti('Scan', [null, init, xs], { body, num_scan_inputs: 1, directions: [1] }, { outputs: 2 });
      b.output(final!, DataType.FLOAT, [2, 3]);
      b.output(ys!, DataType.FLOAT, [2, 4, 3]);
      return b.build();
    };
    const [m] = await expectSameOutputs(build, { init: floats([2, 3], 21), xs: floats([2, 4, 3], 22) }, [9, ...TARGETS]);
    expect(opCounts(m!)).toMatchObject({ Loop: 1, Scan: 1 });
  });

  it('GroupNormalization (per-channel scale at 21), GridSample (mode names at 20), RoiAlign (coordinates at 16)', async () => {
    const group = (): Model => {
      const b = builder(18);
      const x = b.input('x', DataType.FLOAT, [2, 4, 3]);
      const scale = b.initializer('scale', Float32Array.of(0.5, 2), [2]);
      const bias = b.initializer('bias', Float32Array.of(1, -1), [2]);
      b.output(b.node('GroupNormalization', [x, scale, bias], { num_groups: 2, epsilon: 1e-3 }), DataType.FLOAT);
      return b.build();
    };
    await expectSameOutputs(group, { x: floats([2, 4, 3], 26) }, [21, 23], 1e-5);
    const grid = (): Model => {
      const b = builder(16);
      const x = b.input('x', DataType.FLOAT, [1, 2, 4, 4]);
      const g = b.input('g', DataType.FLOAT, [1, 3, 3, 2]);
      b.output(b.node('GridSample', [x, g], { mode: 'bilinear' }), DataType.FLOAT);
      b.output(b.node('GridSample', [x, g], { mode: 'bicubic', align_corners: 1 }), DataType.FLOAT);
      b.output(b.node('GridSample', [x, g]), DataType.FLOAT);
      return b.build();
    };
    await expectSameOutputs(grid, { x: floats([1, 2, 4, 4], 27), g: floats([1, 3, 3, 2], 28, 1) }, [20, 21, 23], 1e-5);
    const roi = (): Model => {
      const b = builder(10);
      const x = b.input('x', DataType.FLOAT, [1, 2, 6, 6]);
      const rois = b.initializer('rois', Float32Array.of(0, 0, 4, 4, 1, 1, 5.5, 3), [2, 4]);
      const index = b.initializer('index', BigInt64Array.of(0n, 0n), [2]);
      b.output(b.node('RoiAlign', [x, rois, index], { output_height: 2, output_width: 2, sampling_ratio: 2 }), DataType.FLOAT);
      return b.build();
    };
    // Not 22 or 23: onnxruntime-node 1.30 has no kernel for RoiAlign 22.
    await expectSameOutputs(roi, { x: floats([1, 2, 6, 6], 29) }, [16, 21], 1e-5);
  });

  it('ImageScaler (removed experimental op) becomes Mul and Add', async () => {
    const build = (): Model => {
      const b = builder(7);
      const x = b.input('x', DataType.FLOAT, [1, 3, 2, 2]);
      b.output(b.node('ImageScaler', [x], { scale: 0.5, bias: Float32Array.of(1, -2, 3) }), DataType.FLOAT);
      return b.build();
    };
    const feeds = { x: floats([1, 3, 2, 2], 23) };
    const want = Array.from(feeds.x.data as Float32Array, (v, i) => v * 0.5 + [1, -2, 3][Math.floor(i / 4)]!);
    for (const target of [8, ...TARGETS]) {
      const model = build();
      upgradeOpset(model, target);
      expect(opCounts(model)).toEqual({ Mul: 1, Add: 1 });
      const got = Object.values(await runModel(model, feeds))[0]!.data as Float32Array;
      expect(maxAbsDiff(Array.from(got), want)).toBeLessThan(1e-6);
    }
  });
});

describe('subgraphs and functions', () => {
  it('upgrades nodes inside If branches and model-local functions', async () => {
    const build = (): Model => {
      const b = builder(9);
      const cond = b.input('cond', DataType.BOOL, []);
      const x = b.input('x', DataType.FLOAT, [2, 1, 3]);
      const branch = (name: string, min: number): Graph => {
        const y = new Value(`${name}_y`, tensorType(DataType.FLOAT, [2, 3]));
        const sq = new Value(`${name}_sq`);
        const g = new Graph({
          name,
          nodes: [
            new Node({ opType: 'Squeeze', inputs: [x], outputs: [sq], attributes: [Attribute.ints('axes', [1])], name: `${name}_squeeze` }),
            new Node({ opType: 'Clip', inputs: [sq], outputs: [y], attributes: [Attribute.float('min', min)], name: `${name}_clip` }),
          ],
        });
        g.setOutputs([y]);
        return g;
      };
      b.output(b.node('If', [cond], { then_branch: branch('then', 0), else_branch: branch('else', -0.25) }), DataType.FLOAT, [2, 3]);
      // A local function whose body reduces with an axes attribute.
      const fx = new Value('fx');
      const fy = new Value('fy');
      const body = new Graph({
        name: 'f',
        inputs: [fx],
        nodes: [new Node({ opType: 'ReduceSum', inputs: [fx], outputs: [fy], attributes: [Attribute.ints('axes', [2])] })],
      });
      body.setOutputs([fy]);
      const fn = new OnnxFunction({ name: 'SumLast', domain: 'local', body });
      fn.opsetImports = [{ domain: '', version: 9 }];
      const model = b.build();
      model.functions.push(fn);
      model.setOpsetVersion('local', 1);
      const call = new Node({ opType: 'SumLast', domain: 'local', inputs: [x], outputs: ['summed'], name: 'call' });
      model.graph.append(call);
      model.graph.appendOutput(call.output(0));
      call.output(0).type = tensorType(DataType.FLOAT, [2, 1]);
      return model;
    };
    for (const c of [true, false]) {
      const feeds = { cond: new ort.Tensor('bool', [c], []), x: floats([2, 1, 3], 24) };
      const [m] = await expectSameOutputs(build, feeds, [13, 18, 21]);
      expect(m!.functions[0]!.opsetImports[0]!.version).toBe(13);
      expect([...m!.allGraphs()].flatMap((g) => [...g.nodes]).flatMap((n) => [...n.attributes.keys()])).not.toContain('axes');
    }
  });
});

describe('what it cannot upgrade', () => {
  const scanWithLengths = (): Model => {
    const b = builder(8);
    const lens = b.input('lens', DataType.INT32, [1]);
    const xs = b.input('xs', DataType.FLOAT, [1, 4, 3]);
    const item = new Value('x_t', tensorType(DataType.FLOAT, [3]));
    const out = new Value('y_t');
    const body = new Graph({ name: 'body', inputs: [item], nodes: [new Node({ opType: 'Neg', inputs: [item], outputs: [out] })] });
    body.setOutputs([out]);
    b.output(b.node('Scan', [lens, xs], { body, num_scan_inputs: 1 }, { name: 'scan_with_lengths' }), DataType.FLOAT);
    b.output(b.node('Crop', [xs], { border: [0, 0, 0, 0] }, { name: 'crop' }), DataType.FLOAT);
    return b.build();
  };

  it('names every op and node it cannot upgrade, and leaves the model unchanged', () => {
    const model = scanWithLengths();
    const before = modelToBytes(model);
    let error: unknown;
    try {
      upgradeOpset(model, 13);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxpressError);
    expect((error as OnnxpressError).code).toBe('E_MODEL');
    expect((error as Error).message).toMatch(
      /cannot upgrade from opset 8 to 13: .*Scan \(node 'scan_with_lengths'\): cannot move to opset 9: sequence_lens/,
    );
    expect((error as Error).message).toMatch(/Crop \(node 'crop'\): an experimental op/);
    expect((error as Error).message).not.toMatch(/python|onnx\.version_converter/i);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(before))).toBe(true);
    expect(upgradeBlockers(scanWithLengths(), 13)).toHaveLength(2);
  });

  it('refuses to downgrade and targets past opset 23', () => {
    const b = builder(17);
    b.output(b.node('Relu', [b.input('x', DataType.FLOAT, [1])]), DataType.FLOAT);
    expect(() => upgradeOpset(b.build(), 13)).toThrow(/imports opset 17, newer than the target opset 13/);
    expect(() => upgradeOpset(b.build(), 24)).toThrow(/from 7 to 23/);
  });

  it('an unchanged op gets the new opset number and nothing else', () => {
    const b = builder(9);
    const x = b.input('x', DataType.FLOAT, [2]);
    b.output(b.node('Relu', [x]), DataType.FLOAT);
    const model = b.build();
    const summary = upgradeOpset(model, 21);
    expect(summary.notes[0]).toBe('upgraded from opset 9 to 21: no node needed a change');
    expect(summary.irVersion).toEqual({ from: 4, to: 10 });
    expect(opCounts(model)).toEqual({ Relu: 1 });
    expect(tensorOf('t', Float32Array.of(1), [1]).dims).toEqual([1]);
  });
});
