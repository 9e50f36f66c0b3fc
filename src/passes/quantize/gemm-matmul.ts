/**
 * Gemm as a MatMul, for the rewrites that quantize a Gemm's B (INT8's gemm.ts, q4's MatMulNBits in
 * ../quantize-nbits/rewrite.ts): Y = alpha * A' * B' + beta * C becomes the caller's product of A' and B' (it folds
 * transB into how it reads B), A transposed by a Transpose when transA = 1, a Mul for alpha != 1, and an Add of C
 * (scaled by a Mul for beta != 1).
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import type { Graph, Node, NodeInit, Value } from '../../ir/graph.js';
import { replaceNode } from './rewrite.js';

/** What the rewrite needs of a quantization run's context (QuantizeContext, NBitsContext): fresh names. */
export interface GemmRewriteContext {
  node(init: NodeInit & { name: string }): Node;
  value(base: string): Value;
  initializer(graph: Graph, base: string, dataType: DataType, dims: number[], data: Float32Array): Value;
}

export interface GemmAttributes {
  alpha: number;
  beta: number;
  transA: boolean;
  transB: boolean;
}

function numberAttr(node: Node, name: string, fallback: number): number {
  const attr = node.attr(name);
  return attr ? attr.asNumber() : fallback;
}

/** Gemm's attributes, with their defaults. */
export function gemmAttributes(node: Node): GemmAttributes {
  return {
    alpha: numberAttr(node, 'alpha', 1),
    beta: numberAttr(node, 'beta', 1),
    transA: numberAttr(node, 'transA', 0) !== 0,
    transB: numberAttr(node, 'transB', 0) !== 0,
  };
}

export interface GemmAsMatMul {
  /** The node computing Y. */
  last: Node;
  /** The nodes made besides the product's, in graph order (Transpose, Mul, Add). */
  around: Node[];
}

/**
 * Replaces `gemm` (whose A is there) with `product(A')`, the nodes computing A' x B' (the last one's first output
 * is the product), then alpha and C. `addBias` false: the product already added C (a bias input of its own).
 * `addSuffix` ends the Add's name.
 */
export function gemmAsMatMul(
  ctx: GemmRewriteContext,
  graph: Graph,
  gemm: Node,
  product: (a: Value) => { nodes: Node[]; last: Node },
  { addBias = true, addSuffix }: { addBias?: boolean; addSuffix: string },
): GemmAsMatMul {
  const { alpha, beta, transA } = gemmAttributes(gemm);
  const a = gemm.input(0)!;
  const c = gemm.input(2);
  const y = gemm.output(0);
  const label = gemm.name || y.name;
  const around: Node[] = [];
  let input: Value = a;
  if (transA) {
    const transpose = ctx.node({
      opType: 'Transpose',
      name: `${label}_transA`,
      inputs: [a],
      outputs: [ctx.value(`${a.name}_transposed`)],
      attributes: [Attribute.ints('perm', [1, 0])],
    });
    // Before the product's own nodes, which may quantize A' in front of the Gemm.
    graph.insertBefore(gemm, transpose);
    around.push(transpose);
    input = transpose.output(0);
  }

  const made = product(input);
  const nodes = [...made.nodes];
  let last = made.last;
  const append = (node: Node): Node => {
    nodes.push(node);
    around.push(node);
    return node;
  };
  if (alpha !== 1) {
    const alphaValue = ctx.initializer(graph, `${label}_alpha`, DataType.FLOAT, [], Float32Array.of(alpha));
    last = append(
      ctx.node({ opType: 'Mul', name: `${label}_alpha_mul`, inputs: [last.output(0), alphaValue], outputs: [ctx.value(`${y.name}_alpha`)] }),
    );
  }
  if (addBias && c && beta !== 0) {
    let bias: Value = c;
    if (beta !== 1) {
      const betaValue = ctx.initializer(graph, `${label}_beta`, DataType.FLOAT, [], Float32Array.of(beta));
      bias = append(ctx.node({ opType: 'Mul', name: `${label}_beta_mul`, inputs: [c, betaValue], outputs: [ctx.value(`${c.name}_beta`)] })).output(0);
    }
    last = append(
      ctx.node({ opType: 'Add', name: `${label}${addSuffix}`, inputs: [last.output(0), bias], outputs: [ctx.value(`${y.name}_biased`)] }),
    );
  }
  replaceNode(graph, gemm, nodes, [[last, 0]]);
  return { last, around };
}
