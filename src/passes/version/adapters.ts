/**
 * One adapter per operator version whose signature or meaning changed (ONNX's operator changelog,
 * docs/Changelog.md): it rewrites a node written for the op's previous version into the new version's form,
 * keeping what the node computes. An op version step with no adapter here only widened types, added attributes
 * or inputs whose defaults are the old behaviour, or relaxed a rule: the node is valid as it is (the same
 * steps onnx/version_converter/convert.h registers as "compatible").
 *
 * Where ONNX's own adapters lose meaning, these do not: Resize from opset 10 keeps its asymmetric coordinates
 * and its nearest-pixel rule, Hardmax gets the same 2-D coercion rewrite as Softmax, Scan from opset 8 keeps
 * its batch axis, and Clip bounds and Pad values keep the element type of the data.
 *
 * `check` runs on every node before anything changes and says why the node cannot be upgraded; `apply` runs
 * at the node's turn in the step order.
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { Graph, type Node, type Value } from '../../ir/graph.js';
import { tensorType } from '../../ir/types.js';
import { floatAttr, floatsOf, intAttr, intsOf, stringOf, type UpgradeContext } from './context.js';

export interface Adapter {
  /** Why this node cannot be moved to the version (undefined: it can). Runs before the model changes. */
  check?(node: Node, ctx: UpgradeContext): string | undefined;
  /** The op the node becomes, when the adapter replaces it by another op. */
  becomes?: string;
  apply(node: Node, ctx: UpgradeContext): void;
}

const FLOAT_TYPES = new Set<DataType>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

const typeNeeded =
  (what: string, when: (node: Node) => boolean = () => true) =>
  (node: Node, ctx: UpgradeContext): string | undefined => {
    if (!when(node)) return undefined;
    const t = ctx.elemType(node.input(0));
    if (t === undefined) return `the element type of its input '${node.input(0)?.name ?? ''}' is unknown, and ${what} must have it`;
    if (!FLOAT_TYPES.has(t)) return `${what} of element type ${DataType[t]} cannot be written (float16, float and double only)`;
    return undefined;
  };

/** An INT/INTS attribute becomes an int64 input at `index` (absent attribute: the input stays absent). */
function attrToInput(attr: string, index: number, scalar = false): Adapter {
  return {
    apply(node, ctx) {
      const values = intsOf(node.attr(attr));
      node.attributes.delete(attr);
      if (!values) return;
      while (node.inputs.length < index) node.appendInput(null);
      node.setInput(index, ctx.int64s(node, attr, values, scalar));
    },
  };
}

const removeAttrs = (...names: string[]): Adapter => ({
  apply(node) {
    for (const n of names) node.attributes.delete(n);
  },
});

const setIfAbsent = (attr: Attribute): Adapter => ({
  apply(node) {
    if (!node.attributes.has(attr.name)) node.setAttr(attr);
  },
});

const usedOutputs = (node: Node, ctx: UpgradeContext, from: number): number[] =>
  node.outputs.map((o, i) => (i >= from && ctx.isUsed(o) ? i : -1)).filter((i) => i >= 0);

// ---------------------------------------------------------------------------------------------------------
// Opsets 2 to 7 (models older than ONNX 1.2)

/** Ops that dropped `consumed_inputs` in opset 6 (ONNX's RemoveAttribute adapters). */
const CONSUMED_INPUTS_6 = [
  'Abs', 'Add', 'BatchNormalization', 'Ceil', 'Clip', 'Div', 'Dropout', 'Elu', 'Exp', 'Floor', 'HardSigmoid',
  'InstanceNormalization', 'LeakyRelu', 'Log', 'Max', 'Mean', 'Min', 'Mul', 'Neg', 'PRelu', 'Reciprocal', 'Relu',
  'Selu', 'Sigmoid', 'Sqrt', 'Sub', 'Sum', 'Tanh',
]; // prettier-ignore

