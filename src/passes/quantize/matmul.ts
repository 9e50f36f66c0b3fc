/**
 * MatMul with a constant B -> DynamicQuantizeLinear(A) + MatMulInteger + Cast + Mul,
 * the form onnxruntime's quantizer emits (operators/matmul.py) and fuses into
 * DynamicQuantizeMatMul when it loads the model.
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, QuantizedWeight, RewriteResult } from './context.js';
import { replaceNode } from './rewrite.js';
import { matmulLayout, storedLayout } from './layouts.js';
import { weightOnly } from './qdq.js';

export interface IntegerMatMul {
  nodes: Node[];
  /** The node computing the float result (its output 0), a fresh value until the caller moves an output there. */
  last: Node;
}

/** The integer op of integerMatMul and how its rescaled output is named (onnxruntime's names differ for Conv). */
export interface IntegerProduct {
  opType: 'MatMulInteger' | 'ConvInteger';
  attributes?: Attribute[];
  /** Suffix of the float result's name after `outputName` (default `_rescaled`). */
  rescaledSuffix?: string;
}

/**
 * A * B in integers, rescaled to float: `a` is quantized dynamically (once per
 * value), `weight` is B already quantized. `label` names the new nodes
 * (`<label>_quant`, ...) and `outputName` the intermediate values. The product
 * is MatMulInteger unless `product` says ConvInteger (with the Conv's attributes).
 */
export function integerMatMul(
  ctx: QuantizeContext,
  graph: Graph,
  before: Node,
  a: Value,
  weight: QuantizedWeight,
  label: string,
  outputName: string,
  product: IntegerProduct = { opType: 'MatMulInteger' },
): IntegerMatMul {
  const dq = ctx.dynamicQuantize(graph, a, before);
  const scalesMul = ctx.node({
    opType: 'Mul',
    name: `${label}_quant_scales_mul`,
    inputs: [dq.scale, weight.scale],
    outputs: [ctx.value(`${label}_quant_scales_mul:0`)],
  });
  const integer = ctx.node({
    opType: product.opType,
    name: `${label}_quant`,
    inputs: [dq.quantized, weight.quantized, dq.zeroPoint, weight.zeroPoint],
    outputs: [ctx.value(`${outputName}_output_quantized`)],
    ...(product.attributes ? { attributes: product.attributes } : {}),
  });
  const cast = ctx.node({
    opType: 'Cast',
    name: `${outputName}_output_quantized_cast`,
    inputs: [integer.output(0)],
    outputs: [ctx.value(`${outputName}_output_quantized_cast_output`)],
    attributes: [Attribute.int('to', DataType.FLOAT)],
  });
  const rescale = ctx.node({
    opType: 'Mul',
    name: `${label}_quant_output_scale_mul`,
    inputs: [cast.output(0), scalesMul.output(0)],
    outputs: [ctx.value(`${outputName}${product.rescaledSuffix ?? '_rescaled'}`)],
  });
  ctx.requireOpset(11);
  return { nodes: [scalesMul, integer, cast, rescale], last: rescale };
}

export function quantizeMatMul(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const a = node.input(0);
  const weight = ctx.constant(node.input(1));
  if (!a) return { skipped: 'input A is missing' };
  if (!weight) return { skipped: 'B is not a float32 constant' };
  const problem = weightProblem(ctx, weight, 'B', [2, 3, 4, 5, 6]);
  if (problem) return { skipped: problem };

  if (ctx.options.format === 'qdq') {
    const rank = weight.tensor.dims.length;
    return weightOnly(ctx, graph, node, 1, weight, storedLayout('MatMul', ctx.options, rank - 1));
  }
  const quantized = ctx.quantizeWeight(weight, matmulLayout(ctx.options));
  const y = node.output(0);
  const label = node.name || y.name;
  const { nodes, last } = integerMatMul(ctx, graph, node, a, quantized, label, y.name);
  replaceNode(graph, node, nodes, [[last, 0]]);
  ctx.release(weight);
  return { as: 'MatMulInteger' };
}
