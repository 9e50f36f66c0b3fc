/**
 * The version converter: raises the default-domain opset of a model (main graph, subgraphs, model-local
 * functions) to a target opset, moving each node through every version its op got on the way with the adapter
 * for that version (adapters.ts), in opset order, as ONNX's version converter does. Every node is checked
 * before anything changes: a model with a node that cannot be upgraded is left as it was, and the error names
 * each such op and node. The IR version is raised to the one the target opset needs.
 */
import { modelError } from '../../errors.js';
import { isDefaultDomain, normalizeDomain } from '../../ir/domain.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { graphSorted } from '../conditions.js';
import { inferTypes } from '../elem-types.js';
import { NameAllocator } from '../names.js';
import { PassBase } from '../pass.js';
import { ADAPTERS, imageScaler } from './adapters.js';
import { UpgradeContext } from './context.js';
import { irVersionFor, MAX_TARGET_OPSET, OP_VERSIONS, REMOVED_EXPERIMENTAL_OPS } from './versions.js';

export interface UpgradeSummary {
  kind: 'upgrade';
  modified: boolean;
  /** The default-domain opset before and after (the model's own import). */
  from: number;
  to: number;
  irVersion: { from: number; to: number };
  /** Nodes rewritten, by op and the opset whose version needed it ('Clip@11'). */
  rewritten: Record<string, number>;
  notes: string[];
  [key: string]: unknown;
}

/** One opset scope: the main graph (with its subgraphs) or a function body, each with its own imported opset. */
interface Scope {
  graphs: () => Graph[];
  from: number;
  setVersion: (v: number) => void;
  where: string;
}

function scopesOf(model: Model, modelOpset: number): Scope[] {
  const scopes: Scope[] = [
    { graphs: () => [...model.graph.allGraphs()], from: modelOpset, setVersion: (v) => model.setOpsetVersion('', v), where: '' },
  ];
  for (const f of model.functions) {
    const own = f.opsetImports.find((o) => isDefaultDomain(o.domain));
    const hasOnnxNodes = [...f.body.allNodes()].some((n) => n.isOnnxOp());
    if (!own && !hasOnnxNodes) continue;
    scopes.push({
      graphs: () => [...f.body.allGraphs()],
      from: own?.version !== undefined ? Number(own.version) : modelOpset,
      setVersion: (v) => {
        if (own) own.version = v;
        else f.opsetImports.push({ domain: '', version: v });
      },
      where: ` in function '${f.name ?? ''}'`,
    });
  }
  return scopes;
}

const functionKey = (domain: string | undefined, name: string | undefined): string => `${normalizeDomain(domain)}\u0000${name ?? ''}`;

/** Why nodes of the model cannot be upgraded from each scope's opset to `to` (empty: the upgrade can run). */
function findBlockers(model: Model, scopes: readonly Scope[], to: number, ctx: UpgradeContext): string[] {
  const functions = new Set(model.functions.map((f) => functionKey(f.domain, f.name)));
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (node: Node, where: string, why: string): void => {
    const key = `${node.opType}: ${why}`;
    if (seen.has(key)) return; // one line per op and reason
    seen.add(key);
    problems.push(`${node.opType} (${node.name ? `node '${node.name}'` : `output '${node.outputs[0]?.name ?? ''}'`}${where}): ${why}`);
  };
  for (const scope of scopes) {
    if (scope.from >= to) continue;
    for (const graph of scope.graphs()) {
      for (const node of graph.nodes) {
        if (!node.isOnnxOp() || functions.has(functionKey(node.domain, node.opType))) continue;
        let op = node.opType;
        if (REMOVED_EXPERIMENTAL_OPS.has(op)) {
          const why = op === 'ImageScaler' ? imageScaler.check?.(node, ctx) : 'an experimental op that ONNX removed; no equivalent is written for it';
          if (why) add(node, scope.where, why);
          continue;
        }
        if (!OP_VERSIONS[op]) {
          add(node, scope.where, `not an operator of the ONNX default domain up to opset ${MAX_TARGET_OPSET}`);
          continue;
        }
        const refs = [...node.attributes.values()].some((a) => a.extra.refAttrName !== undefined);
        let at = Math.max(scope.from, OP_VERSIONS[op]![0]!);
        for (let v = scope.from + 1; v <= to; v++) {
          const versions = OP_VERSIONS[op];
          if (!versions?.includes(v) || v <= at) continue;
          const adapter = ADAPTERS[op]?.[v];
          if (!adapter) continue;
          if (refs) {
            add(node, scope.where, `its attributes refer to the function's attributes, which the opset ${v} rewrite needs as values`);
            break;
          }
          const why = adapter.check?.(node, ctx);
          if (why) {
            add(node, scope.where, `cannot move to opset ${v}: ${why}`);
            break;
          }
          if (adapter.becomes) op = adapter.becomes;
          at = v;
        }
      }
    }
  }
  return problems;
}