/** Binary ops whose legacy `broadcast`/`axis` attributes opset 7 replaced by numpy broadcasting. */
const LEGACY_BROADCAST_7 = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less'];

const legacyBroadcast: Adapter = {
  check(node, ctx) {
    if (intAttr(node, 'broadcast', 0) === 0 || !node.attributes.has('axis')) return undefined;
    const a = ctx.rank(node.input(0));
    const b = ctx.rank(node.input(1));
    const axis = intAttr(node, 'axis', 0);
    if (a !== undefined && b !== undefined && (axis === a - b || axis - a === -b)) return undefined;
    return `legacy broadcasting with axis=${axis} needs the ranks of both inputs, and they are not declared as a suffix match`;
  },
  apply(node) {
    node.attributes.delete('broadcast');
    node.attributes.delete('axis');
  },
};

const CAST_NAMES: Readonly<Record<string, DataType>> = Object.fromEntries(
  Object.entries(DataType).filter(([k, v]) => typeof v === 'number' && Number.isNaN(Number(k))),
) as Record<string, DataType>;

const cast6: Adapter = {
  check(node) {
    const to = stringOf(node.attr('to'));
    return to !== undefined && CAST_NAMES[to.toUpperCase()] === undefined ? `Cast to '${to}' names no element type` : undefined;
  },
  apply(node) {
    node.attributes.delete('consumed_inputs');
    const to = stringOf(node.attr('to'));
    if (to !== undefined) node.setAttr(Attribute.int('to', CAST_NAMES[to.toUpperCase()]!));
  },
};

const reshape5: Adapter = {
  apply(node, ctx) {
    node.attributes.delete('consumed_inputs');
    const shape = intsOf(node.attr('shape'));
    node.attributes.delete('shape');
    if (shape) node.setInput(1, ctx.int64s(node, 'shape', shape));
  },
};

const pad2: Adapter = {
  apply(node) {
    const paddings = node.attr('paddings');
    if (!paddings) return;
    node.attributes.delete('paddings');
    node.setAttr(Attribute.ints('pads', intsOf(paddings)!));
  },
};

const split2: Adapter = {
  check(node, ctx) {
    if (!node.input(1)) return undefined;
    return ctx.constantValues(node.input(1)) ? undefined : 'its split sizes come from a computed input, which opset 2 made an attribute';
  },
  apply(node, ctx) {
    const sizes = node.input(1) ? ctx.constantValues(node.input(1)) : undefined;
    if (sizes) {
      node.setAttr(Attribute.ints('split', sizes));
      node.truncateInputs(1);
    }
  },
};

const lpPoolP2: Adapter = {
  apply(node) {
    const p = node.attr('p');
    if (p && !Number.isInteger(p.value) && typeof p.value === 'number') node.setAttr(Attribute.int('p', Math.round(p.value)));
    else if (p && typeof p.value === 'number') node.setAttr(Attribute.int('p', p.value));
  },
};

const upsample7: Adapter = {
  apply(node) {
    const h = floatAttr(node, 'height_scale', 1);
    const w = floatAttr(node, 'width_scale', 1);
    const mode = stringOf(node.attr('mode')) ?? 'nearest';
    node.attributes.delete('height_scale');
    node.attributes.delete('width_scale');
    node.setAttr(new Attribute('scales', 6, Float32Array.of(1, 1, h, w)));
    node.setAttr(Attribute.string('mode', mode === 'bilinear' ? 'linear' : mode));
  },
};

// ---------------------------------------------------------------------------------------------------------
// Opsets 8 to 23

