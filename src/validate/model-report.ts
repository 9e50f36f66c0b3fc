/** The static half of a ModelReport: size on disk, parameters by element type, op histogram. */
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { summarizeModel } from '../analysis/inspect.js';
import type { Model } from '../ir/model.js';
import { resolveExternalPath } from '../io/external-data.js';
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
  };
}

/** Bytes of the distinct external data files the model names (each counted once). */
function externalDataSize(modelPath: string, locations: readonly string[]): number {
  const files = new Set(locations.map((location) => resolveExternalPath(modelPath, dirname(modelPath), location)));
  let bytes = 0;
  for (const file of files) bytes += statSync(file).size;
  return bytes;
}
