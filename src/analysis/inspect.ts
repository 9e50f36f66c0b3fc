/** A summary of a model: what `onnxpress inspect` prints. */
import { constantTensors } from '../ir/constants.js';
import { dataTypeName } from '../ir/dtypes.js';
import type { Model } from '../ir/model.js';
import { dimsOf, formatType } from '../ir/types.js';

export interface IoSummary {
  name: string;
  type: string;
  elemType: string | undefined;
  /** Numbers for fixed dims, names for symbolic ones, null when unknown; absent when the rank is unknown. */
  dims: (number | string | null)[] | undefined;
}

export interface TensorSummary {
  name: string;
  dtype: string;
  dims: number[];
  bytes: number;
  external: string | undefined;
}

export interface ModelSummary {
  irVersion: number | undefined;
  opsets: { domain: string; version: number | undefined }[];
  producer: { name: string | undefined; version: string | undefined };
  graphName: string | undefined;
  inputs: IoSummary[];
  outputs: IoSummary[];
  nodeCount: number;
  /** Op counts over the main graph, its subgraphs and model-local functions; keys are `op` or `domain::op`. */
  opHistogram: Record<string, number>;
  parameters: { count: number; bytes: number; byDtype: Record<string, { count: number; bytes: number }> };
  externalDataFiles: string[];
  largestTensors: TensorSummary[];
  functions: string[];
  subgraphCount: number;
}

export { constantTensors };

export function summarizeModel(model: Model): ModelSummary {
  const io = (v: { name: string; type: Parameters<typeof formatType>[0] }): IoSummary => {
    const t = v.type;
    const elem = t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') && t.elemType !== undefined ? dataTypeName(t.elemType) : undefined;
    return { name: v.name, type: formatType(t), elemType: elem, dims: dimsOf(t) };
  };
  const initializerNames = new Set(model.graph.initializers.keys());

  const histogram = new Map<string, number>();
  let nodeCount = 0;
  let subgraphCount = -1;
  for (const graph of model.allGraphs()) {
    subgraphCount++;
    for (const node of graph.nodes) {
      nodeCount++;
      const key = node.isOnnxOp() ? node.opType : `${node.domainName}::${node.opType}`;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
    }
  }
  subgraphCount -= model.functions.length;

  const byDtype: Record<string, { count: number; bytes: number }> = {};
  let count = 0;
  let bytes = 0;
  const tensors: TensorSummary[] = [];
  const external = new Set<string>();
  for (const { name, tensor } of constantTensors(model)) {
    const dtype = dataTypeName(tensor.dataType);
    const n = tensor.storage.kind === 'string_data' ? tensor.storage.values.length : tensor.elementCount;
    const b = tensor.byteSize;
    const entry = (byDtype[dtype] ??= { count: 0, bytes: 0 });
    entry.count += n;
    entry.bytes += b;
    count += n;
    bytes += b;
    const ext = tensor.storage.kind === 'external' ? tensor.storage.ref.location : undefined;
    if (ext) external.add(ext);
    tensors.push({ name, dtype, dims: tensor.dims.map(Number), bytes: b, external: ext });
  }
  tensors.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));

  return {
    irVersion: model.irVersion === undefined ? undefined : Number(model.irVersion),
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version === undefined ? undefined : Number(o.version) })),
    producer: { name: model.producerName, version: model.producerVersion },
    graphName: model.graph.name,
    inputs: model.graph.inputs.filter((v) => !initializerNames.has(v.name)).map(io),
    outputs: model.graph.outputs.map(io),
    nodeCount,
    opHistogram: Object.fromEntries([...histogram].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    parameters: { count, bytes, byDtype },
    externalDataFiles: [...external],
    largestTensors: tensors.slice(0, 10),
    functions: model.functions.map((f) => `${f.domain ?? ''}::${f.name ?? ''}`),
    subgraphCount,
  };
}