/** BatchNormalization 9: `spatial` is gone; spatial=0 (statistics per activation) becomes elementwise math. */
const batchNorm9: Adapter = {
  check(node, ctx) {
    if (intAttr(node, 'spatial', 1) !== 0) return undefined;
    if (usedOutputs(node, ctx, 1).length > 0) return 'spatial=0 with training outputs has no opset 9 equivalent';
    return typeNeeded('the epsilon constant')(node, ctx);
  },
  apply(node, ctx) {
    const spatial = intAttr(node, 'spatial', 1);
    node.attributes.delete('spatial');
    if (spatial !== 0) return;
    const [x, scale, bias, mean, variance] = node.inputs;
    const type = ctx.elemType(x ?? null)!;
    const eps = ctx.floats(node, 'epsilon', type, [floatAttr(node, 'epsilon', 1e-5)], []);
    const varEps = ctx.insertBefore(node, { opType: 'Add', inputs: [variance!, eps] }).output(0);
    const std = ctx.insertBefore(node, { opType: 'Sqrt', inputs: [varEps] }).output(0);
    const centered = ctx.insertBefore(node, { opType: 'Sub', inputs: [x!, mean!] }).output(0);
    const normed = ctx.insertBefore(node, { opType: 'Div', inputs: [centered, std] }).output(0);
    const scaled = ctx.insertBefore(node, { opType: 'Mul', inputs: [normed, scale!] }).output(0);
    ctx.replace(node, { opType: 'Add', inputs: [scaled, bias!] }, 1);
  },
};

/**
 * BatchNormalization 14: the outputs say the mode no more; `training_mode` does. Up to opset 13 a node with
 * more than one output is in training mode (it normalizes with the batch's statistics, in ONNX's spec and in
 * ONNX Runtime): it gets training_mode=1, keeps Y and the running mean and variance, and drops the saved
 * mean and variance, which opset 14 no longer has (they must be unused).
 */
const batchNorm14: Adapter = {
  check(node, ctx) {
    const used = usedOutputs(node, ctx, 3);
    return used.length > 0 ? `its saved mean/variance outputs (${used.join(', ')}) are used, and opset 14 has no such outputs` : undefined;
  },
  apply(node, ctx) {
    if (node.outputs.length <= 1) return;
    const attributes = [...node.attributes.values(), Attribute.int('training_mode', 1)];
    const bn = ctx.replace(node, { opType: node.opType, inputs: node.inputs, attributes }, 3);
    for (let i = 0; i < 3; i++) {
      if (i >= bn.outputs.length) bn.appendOutput(ctx.value(`${bn.output(0).name}_running_${i === 1 ? 'mean' : 'var'}`));
      else if (!bn.outputs[i]) bn.setOutput(i, ctx.value(`${bn.output(0).name}_running_${i === 1 ? 'mean' : 'var'}`));
    }
    ctx.notes.add(`${bn.describe()} has training outputs, so it normalizes with the batch's statistics: written with training_mode=1`);
  },
};

/** Dropout 10: the mask output became bool (it was of the data's type): a used mask is cast back. */
const dropout10: Adapter = {
  check(node, ctx) {
    return ctx.isUsed(node.outputs[1] ?? null) ? typeNeeded('the mask (cast back from bool)')(node, ctx) : undefined;
  },
  apply(node, ctx) {
    const mask = node.outputs[1];
    if (!mask || !ctx.isUsed(mask)) return;
    const type = ctx.elemType(node.input(0))!;
    const bool = ctx.value(`${mask.name}_bool`, DataType.BOOL);
    node.setOutput(1, bool);
    ctx.insertAfter(node, { opType: 'Cast', inputs: [bool], outputs: [mask], attributes: [Attribute.int('to', type)] });
  },
};

/** Dropout 12: `ratio` became an input (training_mode is a new input, absent: inference). */
const dropout12: Adapter = {
  apply(node, ctx) {
    const ratio = node.attr('ratio');
    node.attributes.delete('ratio');
    if (ratio) node.setInput(1, ctx.floats(node, 'ratio', DataType.FLOAT, [ratio.asNumber()], []));
  },
};

