/**
 * Raising a model to opset 21, which DequantizeLinear with `block_size` (and INT4/UINT4 tensors) needs.
 *
 * onnxruntime's MatMulNBitsQuantizer only rewrites the opset number ("the generated model may not be a valid
 * model"): on t5_tiny that leaves ReduceMean nodes with an `axes` attribute, which opset 18 moved to an input,
 * and onnxruntime refuses the file ("Unrecognized attribute: axes for operator ReduceMean"). Here every node is
 * checked against the operator changes of opsets 14 to 21 (ONNX's operator changelog), as the ONNX version
 * converter would judge them: a node whose change does not touch it stays; a Reduce node with `axes` gets them
 * as an input (the converter's adapter for 18); anything else that would change meaning blocks the raise, before
 * the model is touched. Steps up to 13 are judged by ../quantize/opset.ts.
 */
import { DataType } from '../../ir/dtypes.js';
import { Value, type Graph, type Node } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import type { NameAllocator } from '../names.js';
import { opsetRaiseBlockers } from '../quantize/opset.js';

type NodeCheck = (node: Node) => boolean;
const always: NodeCheck = () => true;
const without =
  (...attrs: string[]): NodeCheck =>
  (node) =>
    attrs.every((a) => !node.attributes.has(a));

/** The Reduce ops whose `axes` became an input in opset 18 (ReduceSum did in 13). */
const REDUCE_18 = [
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
];

/** Per opset, the ops that got a new version then, and when that new version keeps an existing node's meaning. */
// prettier-ignore
const STEPS: Readonly<Record<number, Readonly<Record<string, NodeCheck>>>> = {
  14: {
    Add: always, Sub: always, Mul: always, Div: always, CumSum: always, Identity: always, Relu: always,
    // New attributes whose defaults are the old behaviour.
    Reshape: always, GRU: always, LSTM: always, RNN: always,
    // Training outputs changed; a node with only Y is the same.
    BatchNormalization: (node) => node.outputs.filter((v) => v !== null).length <= 1,
  },
  15: { BatchNormalization: always, Pow: always, Shape: always },
  16: {
    Identity: always, If: always, Loop: always, Scan: always, LeakyRelu: always, PRelu: always, Where: always,
    GreaterOrEqual: always, LessOrEqual: always, ScatterElements: always, ScatterND: always,
    // coordinate_transformation_mode's default changed from output_half_pixel to half_pixel.
    RoiAlign: (node) => node.attributes.has('coordinate_transformation_mode'),
  },
  18: {
    ...Object.fromEntries(REDUCE_18.map((op) => [op, always])), // adapted: see adaptNode
    Pad: always, Resize: always, ScatterElements: always, ScatterND: always, Split: always, LpPool: always,
    OptionalGetElement: always, OptionalHasElement: always,
  },
  19: {
    AveragePool: always, Cast: always, CastLike: always, Constant: always, DequantizeLinear: always, QuantizeLinear: always,
    Equal: always, Identity: always, If: always, Loop: always, Pad: always, Reshape: always, Resize: always, Scan: always,
    Shape: always, Size: always,
  },
  20: {
    ConstantOfShape: always, IsInf: always, IsNaN: always, ReduceMax: always, ReduceMin: always,
    // `axis` became an input with another default.
    DFT: () => false,
    // Mode names changed (bilinear -> linear, bicubic -> cubic); the default means the same.
    GridSample: without('mode'),
  },
  21: {
    Cast: always, CastLike: always, Constant: always, ConstantOfShape: always, DequantizeLinear: always, Flatten: always,
    Identity: always, If: always, Loop: always, Pad: always, QLinearMatMul: always, QuantizeLinear: always, Reshape: always,
    Scan: always, Shape: always, Size: always, Squeeze: always, Transpose: always, Unsqueeze: always,
    // Scale and bias changed from per group to per channel.
    GroupNormalization: () => false,
  },
};

export const QDQ_BLOCKED_OPSET = 21;

export interface Opset21Plan {
  from: number;
  /** Why the raise would change the model's meaning (empty: it is safe). */
  blockers: string[];
  /** Reduce nodes whose `axes` attribute becomes an input. */
  adapt: Node[];
}

/** What raising the main graph and its subgraphs to opset 21 takes. */
export function planOpset21(model: Model): Opset21Plan {
  const from = model.opsetVersion('') ?? 1;
  const blockers = new Map<string, string>();
  const adapt: Node[] = [];
  if (from >= QDQ_BLOCKED_OPSET) return { from, blockers: [], adapt };
  if (from < 13) for (const b of opsetRaiseBlockers(model, from, 13)) blockers.set(b, b);
  for (const graph of model.graph.allGraphs()) {
    for (const node of graph.nodes) {
      if (!node.isOnnxOp()) continue;
      for (let v = Math.max(from, 13) + 1; v <= QDQ_BLOCKED_OPSET; v++) {
        const check = STEPS[v]?.[node.opType];
        if (!check) continue;
        if (!check(node) && !blockers.has(node.opType)) {
          blockers.set(node.opType, `${node.opType} (changed in opset ${v}${node.name ? `, node '${node.name}'` : ''})`);
        }
        if (v === 18 && REDUCE_18.includes(node.opType) && node.attributes.has('axes')) adapt.push(node);
      }
    }
  }
  return { from, blockers: [...blockers.values()], adapt };
}

/** Reduce node with an `axes` attribute -> the same axes as an int64 input (what opset 18 reads). */
function adaptReduce(node: Node, names: NameAllocator): void {
  const graph = node.graph as Graph;
  const axes = (node.attr('axes')!.value as (number | bigint)[]).map((a) => BigInt(a));
  const name = names.fresh(`${node.name || node.output(0).name}_axes`);
  const value = new Value(name);
  value.initializer = Tensor.fromArray(name, DataType.INT64, [axes.length], BigInt64Array.from(axes));
  graph.addInitializer(value);
  node.attributes.delete('axes');
  // axes is input 1; the data input is always there.
  node.setInputs([node.input(0), value]);
}

/** Applies a plan with no blockers: adapts the nodes, sets opset 21 and an IR version that has INT4 (10). */
export function raiseToOpset21(model: Model, plan: Opset21Plan, names: NameAllocator): { from: number; to: number } | undefined {
  if (plan.blockers.length > 0) throw new Error('raiseToOpset21: the plan has blockers');
  if (plan.from >= QDQ_BLOCKED_OPSET) return undefined;
  for (const node of plan.adapt) adaptReduce(node, names);
  model.setOpsetVersion('', QDQ_BLOCKED_OPSET);
  if (Number(model.irVersion ?? 0) < 10) model.irVersion = 10;
  return { from: plan.from, to: QDQ_BLOCKED_OPSET };
}
