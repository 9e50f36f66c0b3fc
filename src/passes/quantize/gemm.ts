/**
 * Gemm with a constant B: Y = alpha * A' * B' + beta * C becomes the integer
 * MatMul of matmul.ts (B' stored transposed when transB = 1, as onnxruntime
 * does), a Mul for alpha != 1, and an Add of C (scaled for beta != 1). The
 * node that produces Y keeps the Gemm's name. Unlike onnxruntime, a B shared
 * with other nodes is never transposed in place: each layout is its own tensor.
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult } from './context.js';
import { replaceNode } from './rewrite.js';
import { matmulLayout, storedLayout, transposedGemmLayout } from './layouts.js';
import { integerMatMul } from './matmul.js';
import { weightOnly } from './qdq.js';

function numberAttr(node: Node, name: string, fallback: number): number {
  const attr = node.attr(name);
  return attr ? attr.asNumber() : fallback;
}

export function quantizeGemm(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const alpha = numberAttr(node, 'alpha', 1);
  const beta = numberAttr(node, 'beta', 1);
  const transA = numberAttr(node, 'transA', 0) !== 0;
  const transB = numberAttr(node, 'transB', 0) !== 0;
  const a = node.input(0);
  const c = node.input(2);
  const weight = ctx.constant(node.input(1));
  if (!a) return { skipped: 'input A is missing' };
  if (!weight) return { skipped: 'B is not a float32 constant' };
  const problem = weightProblem(ctx, weight, 'B', [2]);
  if (problem) return { skipped: problem };

  if (ctx.options.format === 'qdq') {
    return weightOnly(ctx, graph, node, 1, weight, storedLayout('Gemm', ctx.options, transB ? 0 : 1));
  }

  const y = node.output(0);
  const label = node.name || y.name;
  const nodes: Node[] = [];
  let input: Value = a;
  if (transA) {
    const transpose = ctx.node({
      opType: 'Transpose',
      name: `${label}_transA`,
      inputs: [a],
      outputs: [ctx.value(`${a.name}_transposed`)],
      attributes: [Attribute.ints('perm', [1, 0])],
    });
    graph.insertBefore(node, transpose);
    input = transpose.output(0);
  }

  const quantized = ctx.quantizeWeight(weight, transB ? transposedGemmLayout(ctx.options) : matmulLayout(ctx.options));
  const product = integerMatMul(ctx, graph, node, input, quantized, `${label}_MatMul`, `${y.name}_MatMul`);
  nodes.push(...product.nodes);
  let last = product.last;

  if (alpha !== 1) {
    const alphaValue = ctx.initializer(graph, `${label}_alpha`, DataType.FLOAT, [], Float32Array.of(alpha));
    last = ctx.node({ opType: 'Mul', name: `${label}_alpha_mul`, inputs: [last.output(0), alphaValue], outputs: [ctx.value(`${y.name}_alpha`)] });
    nodes.push(last);
  }

  if (c && beta !== 0) {
    let bias: Value = c;
    if (beta !== 1) {
      const betaValue = ctx.initializer(graph, `${label}_beta`, DataType.FLOAT, [], Float32Array.of(beta));
      const scaled = ctx.node({ opType: 'Mul', name: `${label}_beta_mul`, inputs: [c, betaValue], outputs: [ctx.value(`${c.name}_beta`)] });
      nodes.push(scaled);
      bias = scaled.output(0);
    }
    last = ctx.node({ opType: 'Add', name: `${label}_Add`, inputs: [last.output(0), bias], outputs: [ctx.value(`${y.name}_biased`)] });
    nodes.push(last);
  }

  replaceNode(graph, node, nodes, [[last, 0]]);
  // The Gemm is gone, so its name is free again: the node computing Y takes it.
  if (node.name) last.name = node.name;
  ctx.release(weight);
  return { as: 'MatMulInteger' };
}
