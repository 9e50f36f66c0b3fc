/**
 * The target lint: which operators of a model the runtime it is meant for cannot run (an error: the session would
 * not be created), or runs somewhere slower (a warning: no WebGPU kernel, so the CPU runs that node). Read from the
 * IR only: conversions call it on their output before writing it.
 */
import { normalizeDomain } from '../../ir/domain.js';
import type { Model } from '../../ir/model.js';
import { CPU_MISSING, KNOWN_DOMAINS, OP_SUPPORT_SOURCE, WEBGPU_KERNELS } from './onnxruntime-web.js';

/** Where a model is meant to run: onnxruntime-node (CPU), onnxruntime-web's WebAssembly or its WebGPU provider. */
export const TARGETS = ['node', 'web', 'webgpu'] as const;
export type Target = (typeof TARGETS)[number];

const TARGET_NAMES: Record<Target, string> = {
  node: "onnxruntime-node's CPU provider",
  web: `onnxruntime-web ${OP_SUPPORT_SOURCE.version} (WebAssembly)`,
  webgpu: `onnxruntime-web ${OP_SUPPORT_SOURCE.version} (WebGPU)`,
};

export interface LintFinding {
  severity: 'error' | 'warning';
  /** `OpType`, or `domain::OpType` outside ai.onnx. */
  op: string;
  /** Nodes of that op (every graph and function). */
  nodes: number;
  message: string;
}

/** Every op of the model without a kernel in the target's provider, once each, errors first. */
export function lintForTarget(model: Model, target: Target): LintFinding[] {
  const functions = new Set(model.functions.map((f) => `${normalizeDomain(f.domain)}::${f.name ?? ''}`));
  const counts = new Map<string, { domain: string; opType: string; nodes: number }>();
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      const domain = normalizeDomain(node.domain);
      // A model-local function is expanded into its body, whose nodes are counted in their own graph.
      if (functions.has(`${domain}::${node.opType}`)) continue;
      // onnxruntime turns Constant nodes into initializers when it loads the model: no kernel runs.
      if (domain === '' && node.opType === 'Constant') continue;
      const key = `${domain}::${node.opType}`;
      const entry = counts.get(key) ?? { domain, opType: node.opType, nodes: 0 };
      entry.nodes++;
      counts.set(key, entry);
    }
  }
  const findings: LintFinding[] = [];
  for (const { domain, opType, nodes } of counts.values()) {
    const op = domain === '' ? opType : `${domain}::${opType}`;
    const where = TARGET_NAMES[target];
    const times = `${nodes} node${nodes === 1 ? '' : 's'}`;
    if (!KNOWN_DOMAINS.includes(domain)) {
      findings.push({ severity: 'error', op, nodes, message: `${op} (${times}): custom-op domain '${domain}' has no kernels in ${where}` });
    } else if (CPU_MISSING[domain]?.includes(opType)) {
      findings.push({ severity: 'error', op, nodes, message: `${op} (${times}): no kernel in ${where}` });
    } else if (target === 'webgpu' && !WEBGPU_KERNELS[domain]?.includes(opType)) {
      findings.push({
        severity: 'warning',
        op,
        nodes,
        message: `${op} (${times}): no WebGPU kernel in ${where}; it runs on the CPU (WebAssembly), with copies between GPU and CPU memory`,
      });
    }
  }
  return findings.sort((a, b) => (a.severity === b.severity ? a.op.localeCompare(b.op) : a.severity === 'error' ? -1 : 1));
}
