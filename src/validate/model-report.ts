/** The static half of a ModelReport: size on disk, parameters by element type, op histogram, graph hash. */
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { summarizeModel } from '../analysis/inspect.js';
import type { Model } from '../ir/model.js';
import { resolveExternalPath } from '../io/external-data.js';
import { graphHash } from './graph-hash.js';
import { BLOCK_QUANTIZED_OPS } from './swap.js';
import type { ModelReport, ParameterBytes } from './types.js';

export function describeModel(model: Model, path: string, name = basename(path)): ModelReport {
  const summary = summarizeModel(model);
  const parameters: ParameterBytes[] = Object.entries(summary.parameters.byDtype)
    .map(([dtype, e]) => ({ dtype, count: e.count, bytes: e.bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.dtype.localeCompare(b.dtype));
  const externalDataBytes = externalDataSize(path, summary.externalDataFiles);
  return {
    name,
    path,
    fileBytes: statSync(path).size + externalDataBytes,
    externalDataBytes,
    parameters,
    ops: summary.opHistogram,
    graphHash: graphHash(model),
    ...withBlockQuantized(model),
  };
}

/** The nodes of every graph (subgraphs and functions too) that hold block-quantized weights. */
export function countBlockQuantizedNodes(model: Model): number {
  let count = 0;
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      if (node.domainName === 'com.microsoft' && BLOCK_QUANTIZED_OPS.includes(node.opType)) count++;
      else if (node.isOnnxOp('DequantizeLinear') && Number(node.attr('block_size')?.value ?? 0) > 0) count++;
    }
  }
  return count;
}

function withBlockQuantized(model: Model): { blockQuantizedNodes?: number } {
  const count = countBlockQuantizedNodes(model);
  return count > 0 ? { blockQuantizedNodes: count } : {};
}

/** Bytes of the distinct external data files the model names (each counted once). */
function externalDataSize(modelPath: string, locations: readonly string[]): number {
  const files = new Set(locations.map((location) => resolveExternalPath(modelPath, dirname(modelPath), location)));
  let bytes = 0;
  for (const file of files) bytes += statSync(file).size;
  return bytes;
}
