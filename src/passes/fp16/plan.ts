/**
 * Which nodes stay float32 and why: the default block list, the user's
 * --block-ops / --block-nodes, auto-block findings, unknown custom-domain
 * ops, and nodes that compute from constants float16 cannot hold
 * (constants.ts). Keeping a node float32 keeps everything nested in it
 * (subgraphs) and, for a call to a model-local function, the function body
 * and so every other call of it: one body cannot serve both precisions.
 */
import { AttrType } from '../../ir/attribute.js';
import { normalizeDomain } from '../../ir/domain.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { Model, OnnxFunction } from '../../ir/model.js';
import type { TypeInference } from '../elem-types.js';
import { blockRuleFor, blocksWholeNode, type BlockRule } from './blocklist.js';
import { findUnsafeConstants, type UnsafeConstantFindings } from './constants.js';
import { findIndexMath } from './index-math.js';
import type { NormalizedFp16Options } from './options.js';

export type KeepReason =
  | 'block-list'
  | 'block-ops'
  | 'block-nodes'
  | 'auto-block'
  | 'custom-domain'
  | 'unsafe-constant'
  | 'index-math'
  | 'inside-kept-node'
  | 'kept-function';

/** Domains whose operators the pass knows how to type and convert. */
const KNOWN_DOMAINS = new Set(['', 'ai.onnx.ml', 'com.microsoft']);

export interface BlockPlan {
  /** Nodes that run float32 whole. */
  readonly blocked: Map<Node, KeepReason>;
  /** The default-list rule behind a block (whole or partial), for messages. */
  readonly rules: Map<Node, BlockRule>;
  readonly float32Inputs: Map<Node, ReadonlySet<number>>;
  readonly float32Outputs: Map<Node, ReadonlySet<number>>;
  /** Graphs every node of which runs float32 (subgraphs of kept nodes, bodies of kept functions). */
  readonly float32Graphs: Set<Graph>;
  readonly float32Functions: Set<OnnxFunction>;
  /** What the constant check found (undefined with guardConstants off). */
  readonly constants: UnsafeConstantFindings | undefined;
}

function opsetMap(imports: Model['opsetImports']): Map<string, number> {
  const map = new Map<string, number>();
  for (const o of imports) if (o.version !== undefined) map.set(normalizeDomain(o.domain), Number(o.version));
  return map;
}

function stringAttribute(node: Node, name: string): string | undefined {
  const a = node.attr(name);
  return a && a.type === AttrType.STRING ? a.asString() : undefined;
}

function matchesOp(node: Node, patterns: ReadonlySet<string>): boolean {
  if (patterns.size === 0) return false;
  if (patterns.has(node.opType)) return true;
  return patterns.has(`${node.domainName}:${node.opType}`) || patterns.has(`${normalizeDomain(node.domainName)}:${node.opType}`);
}

export function planBlocks(model: Model, types: TypeInference, options: NormalizedFp16Options, autoBlocked: ReadonlySet<Node>): BlockPlan {
  const modelOpsets = opsetMap(model.opsetImports);

  // Every graph with the opsets its nodes see.
  const graphs: [Graph, Map<string, number>][] = [];
  for (const g of model.graph.allGraphs()) graphs.push([g, modelOpsets]);
  for (const fn of model.functions) {
    const own = opsetMap(fn.opsetImports);
    const seen = new Map([...modelOpsets, ...own]);
    for (const g of fn.body.allGraphs()) graphs.push([g, seen]);
  }

  const constants = options.guardConstants
    ? findUnsafeConstants(
        model,
        types,
        graphs.map(([g]) => g),
        options.flushSubnormals,
      )
    : undefined;
  const plan: BlockPlan = {
    blocked: new Map(),
    rules: new Map(),
    float32Inputs: new Map(),
    float32Outputs: new Map(),
    float32Graphs: new Set(),
    float32Functions: new Set(),
    constants,
  };

  const callsOf = new Map<OnnxFunction, Node[]>();
  for (const [g] of graphs) {
    for (const node of g.nodes) {
      const fn = types.functionOf(node);
      if (!fn) continue;
      let list = callsOf.get(fn);
      if (!list) callsOf.set(fn, (list = []));
      list.push(node);
    }
  }

  const markGraph = (graph: Graph): void => {
    for (const g of graph.allGraphs()) {
      if (plan.float32Graphs.has(g)) continue;
      plan.float32Graphs.add(g);
      for (const n of g.nodes) block(n, 'inside-kept-node');
    }
  };
  const block = (node: Node, reason: KeepReason): void => {
    if (plan.blocked.has(node)) return;
    plan.blocked.set(node, reason);
    plan.float32Inputs.delete(node);
    plan.float32Outputs.delete(node);
    for (const sub of node.subgraphs()) markGraph(sub);
    const fn = types.functionOf(node);
    if (fn && !plan.float32Functions.has(fn)) {
      plan.float32Functions.add(fn);
      markGraph(fn.body);
      for (const call of callsOf.get(fn) ?? []) block(call, 'kept-function');
    }
  };

  for (const [g, opsets] of graphs) {
    for (const node of g.nodes) {
      if (plan.blocked.has(node)) continue;
      if (node.name !== undefined && options.blockNodes.has(node.name)) block(node, 'block-nodes');
      else if (matchesOp(node, options.blockOps)) block(node, 'block-ops');
      else if (autoBlocked.has(node)) block(node, 'auto-block');
      else if (!types.functionOf(node) && !KNOWN_DOMAINS.has(normalizeDomain(node.domainName))) block(node, 'custom-domain');
      else if (constants?.nodes.has(node)) block(node, 'unsafe-constant');
      else if (options.defaultBlockList) {
        const rule = blockRuleFor(node.opType, node.domainName, {
          opset: opsets.get(normalizeDomain(node.domainName)),
          stringAttribute: (name) => stringAttribute(node, name),
        });
        if (!rule) continue;
        plan.rules.set(node, rule);
        if (blocksWholeNode(rule)) block(node, 'block-list');
        else {
          if (rule.float32Inputs?.length) plan.float32Inputs.set(node, new Set(rule.float32Inputs));
          if (rule.float32Outputs?.length) plan.float32Outputs.set(node, new Set(rule.float32Outputs));
        }
      }
    }
  }
  if (options.keepIndexMath) {
    const fp16Graphs = graphs.map(([g]) => g).filter((g) => !plan.float32Graphs.has(g));
    const touched = (n: Node): boolean => plan.blocked.has(n) || plan.float32Inputs.has(n) || plan.float32Outputs.has(n);
    for (const node of findIndexMath(model, types, fp16Graphs, touched)) block(node, 'index-math');
  }
  return plan;
}
