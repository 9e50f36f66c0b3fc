/**
 * The rewrites, one per op type:
 * - MatMul with a constant 2-D B -> com.microsoft MatMulNBits (qoperator), or DequantizeLinear -> MatMul (qdq).
 * - Gemm with a constant B -> MatMulNBits with transB folded into how B is read, and the rest as INT8 does it
 *   (../quantize/gemm-matmul.ts): transA as a Transpose of A,
 *   C as MatMulNBits' bias input (a 1-D constant of N values, beta 1, alpha 1) or an Add, alpha and beta as Muls;
 *   qdq: DequantizeLinear -> the unchanged Gemm.
 * - Gather from a constant table -> com.microsoft GatherBlockQuantized with uint8 data (qoperator), or
 *   DequantizeLinear -> Gather (qdq).
 */
import { Attribute } from '../../ir/attribute.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import { MS_DOMAIN } from '../quantize/opset.js';
import { gemmAsMatMul, gemmAttributes } from '../quantize/gemm-matmul.js';
import { replaceNode } from '../quantize/rewrite.js';
import type { BlockWeight, NBitsContext, Orientation, RewriteResult } from './context.js';

function numberAttr(node: Node, name: string, fallback: number): number {
  const attr = node.attr(name);
  return attr ? attr.asNumber() : fallback;
}

/** The orientation of a 2-D weight as the op reads it: the constant's own, flipped by a Transpose between them. */
function orientationOf(weight: BlockWeight, readTransposed: boolean): Orientation {
  return (weight.transpose !== undefined) !== readTransposed ? 'nk' : 'kn';
}

function nbitsAttributes(ctx: NBitsContext, K: number, N: number): Attribute[] {
  const attrs = [
    Attribute.int('K', K),
    Attribute.int('N', N),
    Attribute.int('bits', ctx.options.bits),
    Attribute.int('block_size', ctx.options.blockSize),
  ];
  // Written only when non-zero, as onnxruntime does: most execution providers do not read it.
  if (ctx.options.accuracyLevel !== 0) attrs.push(Attribute.int('accuracy_level', ctx.options.accuracyLevel));
  return attrs;
}

/** A MatMulNBits node computing A x (the weight as read in `orientation`), with an optional bias input. */
function matMulNBits(ctx: NBitsContext, a: Value, weight: BlockWeight, orientation: Orientation, label: string, output: Value, bias?: Value): Node {
  const target = ctx.resolve(weight, orientation);
  const m = ctx.nbitsMatrix(target.weight, target.orientation);
  ctx.noteMatMulUse(target.weight, target.orientation);
  const inputs: (Value | null)[] = [a, m.nbits, m.scales];
  if (m.zeroPoints || bias) inputs.push(m.zeroPoints ?? null);
  if (bias) inputs.push(null, bias); // g_idx is not used
  return ctx.node({
    opType: 'MatMulNBits',
    domain: MS_DOMAIN,
    name: `${label}_${ctx.tag}`,
    inputs,
    outputs: [output],
    attributes: nbitsAttributes(ctx, m.K, m.N),
  });
}

/** DequantizeLinear's output standing for the weight the node reads (a MatMul/Gemm B), quantized once. */
function dequantizedB(ctx: NBitsContext, weight: BlockWeight, orientation: Orientation, graph: Graph, node: Node, label: string): Value {
  const target = ctx.resolve(weight, orientation);
  ctx.noteMatMulUse(target.weight, target.orientation);
  // The node reads the stored tensor, or its transpose through a Transpose node; the quantized tensor may be a
  // tied table's, which is the transpose of the stored one.
  const transposeOutput = (weight.transpose !== undefined) !== target.transposed;
  return ctx.dequantized(target.weight, target.orientation, transposeOutput, graph, node, label);
}

/** K and N of the weight's matrix: the stored tensor is [K, N] in 'kn' and [N, K] in 'nk'. */
function matrixDims(weight: BlockWeight, orientation: Orientation): { K: number; N: number } {
  const [d0, d1] = weight.tensor.dims.map(Number) as [number, number];
  return orientation === 'kn' ? { K: d0, N: d1 } : { K: d1, N: d0 };
}

export function quantizeMatMul(ctx: NBitsContext, node: Node, graph: Graph): RewriteResult {
  const a = node.input(0);
  const weight = ctx.weight(node.input(1));
  if (!weight) return { notApplicable: true };
  if (!a) return { skipped: 'input A is missing' };
  const problem = ctx.problem(weight, 'B', [2]);
  if (problem) return { skipped: problem };
  const orientation = orientationOf(weight, false);
  const label = node.name || node.output(0).name;

  if (ctx.options.format === 'qdq') {
    node.setInput(1, dequantizedB(ctx, weight, orientation, graph, node, label));
    ctx.release(weight);
    return { as: 'DequantizeLinear + MatMul' };
  }
  const y = node.output(0);
  const fresh = matMulNBits(ctx, a, weight, orientation, label, ctx.value(`${y.name}_${ctx.tag}`));
  replaceNode(graph, node, [fresh], [[fresh, 0]]);
  ctx.touched.add(graph);
  ctx.release(weight);
  return { as: 'MatMulNBits' };
}

