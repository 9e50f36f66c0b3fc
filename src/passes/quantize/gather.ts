/**
 * Gather from a constant float table (an embedding) reads a uint8 copy of the
 * table instead, and a DequantizeLinear turns the gathered rows back into
 * float (operators/gather.py). Only the rows used are dequantized, so this is
 * the form for both output formats.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult } from './context.js';
import { gatherLayout } from './layouts.js';

export function quantizeGather(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const table = ctx.constant(node.input(0));
  // Gathers from computed tensors (shapes, hidden states) are not lookups in a weight table.
  if (!table) return { notApplicable: true };
  if (!node.input(1)) return { skipped: 'indices are missing' };
  const problem = weightProblem(ctx, table, 'data', [1, 2, 3, 4, 5, 6, 7, 8]);
  if (problem) return { skipped: problem };

  const quantized = ctx.quantizeWeight(table, gatherLayout(ctx.options));
  const y = node.output(0);
  const gathered = ctx.value(`${y.name}_quantized`);
  node.setInput(0, quantized.quantized);
  node.setOutput(0, gathered);
  const dequantize = ctx.node({
    opType: 'DequantizeLinear',
    name: `${y.name}_DequantizeLinear`,
    inputs: [gathered, quantized.scale, quantized.zeroPoint],
    outputs: [y],
  });
  graph.insertAfter(node, dequantize);
  ctx.requireOpset(10);
  ctx.release(table);
  return { as: 'Gather + DequantizeLinear' };
}
