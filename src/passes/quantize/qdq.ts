/**
 * The weight-only format: the weight becomes an int8 (or uint8) initializer
 * and a DequantizeLinear whose float output feeds the unchanged op, for
 * runtimes without integer kernels. Only the file shrinks; the math stays float.
 */
import type { Graph, Node } from '../../ir/graph.js';
import type { QuantizeContext, RewriteResult, WeightLayout } from './context.js';
import type { ConstantWeight } from './weights.js';

export function weightOnly(
  ctx: QuantizeContext,
  graph: Graph,
  node: Node,
  inputIndex: number,
  weight: ConstantWeight,
  layout: WeightLayout,
): RewriteResult {
  const quantized = ctx.quantizeWeight(weight, layout);
  const dequantized = ctx.dequantizeWeight(graph, quantized, node);
  node.setInput(inputIndex, dequantized);
  ctx.release(weight);
  return { as: `DequantizeLinear + ${node.opType}` };
}