/** Slice 10: starts, ends and axes became inputs. */
const slice10: Adapter = {
  apply(node, ctx) {
    const starts = intsOf(node.attr('starts')) ?? [];
    const ends = intsOf(node.attr('ends')) ?? [];
    const axes = intsOf(node.attr('axes'));
    for (const a of ['starts', 'ends', 'axes']) node.attributes.delete(a);
    node.setInputs([
      node.input(0),
      ctx.int64s(node, 'starts', starts),
      ctx.int64s(node, 'ends', ends),
      ...(axes ? [ctx.int64s(node, 'axes', axes)] : []),
    ]);
  },
};

/** Clip 11: min and max became inputs of the data's type (absent: unbounded). */
const clip11: Adapter = {
  check: typeNeeded('the min/max inputs', (node) => node.attributes.has('min') || node.attributes.has('max')),
  apply(node, ctx) {
    const min = node.attr('min');
    const max = node.attr('max');
    node.attributes.delete('min');
    node.attributes.delete('max');
    if (!min && !max) return;
    const type = ctx.elemType(node.input(0))!;
    node.setInputs([
      node.input(0),
      min ? ctx.floats(node, 'min', type, [min.asNumber()], []) : null,
      ...(max ? [ctx.floats(node, 'max', type, [max.asNumber()], [])] : []),
    ]);
  },
};

/** Pad 11: pads and the constant value became inputs. */
const pad11: Adapter = {
  check: typeNeeded('the constant_value input', (node) => node.attributes.has('value') && (stringOf(node.attr('mode')) ?? 'constant') === 'constant'),
  apply(node, ctx) {
    const pads = intsOf(node.attr('pads')) ?? [];
    const value = node.attr('value');
    const mode = stringOf(node.attr('mode')) ?? 'constant';
    node.attributes.delete('pads');
    node.attributes.delete('value');
    const inputs: (Value | null)[] = [node.input(0), ctx.int64s(node, 'pads', pads)];
    if (value && mode === 'constant' && value.asNumber() !== 0) {
      inputs.push(ctx.floats(node, 'value', ctx.elemType(node.input(0))!, [value.asNumber()], []));
    }
    node.setInputs(inputs);
  },
};

/**
 * Softmax, LogSoftmax and Hardmax 13: the op works along one axis; before, it flattened the input to 2-D at
 * `axis` and worked along the whole second dimension. Unless the axis is the last one, the old meaning is kept
 * with Flatten, the op on axis 1, and a Reshape back to the input's shape (ONNX's Softmax_12_13 adapter;
 * ONNX registers none for Hardmax, whose meaning changed the same way).
 */
const coerced2d13: Adapter = {
  apply(node, ctx) {
    const x = node.input(0)!;
    let axis = intAttr(node, 'axis', 1);
    const rank = ctx.rank(x);
    if (rank !== undefined && axis < 0) axis += rank;
    if ((rank !== undefined && axis === rank - 1) || axis === -1) return;
    const shape = ctx.insertBefore(node, { opType: 'Shape', inputs: [x] }).output(0);
    const flat = ctx.insertBefore(node, { opType: 'Flatten', inputs: [x], attributes: [Attribute.int('axis', axis)] }).output(0);
    node.setInput(0, flat);
    node.setAttr(Attribute.int('axis', 1));
    const y = node.output(0);
    const y2d = ctx.value(`${y.name}_2d`);
    node.setOutput(0, y2d);
    ctx.insertAfter(node, { opType: 'Reshape', inputs: [y2d, shape], outputs: [y] });
  },
};

/** Split 18: without split sizes the number of outputs must be given. */
const split18: Adapter = {
  apply(node) {
    if (!node.input(1) && !node.attributes.has('num_outputs')) node.setAttr(Attribute.int('num_outputs', node.outputs.length));
  },
};

/** Upsample 9: scales became an input. */
const upsample9: Adapter = {
  apply(node, ctx) {
    const scales = floatsOf(node.attr('scales'));
    node.attributes.delete('scales');
    if (scales) node.setInput(1, ctx.floats(node, 'scales', DataType.FLOAT, scales));
  },
};

