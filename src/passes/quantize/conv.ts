/**
 * Conv with a constant W. By default W is stored as int8 and expanded back to
 * float by constant-only ops that ONNX Runtime folds at load: the file
 * shrinks as much as with ConvInteger, and Conv keeps its float kernel, which
 * ran 2.8-8x faster than ConvInteger (and 1.4-1.8x faster than a Conv fed by
 * DequantizeLinear, which is not folded) on the digits CNN.
 * With `convInteger`: DynamicQuantizeLinear(X) + ConvInteger + Cast + Mul, plus
 * an Add of the bias reshaped to [1, C, 1, ...] (operators/conv.py).
 */
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult } from './context.js';
import { replaceNode } from './rewrite.js';
import type { ConstantWeight } from './weights.js';
import { convLayout, storedLayout } from './layouts.js';
import { integerMatMul } from './matmul.js';
import { weightOnly } from './qdq.js';

/** What a Conv becomes by default, in the summary. */
export const EXPANDED_CONV = 'Conv (int8 weight, float math)';

export function quantizeConv(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const x = node.input(0);
  const weight = ctx.constant(node.input(1));
  if (!x) return { skipped: 'input X is missing' };
  if (!weight) return { skipped: 'W is not a float32 constant' };
  const problem = weightProblem(ctx, weight, 'W', [3, 4, 5]);
  if (problem) return { skipped: problem };

  if (ctx.options.format === 'qdq') {
    const layout = storedLayout('Conv', ctx.options, 0);
    layout.quant = { ...layout.quant, perChannel: ctx.options.perChannel };
    return weightOnly(ctx, graph, node, 1, weight, { ...layout, key: `${layout.key}-${ctx.options.perChannel}` });
  }

  if (!ctx.options.convInteger) return expandedWeight(ctx, graph, node, weight);

  const quantized = ctx.quantizeWeight(weight, convLayout(ctx.options));
  const y = node.output(0);
  const label = node.name || y.name;
  const { nodes, last: rescaled } = integerMatMul(ctx, graph, node, x, quantized, label, y.name, {
    opType: 'ConvInteger',
    attributes: [...node.attributes.values()],
    rescaledSuffix: '_quant_scaled_output',
  });
  let last = rescaled;

  const b = node.input(2);
  if (b) {
    const rank = weight.tensor.dims.length;
    const bias = channelBias(ctx, graph, b, rank, nodes, label);
    last = ctx.node({ opType: 'Add', name: `${y.name}_bias_add`, inputs: [last.output(0), bias], outputs: [ctx.value(`${y.name}_biased`)] });
    nodes.push(last);
  }

  replaceNode(graph, node, nodes, [[last, 0]]);
  ctx.release(weight);
  return { as: 'ConvInteger' };
}

/**
 * W as int8 with float math. By default per output channel (axis 0), the
 * scale shaped [C, 1, ...] so that the Mul broadcasts: ONNX Runtime folds the
 * expansion at load, so the extra scales cost nothing at run time, and a
 * depthwise Conv, whose channels' ranges differ most, keeps its accuracy.
 * With convPerChannel off, per tensor, quantized exactly as for ConvInteger.
 */
function expandedWeight(ctx: QuantizeContext, graph: Graph, node: Node, weight: ConstantWeight): RewriteResult {
  let layout = convLayout(ctx.options);
  if (ctx.options.convPerChannel) {
    const rank = weight.tensor.dims.length;
    const stored = storedLayout('Conv', ctx.options, 0);
    const channels = Number(weight.tensor.dims[0]);
    layout = {
      ...stored,
      key: `${stored.key}-expanded`,
      quant: { ...stored.quant, perChannel: true },
      paramDims: [channels, ...Array<number>(rank - 1).fill(1)],
    };
  }
  const quantized = ctx.quantizeWeight(weight, layout);
  node.setInput(1, ctx.expandWeight(graph, quantized, node));
  ctx.release(weight);
  return { as: EXPANDED_CONV };
}

/** The bias as [1, C, 1, ...] for adding to the output: a reshaped copy when constant, else a Reshape node. */
function channelBias(ctx: QuantizeContext, graph: Graph, b: Value, rank: number, nodes: Node[], label: string): Value {
  const shape = [1, -1, ...Array<number>(rank - 2).fill(1)];
  const constant = ctx.constant(b);
  if (constant) {
    const channels = constant.tensor.elementCount;
    const dims = shape.map((d) => (d === -1 ? channels : d));
    const data = Float32Array.from(ctx.floatData(constant));
    const reshaped = ctx.initializer(constant.owner, `${constant.origin.name}_reshaped`, DataType.FLOAT, dims, data);
    ctx.release(constant);
    return reshaped;
  }
  const shapeValue = ctx.initializer(graph, `${label}_bias_reshape_shape`, DataType.INT64, [rank], BigInt64Array.from(shape.map(BigInt)));
  const reshape = ctx.node({ opType: 'Reshape', name: `${label}_bias_reshape`, inputs: [b, shapeValue], outputs: [ctx.value(`${b.name}_reshaped`)] });
  nodes.unshift(reshape);
  return reshape.output(0);
}