function applySteps(scope: Scope, to: number, ctx: UpgradeContext, functions: ReadonlySet<string>, rewritten: Map<string, number>): void {
  const count = (key: string): void => void rewritten.set(key, (rewritten.get(key) ?? 0) + 1);
  // Removed experimental ops first: their replacements are ops of the scope's own opset.
  ctx.step = scope.from;
  for (const graph of scope.graphs()) {
    for (const node of [...graph.nodes]) {
      if (node.isOnnxOp('ImageScaler') && graph.has(node)) {
        imageScaler.apply(node, ctx);
        count('ImageScaler');
      }
    }
  }
  for (let v = scope.from + 1; v <= to; v++) {
    ctx.step = v;
    for (const graph of scope.graphs()) {
      for (const node of [...graph.nodes]) {
        if (!graph.has(node) || !node.isOnnxOp() || functions.has(functionKey(node.domain, node.opType))) continue;
        const versions = OP_VERSIONS[node.opType];
        if (!versions?.includes(v)) continue;
        const at = Math.max(ctx.writtenAt.get(node) ?? scope.from, versions[0]!);
        if (v <= at) continue;
        const adapter = ADAPTERS[node.opType]?.[v];
        if (!adapter) continue;
        const op = node.opType;
        adapter.apply(node, ctx);
        count(`${op}@${v}`);
      }
    }
  }
  scope.setVersion(to);
}

/**
 * Upgrades `model` in place to default-domain opset `to`. Throws a model error naming every op that cannot be
 * upgraded (the model is then unchanged), or when the model's opset is already newer than `to`.
 */
export function upgradeOpset(model: Model, to: number): UpgradeSummary {
  if (!Number.isInteger(to) || to < 7 || to > MAX_TARGET_OPSET) {
    throw modelError(`cannot upgrade to opset ${to}: the target must be an opset from 7 to ${MAX_TARGET_OPSET}`, { file: model.sourcePath });
  }
  const from = model.opsetVersion('') ?? 1;
  const irFrom = Number(model.irVersion ?? 0);
  const irTo = Math.max(irFrom, irVersionFor(to));
  if (from > to) {
    throw modelError(`the model imports opset ${from}, newer than the target opset ${to}; onnxpress upgrades models, it does not downgrade them`, {
      file: model.sourcePath,
    });
  }
  const scopes = scopesOf(model, from);
  const ctx = new UpgradeContext(model, new NameAllocator(model), inferTypes(model), irTo);
  const blockers = findBlockers(model, scopes, to, ctx);
  if (blockers.length > 0) {
    throw modelError(`cannot upgrade from opset ${from} to ${to}: ${blockers.join('; ')}`, {
      file: model.sourcePath,
      hint: 'these ops must be rewritten by hand (or the model exported again at a newer opset)',
    });
  }
  const functions = new Set(model.functions.map((f) => functionKey(f.domain, f.name)));
  const rewritten = new Map<string, number>();
  let modified = false;
  for (const scope of scopes) {
    if (scope.from >= to) continue;
    applySteps(scope, to, ctx, functions, rewritten);
    modified = true;
  }
  let unlisted = 0;
  if (irTo !== irFrom) {
    model.irVersion = irTo;
    modified = true;
    // Below IR 4 every initializer had to be a graph input too; from 4 on such an input is one the caller may
    // feed, no constant: the weights stay constants by leaving the input list.
    if (irFrom < 4 && irTo >= 4) {
      for (const graph of model.allGraphs()) {
        const inputs = graph.inputs.filter((v) => !(v.initializer && graph.initializers.get(v.name) === v));
        unlisted += graph.inputs.length - inputs.length;
        graph.inputs = inputs;
      }
    }
  }
  const notes: string[] = [];
  if (from < to) {
    const steps = [...rewritten].map(([key, n]) => ({ op: key.split('@')[0]!, at: Number(key.split('@')[1] ?? from), n }));
    steps.sort((a, b) => a.at - b.at);
    const list = steps.map((s) => `${s.op} ${s.n}${s.op === 'ImageScaler' ? '' : ` (opset ${s.at})`}`).join(', ');
    notes.push(`upgraded from opset ${from} to ${to}: ${rewritten.size > 0 ? `rewrote ${list}` : 'no node needed a change'}`);
  } else if (scopes.some((s) => s.from < to)) {
    notes.push(`functions upgraded to opset ${to}`);
  } else {
    notes.push(`the model is already at opset ${to}`);
  }
  if (irTo !== irFrom) notes.push(`IR version ${irFrom} -> ${irTo}`);
  if (unlisted > 0) notes.push(`${unlisted} initializer(s) no longer listed as graph inputs (IR ${irTo} would let callers override them)`);
  notes.push(...ctx.notes);
  return { kind: 'upgrade', modified, from, to, irVersion: { from: irFrom, to: irTo }, rewritten: Object.fromEntries(rewritten), notes };
}

/** Which ops keep the model from being upgraded to `to` (empty: upgradeOpset would succeed). Changes nothing. */
export function upgradeBlockers(model: Model, to: number): string[] {
  const from = model.opsetVersion('') ?? 1;
  if (from >= to) return [];
  const ctx = new UpgradeContext(model, new NameAllocator(model), inferTypes(model), Math.max(Number(model.irVersion ?? 0), irVersionFor(to)));
  return findBlockers(model, scopesOf(model, from), to, ctx);
}

/** `upgradeOpset` as a pass: raises the default-domain opset to `to`. */
export class UpgradeOpsetPass extends PassBase<UpgradeSummary> {
  readonly name = 'upgrade';
  override readonly ensures = [graphSorted];

  constructor(private readonly to: number) {
    super();
  }

  protected call(model: Model) {
    const summary = upgradeOpset(model, this.to);
    return { modified: summary.modified, summary };
  }
}
