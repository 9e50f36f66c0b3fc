/** Graph surgery shared by the rewrites: swapping a node for its quantized form, and cleaning up after. */
import type { Graph, Node } from '../../ir/graph.js';
import type { QuantizeContext } from './context.js';

/**
 * Puts `nodes` in `old`'s place: each output of `old` moves to the node and
 * output index `outputs` names for it (same position), so its consumers and
 * graph-output status stay; then `old` is removed.
 */
export function replaceNode(graph: Graph, old: Node, nodes: Node[], outputs: readonly ([Node, number] | undefined)[]): void {
  old.outputs.forEach((value, i) => {
    const target = outputs[i];
    if (!value) return;
    if (!target) {
      if (value.useCount > 0 || value.isGraphOutput(graph)) throw new Error(`${old.describe()}: output '${value.name}' has no replacement`);
      return;
    }
    old.setOutput(i, null);
    target[0].setOutput(target[1], value);
  });
  graph.insertBefore(old, ...nodes);
  graph.remove(old);
}

/** Puts `replacement` in `old`'s place, output i for output i. */
export function replaceOneToOne(graph: Graph, old: Node, replacement: Node): void {
  replaceNode(
    graph,
    old,
    [replacement],
    old.outputs.map((_, i) => [replacement, i]),
  );
}

/** Removes released constants and Identity nodes that nothing reads any more. */
export function removeReleased(ctx: QuantizeContext): void {
  const irVersion = Number(ctx.model.irVersion ?? 0);
  const pending = [...ctx.released];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (value.useCount > 0) continue;
    const producer = value.producer();
    if (value.initializer) {
      ctx.ownerOf(value)?.removeInitializerIfUnused(value.name, { evenIfGraphInput: irVersion < 4 });
    } else if (producer && producer.graph && producer.isOnnxOp() && (producer.opType === 'Constant' || producer.opType === 'Identity')) {
      const graph = producer.graph;
      if (value.isGraphOutput(graph)) continue;
      const input = producer.opType === 'Identity' ? producer.input(0) : null;
      graph.remove(producer);
      if (input) pending.push(input);
    }
  }
}
