/**
 * The error a node introduces, separated from the error it inherits: the candidate's computation of one baseline
 * node (the candidate nodes between the node's matched inputs and its matched output) is copied into a model of
 * its own whose inputs are fed the baseline's tensors. One isolation model holds many such copies side by side,
 * so one session run per input set measures a whole chunk of nodes.
 */
import { DataType } from '../ir/dtypes.js';
import { Graph, Node, Value } from '../ir/graph.js';
import { Model } from '../ir/model.js';
import { elemTypeOf, type TypeInfo } from '../ir/types.js';
import type { TypeInference } from '../passes/elem-types.js';
import type { MatchedNode } from './match.js';

/** The most candidate nodes one baseline node may take (a walk past it would copy a whole model). */
const MAX_NODES = 64;

/** One isolated node: feed `inputs` (baseline values, under these input names) and read `output`. */
export interface IsolatedNode {
  target: MatchedNode;
  /** Isolation-model input name -> the baseline value to feed, and the element type the candidate wants. */
  inputs: { name: string; baseline: Value; elemType: DataType }[];
  output: string;
}

export interface Isolation {
  model: Model;
  isolated: IsolatedNode[];
  /** Nodes that could not be isolated, with why. */
  skipped: { target: MatchedNode; reason: string }[];
}

interface Walk {
  nodes: Node[];
  /** Candidate values where the walk stopped (fed from the baseline). */
  boundary: Value[];
}

/**
 * The candidate nodes that compute `output` from `stops` (candidate values fed from outside), in graph order;
 * a string says why there are none.
 */
function walkBack(output: Value, stops: ReadonlyMap<Value, Value>): Walk | string {
  const seen = new Set<Node>();
  const boundary = new Set<Value>();
  const todo: Value[] = [output];
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (stops.has(v)) {
      boundary.add(v);
      continue;
    }
    if (v.initializer) continue;
    const producer = v.producer();
    if (!producer) return `'${v.name}' is a graph input of the candidate that the baseline node does not read`;
    if (seen.has(producer)) continue;
    if (producer.subgraphs().length > 0) return `it runs through ${producer.opType} '${producer.name ?? ''}', which has a subgraph`;
    seen.add(producer);
    if (seen.size > MAX_NODES) return `more than ${MAX_NODES} candidate nodes compute it`;
    for (const input of producer.inputs) if (input) todo.push(input);
  }
  if (seen.size === 0) return 'the candidate computes no node for it (the value is passed through)';
  const order = output.producer()!.graph!;
  const nodes = [...order.nodes].filter((n) => seen.has(n));
  return { nodes, boundary: [...boundary] };
}

/**
 * Builds the isolation model for `targets`. `values` maps baseline values to candidate values (match.ts);
 * `candidateTypes` gives the candidate's element types (for the isolation model's input types).
 */
export function buildIsolation(
  candidate: Model,
  targets: readonly MatchedNode[],
  values: ReadonlyMap<Value, Value>,
  candidateTypes: TypeInference,
): Isolation {
  const graph = new Graph({ name: 'isolation' });
  const model = new Model({
    graph,
    irVersion: candidate.irVersion,
    opsetImports: candidate.opsetImports.map((o) => ({ ...o })),
    producerName: 'onnxpress diagnose',
  });
  model.functions = candidate.functions;
  const initializers = new Map<Value, Value>();
  const isolated: IsolatedNode[] = [];
  const skipped: Isolation['skipped'] = [];

  targets.forEach((target, t) => {
    // The node's own inputs are where its computation starts; they come from the baseline.
    const stops = new Map<Value, Value>();
    for (const input of target.node.inputs) {
      if (!input || input.initializer) continue;
      const c = values.get(input);
      if (!c) {
        skipped.push({ target, reason: `its input '${input.name}' has no match in the candidate` });
        return;
      }
      stops.set(c, input);
    }
    const walk = walkBack(target.candidate, stops);
    if (typeof walk === 'string') {
      skipped.push({ target, reason: walk });
      return;
    }
    const prefix = `t${t}/`;
    const copies = new Map<Value, Value>();
    const inputs: IsolatedNode['inputs'] = [];
    for (const c of walk.boundary) {
      const elemType = elemTypeOf(candidateTypes.typeOf(c)) ?? DataType.FLOAT;
      const input = new Value(`${prefix}${c.name}`, { kind: 'tensor', elemType } satisfies TypeInfo);
      graph.inputs.push(input);
      copies.set(c, input);
      inputs.push({ name: input.name, baseline: stops.get(c)!, elemType });
    }
    const valueOf = (v: Value | null): Value | null => {
      if (!v) return null;
      const copy = copies.get(v);
      if (copy) return copy;
      if (v.initializer) {
        let init = initializers.get(v);
        if (!init) {
          init = new Value(v.name, v.type);
          init.initializer = v.initializer;
          graph.addInitializer(init);
          initializers.set(v, init);
        }
        return init;
      }
      const made = new Value(`${prefix}${v.name}`, v.type);
      copies.set(v, made);
      return made;
    };
    for (const node of walk.nodes) {
      graph.append(
        new Node({
          opType: node.opType,
          domain: node.domain,
          name: `${prefix}${node.name ?? ''}`,
          attributes: [...node.attributes.values()],
          inputs: node.inputs.map(valueOf),
          outputs: node.outputs.map((o) => (o ? valueOf(o) : null)),
        }),
      );
    }
    const out = copies.get(target.candidate)!;
    graph.appendOutput(out);
    isolated.push({ target, inputs, output: out.name });
  });
  return { model, isolated, skipped };
}