/** Upsample 10 is deprecated: Resize 10 is the same op. */
const upsample10: Adapter = {
  becomes: 'Resize',
  apply(node, ctx) {
    const mode = stringOf(node.attr('mode')) ?? 'nearest';
    ctx.replace(node, { opType: 'Resize', inputs: [node.input(0), node.input(1)], attributes: [Attribute.string('mode', mode)] });
  },
};

/**
 * Resize 11: roi became input 1 (read only by tf_crop_and_resize: empty here), and the coordinate mapping and
 * nearest-pixel rule became attributes whose defaults differ from opset 10. Opset 10's mapping is asymmetric
 * (x / scale), and its nearest pixel is floor when enlarging and ceil when shrinking (ONNX Runtime's
 * ResizeNearestMode::SIMPLE); with constant scales the same rule is written, else floor (and a note).
 */
const resize11: Adapter = {
  apply(node, ctx) {
    const [x, scales] = node.inputs;
    const roi = ctx.floats(node, 'roi', DataType.FLOAT, []);
    node.setInputs([x ?? null, roi, scales ?? null]);
    node.setAttr(Attribute.string('coordinate_transformation_mode', 'asymmetric'));
    if ((stringOf(node.attr('mode')) ?? 'nearest') !== 'nearest') return;
    const values = ctx.constantValues(scales ?? null);
    let rule = 'floor';
    if (values && values.every((s) => s <= 1) && values.some((s) => s < 1)) rule = 'ceil';
    else if (!values || !values.every((s) => s >= 1)) {
      ctx.notes.add(
        `${node.describe()}: opset 10 picks the nearest pixel by floor when enlarging and by ceil when shrinking; its scales are ${values ? 'mixed' : 'computed'}, so floor was written`,
      );
    }
    node.setAttr(Attribute.string('nearest_mode', rule));
  },
};

/** Scatter is deprecated in opset 11: ScatterElements is the same op. */
const scatter11: Adapter = {
  becomes: 'ScatterElements',
  apply(node, ctx) {
    ctx.replace(node, { opType: 'ScatterElements', inputs: node.inputs, attributes: [Attribute.int('axis', intAttr(node, 'axis', 0))] });
  },
};

/**
 * Scan 9 has no batch axis and no sequence_lens: Scan 8's batch becomes a Loop over the batch whose body
 * slices each state and scan input, runs Scan 9 on the slice, and stacks the results (Loop's scan outputs).
 */