export function quantizeGemm(ctx: NBitsContext, node: Node, graph: Graph): RewriteResult {
  const { alpha, beta, transB } = gemmAttributes(node);
  const a = node.input(0);
  const c = node.input(2);
  const weight = ctx.weight(node.input(1));
  if (!weight) return { notApplicable: true };
  if (!a) return { skipped: 'input A is missing' };
  const problem = ctx.problem(weight, 'B', [2]);
  if (problem) return { skipped: problem };
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return { skipped: `alpha ${alpha} / beta ${beta} cannot be honoured` };
  const orientation = orientationOf(weight, transB);
  const label = node.name || node.output(0).name;

  if (ctx.options.format === 'qdq') {
    // The Gemm stays as it is (alpha, beta, C, transA, transB); only B is rebuilt from its quantized form.
    node.setInput(1, dequantizedB(ctx, weight, orientation, graph, node, label));
    ctx.release(weight);
    return { as: 'DequantizeLinear + Gemm' };
  }

  const y = node.output(0);
  const { N } = matrixDims(weight, orientation);
  // MatMulNBits adds a bias of shape [N] itself: a float32 constant of exactly that shape, when nothing scales it.
  const biasConstant = c !== null && beta !== 0 && alpha === 1 && beta === 1 ? ctx.weight(c) : undefined;
  const fusedBias =
    biasConstant && !biasConstant.transpose && biasConstant.tensor.dims.length === 1 && Number(biasConstant.tensor.dims[0]) === N ? c! : undefined;
  const { around } = gemmAsMatMul(
    ctx,
    graph,
    node,
    (input) => {
      const product = matMulNBits(ctx, input, weight, orientation, label, ctx.value(`${y.name}_${ctx.tag}`), fusedBias);
      return { nodes: [product], last: product };
    },
    { addBias: !fusedBias, addSuffix: '_bias_add' },
  );
  ctx.touched.add(graph);
  ctx.release(weight);
  return { as: ['MatMulNBits', ...around.map((n) => n.opType)].join(' + ') };
}

export function quantizeGather(ctx: NBitsContext, node: Node, graph: Graph): RewriteResult {
  const table = ctx.weight(node.input(0));
  // Gathers from computed tensors (shapes, hidden states) are not lookups in a weight table.
  if (!table || table.transpose) return { notApplicable: true };
  const indices = node.input(1);
  if (!indices) return { skipped: 'indices are missing' };
  const problem = ctx.problem(table, 'data', [2, 3, 4, 5, 6, 7, 8]);
  if (problem) return { skipped: problem };
  const dims = table.tensor.dims.map(Number);
  const rank = dims.length;
  const axisAttr = numberAttr(node, 'axis', 0);
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const K = dims[rank - 1]!;
  const label = node.name || node.output(0).name;

  if (ctx.options.format === 'qdq') {
    ctx.noteGatherUse(table);
    node.setInput(0, ctx.dequantized(table, 'nk', false, graph, node, label));
    ctx.release(table);
    return { as: 'DequantizeLinear + Gather' };
  }
  if (axis !== 0) return { skipped: `gathers along axis ${axisAttr}: GatherBlockQuantized with packed uint8 data gathers along axis 0 only` };
  if (ctx.options.bits === 4 && K % 2 === 1) {
    return { skipped: `the last axis has ${K} values: packed two to a byte, GatherBlockQuantized would read ${K + 1}` };
  }

  const { data, scales, zeroPoints } = ctx.gatherMatrix(table, graph, node);
  const gathered = ctx.node({
    opType: 'GatherBlockQuantized',
    domain: MS_DOMAIN,
    name: `${label}_${ctx.tag}`,
    inputs: [data, indices, scales, ...(zeroPoints ? [zeroPoints] : [])],
    outputs: [ctx.value(`${node.output(0).name}_${ctx.tag}`)],
    attributes: [
      Attribute.int('bits', ctx.options.bits),
      Attribute.int('block_size', ctx.options.blockSize),
      Attribute.int('gather_axis', 0),
      Attribute.int('quantize_axis', rank - 1),
    ],
  });
  replaceNode(graph, node, [gathered], [[gathered, 0]]);
  ctx.touched.add(graph);
  ctx.release(table);
  return { as: 'GatherBlockQuantized' };
}
