/**
 * Which tensor of the candidate is which tensor of the baseline. Conversions keep value names where they replace
 * a node (a MatMul's output stays its name when MatMulNBits or MatMulInteger+Mul computes it), so names match
 * first; a node a conversion created records its source node in `metadata_props` (provenance.ts), which matches
 * what was renamed. Nothing is guessed: a baseline value with neither is listed as unmatched.
 */
import { DataType } from '../ir/dtypes.js';
import type { Node, Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { inferTypes } from '../passes/elem-types.js';
import { elemTypeOf } from '../ir/types.js';
import { sourceOf } from '../passes/provenance.js';

const FLOAT_TYPES = new Set<DataType>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

export interface MatchedNode {
  /** The baseline node, and its index in graph order. */
  node: Node;
  index: number;
  /** The output compared: the node's first floating-point output. */
  output: Value;
  /** The candidate's value for it. */
  candidate: Value;
  how: 'name' | 'provenance';
}

export interface UnmatchedNode {
  node: Node;
  output: Value;
  reason: string;
}

export interface NodeMatching {
  matched: MatchedNode[];
  unmatched: UnmatchedNode[];
  /** Baseline nodes with no floating-point output (shape arithmetic, masks): not compared. */
  notFloat: number;
  /** Baseline value -> candidate value, for every value matched (graph inputs included). */
  values: Map<Value, Value>;
}

/** A display name for a node: its own, else its first output's. */
export function nodeLabel(node: Node): string {
  return node.name || node.outputs.find((v) => v)?.name || node.opType;
}

function candidateValues(candidate: Model): { byName: Map<string, Value>; bySource: Map<string, Node> } {
  const byName = new Map<string, Value>();
  const groups = new Map<string, Node[]>();
  for (const v of candidate.graph.inputs) byName.set(v.name, v);
  for (const v of candidate.graph.initializers.values()) byName.set(v.name, v);
  for (const node of candidate.graph.nodes) {
    for (const v of node.outputs) if (v) byName.set(v.name, v);
    const source = sourceOf(node);
    if (source !== undefined) groups.set(source, [...(groups.get(source) ?? []), node]);
  }
  // Of the nodes made from one source, the one no other of them reads computes the source's output.
  const bySource = new Map<string, Node>();
  for (const [source, nodes] of groups) {
    const members = new Set(nodes);
    const sinks = nodes.filter((n) => !n.outputs.some((o) => o?.uses().some((u) => members.has(u.node))));
    if (sinks.length === 1) bySource.set(source, sinks[0]!);
  }
  return { byName, bySource };
}

/**
 * Matches the main graph's nodes. `only` restricts the nodes compared (names of baseline nodes or of their
 * outputs); the value map still covers every node, because isolating a node needs its inputs matched too.
 */
export function matchNodes(baseline: Model, candidate: Model, only?: ReadonlySet<string>): NodeMatching {
  const types = inferTypes(baseline);
  const { byName, bySource } = candidateValues(candidate);
  const values = new Map<Value, Value>();
  for (const v of baseline.graph.inputs) {
    const c = byName.get(v.name);
    if (c) values.set(v, c);
  }
  const matched: MatchedNode[] = [];
  const unmatched: UnmatchedNode[] = [];
  let notFloat = 0;
  let index = 0;
  for (const node of baseline.graph.nodes) {
    const position = index++;
    node.outputs.forEach((v, k) => {
      if (!v) return;
      const byNameMatch = byName.get(v.name);
      const sourceNode = node.name ? bySource.get(node.name) : undefined;
      const c = byNameMatch ?? sourceNode?.outputs[k] ?? undefined;
      if (c) values.set(v, c);
    });
    const output = node.outputs.find((v) => v && isFloat(elemTypeOf(types.typeOf(v))));
    if (!output) {
      notFloat++;
      continue;
    }
    if (only && !only.has(node.name ?? '') && !only.has(output.name)) continue;
    const c = values.get(output);
    if (!c) {
      unmatched.push({ node, output, reason: `the candidate has no value '${output.name}' and no node made from '${nodeLabel(node)}'` });
      continue;
    }
    matched.push({ node, index: position, output, candidate: c, how: byName.get(output.name) === c ? 'name' : 'provenance' });
  }
  return { matched, unmatched, notFloat, values };
}

function isFloat(type: DataType | undefined): boolean {
  return type !== undefined && FLOAT_TYPES.has(type);
}