const scan9: Adapter = {
  check(node) {
    return node.input(0) ? 'sequence_lens is given, which opset 9 has no equivalent for' : undefined;
  },
  apply(node, ctx) {
    const body = node.attr('body')!;
    const numScan = intAttr(node, 'num_scan_inputs', 0);
    const directions = intsOf(node.attr('directions'));
    const inputs = node.inputs.slice(1) as Value[];
    const scanInputs = inputs.slice(inputs.length - numScan);
    const shape = ctx.insertBefore(node, { opType: 'Shape', inputs: [scanInputs[0]!] }).output(0);
    const zero = ctx.int64s(node, 'zero', [0], true);
    const batch = ctx.insertBefore(node, { opType: 'Gather', inputs: [shape, zero], attributes: [Attribute.int('axis', 0)] }).output(0);
    const cond = ctx.constant(node, 'cond', DataType.BOOL, [], Uint8Array.of(1));
    // Loop before opset 13 needs one loop-carried value: a scalar carried through unchanged.
    const carried = ctx.int64s(node, 'carried', [0], true);

    const base = node.name || node.output(0).name;
    const iter = ctx.value(`${base}_batch_index`);
    iter.type = tensorType(DataType.INT64, []);
    const condIn = ctx.value(`${base}_cond_in`);
    condIn.type = tensorType(DataType.BOOL, []);
    const carriedIn = ctx.value(`${base}_carried_in`);
    carriedIn.type = tensorType(DataType.INT64, []);
    const slices = inputs.map((v) =>
      ctx.make({ opType: 'Gather', inputs: [v, iter], attributes: [Attribute.int('axis', 0)], base: `${v.name}_item` }, node),
    );
    const items = node.outputs.map((o, i) => ctx.value(`${o?.name ?? `${base}_out${i}`}_item`));
    const inner = ctx.make(
      {
        opType: 'Scan',
        inputs: slices.map((s) => s.output(0)),
        outputs: items,
        attributes: [
          Attribute.graph('body', body.value as Graph),
          Attribute.int('num_scan_inputs', numScan),
          ...(directions ? [Attribute.ints('scan_input_directions', directions)] : []),
        ],
      },
      node,
    );
    const condOut = ctx.make({ opType: 'Identity', inputs: [condIn] }, node);
    const carriedOut = ctx.make({ opType: 'Identity', inputs: [carriedIn] }, node);
    const loopBody = new Graph({
      name: ctx.names.fresh(`${base}_batch_loop`),
      inputs: [iter, condIn, carriedIn],
      nodes: [...slices, inner, condOut, carriedOut],
    });
    loopBody.setOutputs([condOut.output(0), carriedOut.output(0), ...items]);
    node.attributes.delete('body'); // the inner Scan holds it now
    const outputs = node.outputs.map((o, i) => {
      if (o) node.setOutput(i, null);
      return o;
    });
    const loop = ctx.make(
      {
        opType: 'Loop',
        inputs: [batch, cond, carried],
        outputs: [ctx.value(`${base}_carried`), ...outputs] as Value[],
        attributes: [Attribute.graph('body', loopBody)],
      },
      node,
    );
    loop.name = node.name;
    ctx.swap(node, loop);
  },
};

/** GridSample 20: mode names changed (bilinear -> linear, bicubic -> cubic). */
const gridSample20: Adapter = {
  apply(node) {
    const mode = stringOf(node.attr('mode'));
    if (mode === 'bilinear') node.setAttr(Attribute.string('mode', 'linear'));
    if (mode === 'bicubic') node.setAttr(Attribute.string('mode', 'cubic'));
  },
};

/** DFT 20: axis became input 2, and its default changed (1 before, -2 now): the old axis is always written. */
const dft20: Adapter = {
  apply(node, ctx) {
    const axis = intAttr(node, 'axis', 1);
    node.attributes.delete('axis');
    node.setInputs([node.input(0), node.input(1), ctx.int64s(node, 'axis', [axis], true)]);
  },
};

/**
 * GroupNormalization 21: scale and bias are per channel (they were per group): each group's value is repeated
 * over its channels (ONNX's GroupNormalization_20_21 adapter).
 */
const groupNorm21: Adapter = {
  apply(node, ctx) {
    const groups = intAttr(node, 'num_groups', 1);
    const channels = ctx.insertBefore(node, {
      opType: 'Shape',
      inputs: [node.input(0)],
      attributes: [Attribute.int('start', 1), Attribute.int('end', 2)],
    });
    const perGroup = ctx.insertBefore(node, { opType: 'Div', inputs: [channels.output(0), ctx.int64s(node, 'num_groups', [groups])] });
    const expandTo = ctx.insertBefore(node, {
      opType: 'Concat',
      inputs: [ctx.int64s(node, 'one', [1]), perGroup.output(0)],
      attributes: [Attribute.int('axis', 0)],
    });
    const column = ctx.int64s(node, 'column', [-1, 1]);
    const flat = ctx.int64s(node, 'flat', [-1]);
    for (const index of [1, 2]) {
      const v = node.input(index);
      if (!v) continue;
      const col = ctx.insertBefore(node, { opType: 'Reshape', inputs: [v, column] }).output(0);
      const wide = ctx.insertBefore(node, { opType: 'Expand', inputs: [col, expandTo.output(0)] }).output(0);
      node.setInput(index, ctx.insertBefore(node, { opType: 'Reshape', inputs: [wide, flat] }).output(0));
    }
  },
};

