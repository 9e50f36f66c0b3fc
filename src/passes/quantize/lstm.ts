/**
 * LSTM with constant W and R -> com.microsoft DynamicQuantizeLSTM
 * (operators/lstm.py): W and R quantized to int8 per direction (or per gate
 * row with per-channel) and stored transposed, the rest unchanged.
 */
import type { Graph, Node, Value } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult, WeightLayout } from './context.js';
import { MS_DOMAIN } from './opset.js';
import { replaceOneToOne } from './rewrite.js';
import { lstmLayout, storedLayout } from './layouts.js';
import { weightOnly } from './qdq.js';

/** Weight-only layout: DequantizeLinear takes one axis, so per direction (axis 0) or, with one direction, per row. */
function lstmStoredLayout(ctx: QuantizeContext, dims: readonly number[]): WeightLayout {
  const directions = dims[0]!;
  if (directions > 1) return { ...storedLayout('MatMul', { ...ctx.options, perChannel: true }, 0), key: 'lstm-stored-0' };
  return storedLayout('MatMul', ctx.options, 1);
}

export function quantizeLstm(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  if (node.attr('layout') && node.attr('layout')!.asNumber() !== 0) return { skipped: 'DynamicQuantizeLSTM has no batch-first layout' };
  const x = node.input(0);
  const w = ctx.constant(node.input(1));
  const r = ctx.constant(node.input(2));
  if (!x) return { skipped: 'input X is missing' };
  if (!w || !r) return { skipped: `${w ? 'R' : 'W'} is not a float32 constant` };
  const problem = weightProblem(ctx, w, 'W', [3]) ?? weightProblem(ctx, r, 'R', [3]);
  if (problem) return { skipped: problem };

  const wDims = w.tensor.dims.map(Number);
  const rDims = r.tensor.dims.map(Number);
  if (ctx.options.format === 'qdq') {
    weightOnly(ctx, graph, node, 1, w, lstmStoredLayout(ctx, wDims));
    return weightOnly(ctx, graph, node, 2, r, lstmStoredLayout(ctx, rDims));
  }

  const qw = ctx.quantizeWeight(w, lstmLayout(ctx.options, wDims));
  const qr = ctx.quantizeWeight(r, lstmLayout(ctx.options, rDims));
  const inputs: (Value | null)[] = [
    x,
    qw.quantized,
    qr.quantized,
    node.input(3),
    node.input(4),
    node.input(5),
    node.input(6),
    node.input(7),
    qw.scale,
    qw.zeroPoint,
    qr.scale,
    qr.zeroPoint,
  ];
  const attributes = [...node.attributes.values()].filter((a) => a.name !== 'layout');
  const lstm = ctx.node({
    opType: 'DynamicQuantizeLSTM',
    domain: MS_DOMAIN,
    name: `${node.name || node.outputs.find((o) => o)?.name || 'LSTM'}_quant`,
    inputs,
    outputs: node.outputs.map((o) => (o ? ctx.value(`${o.name}_q`) : null)),
    attributes,
  });
  replaceOneToOne(graph, node, lstm);
  ctx.release(w);
  ctx.release(r);
  return { as: 'DynamicQuantizeLSTM' };
}
