/**
 * Gemm with a constant B: Y = alpha * A' * B' + beta * C becomes the integer
 * MatMul of matmul.ts (B' stored transposed when transB = 1, as onnxruntime
 * does), a Mul for alpha != 1, and an Add of C (scaled for beta != 1). The
 * node that produces Y keeps the Gemm's name. Unlike onnxruntime, a B shared
 * with other nodes is never transposed in place: each layout is its own tensor.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult } from './context.js';
import { gemmAsMatMul, gemmAttributes } from './gemm-matmul.js';
import { matmulLayout, storedLayout, transposedGemmLayout } from './layouts.js';
import { integerMatMul } from './matmul.js';
import { weightOnly } from './qdq.js';

export function quantizeGemm(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const { transB } = gemmAttributes(node);
  const a = node.input(0);
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
  const { last } = gemmAsMatMul(
    ctx,
    graph,
    node,
    (input) => {
      const quantized = ctx.quantizeWeight(weight, transB ? transposedGemmLayout(ctx.options) : matmulLayout(ctx.options));
      return integerMatMul(ctx, graph, node, input, quantized, `${label}_MatMul`, `${y.name}_MatMul`);
    },
    { addSuffix: '_Add' },
  );
  // The Gemm is gone, so its name is free again: the node computing Y takes it.
  if (node.name) last.name = node.name;
  ctx.release(weight);
  return { as: 'MatMulInteger' };
}