/** ImageScaler (experimental, removed in ONNX 1.5): y = scale * x + bias[channel], as Mul and Add. */
export const imageScaler: Adapter = {
  check: typeNeeded('the scale and bias constants'),
  apply(node, ctx) {
    const type = ctx.elemType(node.input(0))!;
    const scale = ctx.floats(node, 'scale', type, [floatAttr(node, 'scale', 1)], []);
    const bias = floatsOf(node.attr('bias'));
    if (!bias) {
      ctx.replace(node, { opType: 'Mul', inputs: [node.input(0), scale] });
      return;
    }
    const scaled = ctx.insertBefore(node, { opType: 'Mul', inputs: [node.input(0), scale] }).output(0);
    ctx.replace(node, { opType: 'Add', inputs: [scaled, ctx.floats(node, 'bias', type, bias, [bias.length, 1, 1])] });
  },
};

const blocked = (why: string): Adapter => ({ check: () => why, apply: () => undefined });

/** Adapters by op, then by the opset of the version they move a node to. */
export const ADAPTERS: Readonly<Record<string, Readonly<Record<number, Adapter>>>> = {
  Pad: { 2: pad2, 11: pad11 },
  Split: { 2: split2, 13: attrToInput('split', 1), 18: split18 },
  LpPool: { 2: lpPoolP2 },
  GlobalLpPool: { 2: lpPoolP2 },
  Concat: { 4: setIfAbsent(Attribute.int('axis', 1)) },
  Reshape: { 5: reshape5 },
  ...Object.fromEntries(CONSUMED_INPUTS_6.map((op) => [op, { 6: removeAttrs('consumed_inputs') }])),
  Cast: { 6: cast6 },
  Tile: { 6: blocked('Tile 1 (tiles and axis inputs) has no rewrite to Tile 6 here') },
  ...Object.fromEntries(
    LEGACY_BROADCAST_7.map((op) => [op, { ...(CONSUMED_INPUTS_6.includes(op) ? { 6: removeAttrs('consumed_inputs') } : {}), 7: legacyBroadcast }]),
  ),
  Gemm: { 6: removeAttrs('consumed_inputs'), 7: removeAttrs('broadcast') },
  GRU: { 7: removeAttrs('output_sequence') },
  LSTM: { 7: removeAttrs('output_sequence') },
  RNN: { 7: removeAttrs('output_sequence') },
  BatchNormalization: { 6: removeAttrs('consumed_inputs'), 7: removeAttrs('is_test'), 9: batchNorm9, 14: batchNorm14 },
  Dropout: { 6: removeAttrs('consumed_inputs'), 7: removeAttrs('is_test'), 10: dropout10, 12: dropout12 },
  Upsample: { 7: upsample7, 9: upsample9, 10: upsample10 },
  Scan: { 9: scan9 },
  Slice: { 10: slice10 },
  TopK: { 10: attrToInput('k', 1) },
  Clip: { 6: removeAttrs('consumed_inputs'), 11: clip11 },
  Resize: { 11: resize11 },
  Scatter: { 11: scatter11 },
  ReduceSum: { 13: attrToInput('axes', 1) },
  Squeeze: { 13: attrToInput('axes', 1) },
  Unsqueeze: { 13: attrToInput('axes', 1) },
  Softmax: { 13: coerced2d13 },
  LogSoftmax: { 13: coerced2d13 },
  Hardmax: { 13: coerced2d13 },
  RoiAlign: { 16: setIfAbsent(Attribute.string('coordinate_transformation_mode', 'output_half_pixel')) },
  ...Object.fromEntries(
    ['ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare'].map((op) => [
      op,
      { 18: attrToInput('axes', 1) },
    ]),
  ),
  GridSample: { 20: gridSample20 },
  DFT: { 20: dft20 },
  GroupNormalization: { 21: groupNorm21 },
};
