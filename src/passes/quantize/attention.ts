/**
 * com.microsoft Attention with constant weights -> com.microsoft QAttention
 * (operators/attention.py): the input is quantized dynamically, the merged
 * QKV weights ahead of time, and the float bias, mask and past pass through.
 */
import type { Graph, Node, Value } from '../../ir/graph.js';
import { DataType } from '../../ir/dtypes.js';
import { weightProblem } from './checks.js';
import type { QuantizeContext, RewriteResult } from './context.js';
import { MS_DOMAIN } from './opset.js';
import { replaceOneToOne } from './rewrite.js';
import { matmulLayout, storedLayout } from './layouts.js';
import { weightOnly } from './qdq.js';

/** Attributes QAttention shares with Attention; any other makes the node unconvertible. */
const QATTENTION_ATTRIBUTES = new Set(['num_heads', 'unidirectional', 'do_rotary', 'mask_filter_value', 'past_present_share_buffer', 'scale']);

export function quantizeAttention(ctx: QuantizeContext, node: Node, graph: Graph): RewriteResult {
  const input = node.input(0);
  const weight = ctx.constant(node.input(1));
  if (!input) return { skipped: 'input is missing' };
  if (!weight) return { skipped: 'weights are not a float32 constant' };
  const problem = weightProblem(ctx, weight, 'weights', [2]);
  if (problem) return { skipped: problem };

  if (ctx.options.format === 'qdq') {
    return weightOnly(ctx, graph, node, 1, weight, storedLayout('MatMul', ctx.options, 1));
  }

  const unsupported = [...node.attributes.keys()].filter((a) => !QATTENTION_ATTRIBUTES.has(a));
  if (unsupported.length > 0) return { skipped: `QAttention has no attribute ${unsupported.join(', ')}` };
  if (node.input(5) || node.input(6)) return { skipped: 'QAttention has no attention_bias or past_sequence_length input' };

  const quantized = ctx.quantizeWeight(weight, matmulLayout(ctx.options));
  const hidden = Number(weight.tensor.dims[1]);
  // QAttention requires a bias; Attention's is optional.
  const bias: Value =
    node.input(2) ?? ctx.initializer(weight.owner, `${weight.origin.name}_zero_bias`, DataType.FLOAT, [hidden], new Float32Array(hidden));
  const dq = ctx.dynamicQuantize(graph, input, node);
  const inputs: (Value | null)[] = [
    dq.quantized,
    quantized.quantized,
    bias,
    dq.scale,
    quantized.scale,
    node.input(3),
    dq.zeroPoint,
    quantized.zeroPoint,
    node.input(4),
  ];
  while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
  const qattention = ctx.node({
    opType: 'QAttention',
    domain: MS_DOMAIN,
    name: `${node.name || node.output(0).name}_quant`,
    inputs,
    outputs: node.outputs.map((o) => (o ? ctx.value(`${o.name}_q`) : null)),
    attributes: [...node.attributes.values()],
  });
  replaceOneToOne(graph, node, qattention);
  ctx.requireOpset(11);
  ctx.release(weight);
  return { as: 'QAttention' };
}
