/**
 * Provenance: a node a conversion creates in place of another (or to feed it) records the name of the node it
 * came from, in its `metadata_props` under `onnxpress.source`. `diagnose` uses it to line up tensors whose names
 * a conversion changed; ONNX Runtime ignores node metadata.
 */
import type { Node } from '../ir/graph.js';

export const SOURCE_KEY = 'onnxpress.source';

/** Records that `node` was made from the node named `source` (no-op for unnamed sources). */
export function recordSource(node: Node, source: string | undefined): void {
  if (!source) return;
  const props = (node.metadataProps ?? []).filter(([k]) => k !== SOURCE_KEY);
  props.push([SOURCE_KEY, source]);
  node.metadataProps = props;
}

export function sourceOf(node: Node): string | undefined {
  return node.metadataProps?.find(([k]) => k === SOURCE_KEY)?.[1];
}
