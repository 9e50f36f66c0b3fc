/**
 * Values, nodes and graphs. Use lists are owned by the mutation API: a Node
 * registers itself as a user of its inputs when created, and only
 * `Node.setInput` (and what is built on it) changes that, so a Value always
 * knows its producer and its consumers. Likewise a Graph's outputs change only
 * through its output setters, so a Value knows which graphs list it as an output.
 */
import { Attribute } from './attribute.js';
import { isDefaultDomain } from './domain.js';
import type { Tensor } from './tensor.js';
import type { Preserved, TypeInfo } from './types.js';

export interface Use {
  readonly node: Node;
  readonly index: number;
}

export class Value {
  name: string;
  type: TypeInfo | undefined;
  /** ValueInfo doc string, if the value had one. */
  docString: string | undefined;
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  /** Set for graph initializers: the constant the value holds. */
  initializer: Tensor | undefined;
  private producerNode: Node | null = null;
  private producerIndex = -1;
  /** Every use, in the order it was added (a use removed and added again goes last): the order `uses()` gives. */
  private readonly useOrder = new Set<Use>();
  /** The use of each consuming node, or its uses by input index when the node reads this value more than once. */
  private readonly useByNode = new Map<Node, Use | Map<number, Use>>();
  /** The graphs that list this value among their outputs, with how many times each does. Maintained by Graph. */
  private outputOf: Map<Graph, number> | undefined;

  constructor(name: string, type?: TypeInfo) {
    this.name = name;
    this.type = type;
  }

  producer(): Node | null {
    return this.producerNode;
  }

  outputIndex(): number {
    return this.producerIndex;
  }

  /** A snapshot: safe to mutate the graph while iterating it. */
  uses(): Use[] {
    return [...this.useOrder];
  }

  get useCount(): number {
    return this.useOrder.size;
  }

  /** Whether the value is an output of `graph` or, without it, of any graph. */
  isGraphOutput(graph?: Graph): boolean {
    if (!this.outputOf) return false;
    return graph ? this.outputOf.has(graph) : this.outputOf.size > 0;
  }

  /** The graphs that list this value among their outputs. */
  outputGraphs(): Graph[] {
    return this.outputOf ? [...this.outputOf.keys()] : [];
  }

  /** Internal to the IR: called by Node only. */
  _addUse(node: Node, index: number): void {
    const found = this.useByNode.get(node);
    if (found === undefined) {
      const use = { node, index };
      this.useByNode.set(node, use);
      this.useOrder.add(use);
    } else if (found instanceof Map) {
      if (found.has(index)) return;
      const use = { node, index };
      found.set(index, use);
      this.useOrder.add(use);
    } else if (found.index !== index) {
      const use = { node, index };
      this.useByNode.set(
        node,
        new Map([
          [found.index, found],
          [index, use],
        ]),
      );
      this.useOrder.add(use);
    }
  }

  /** Internal to the IR: called by Node only. */
  _removeUse(node: Node, index: number): void {
    const found = this.useByNode.get(node);
    if (found === undefined) return;
    if (found instanceof Map) {
      const use = found.get(index);
      if (!use) return;
      found.delete(index);
      this.useOrder.delete(use);
      if (found.size === 1) this.useByNode.set(node, found.values().next().value!);
    } else if (found.index === index) {
      this.useByNode.delete(node);
      this.useOrder.delete(found);
    }
  }

  /** Internal to the IR: called by Node only. */
  _setProducer(node: Node | null, index: number): void {
    this.producerNode = node;
    this.producerIndex = index;
  }

  /** Internal to the IR: called by Graph only, once per place in `graph.outputs`. */
  _addGraphOutput(graph: Graph): void {
    this.outputOf ??= new Map();
    this.outputOf.set(graph, (this.outputOf.get(graph) ?? 0) + 1);
  }

  /** Internal to the IR: called by Graph only, once per place in `graph.outputs`. */
  _removeGraphOutput(graph: Graph): void {
    const count = this.outputOf?.get(graph);
    if (count === undefined) return;
    if (count > 1) this.outputOf!.set(graph, count - 1);
    else this.outputOf!.delete(graph);
  }

  /**
   * Points every consumer of this value at `other`, and every graph output that is this value (in whichever
   * graph lists it) unless `graphOutputs` is false.
   */
  replaceAllUsesWith(other: Value, options: { graphOutputs?: boolean } = {}): void {
    if (other === this) return;
    for (const use of this.uses()) use.node.setInput(use.index, other);
    if (options.graphOutputs !== false) for (const graph of this.outputGraphs()) graph._replaceOutputValue(this, other);
  }
}

export interface NodeInit {
  opType: string;
  domain?: string;
  name?: string;
  overload?: string;
  inputs?: readonly (Value | null)[];
  /** Output values, or their names (new Values are made). */
  outputs?: readonly (Value | string | null)[];
  attributes?: readonly Attribute[];
  docString?: string;
}

export class Node {
  opType: string;
  /** As written in the model; undefined and '' both mean the default ONNX domain. */
  domain: string | undefined;
  name: string | undefined;
  overload: string | undefined;
  docString: string | undefined;
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  readonly attributes = new Map<string, Attribute>();
  /** The graph the node is in; set by Graph when the node is added. */
  graph: Graph | undefined;
  private inputList: (Value | null)[] = [];
  private outputList: (Value | null)[] = [];

  constructor(init: NodeInit) {
    this.opType = init.opType;
    this.domain = init.domain;
    this.name = init.name;
    this.overload = init.overload;
    this.docString = init.docString;
    for (const a of init.attributes ?? []) this.attributes.set(a.name, a);
    for (const v of init.inputs ?? []) this.appendInput(v);
    for (const o of init.outputs ?? []) {
      const value = typeof o === 'string' ? new Value(o) : o;
      this.appendOutput(value);
    }
  }

  get domainName(): string {
    return this.domain ?? '';
  }

  /** Whether the node is an operator of the default ONNX domain ('' or 'ai.onnx'), and of type `opType` if given. */
  isOnnxOp(opType?: string): boolean {
    return isDefaultDomain(this.domain) && (opType === undefined || this.opType === opType);
  }

  get inputs(): readonly (Value | null)[] {
    return this.inputList;
  }

  get outputs(): readonly (Value | null)[] {
    return this.outputList;
  }

  input(i: number): Value | null {
    return this.inputList[i] ?? null;
  }

  output(i: number): Value {
    const v = this.outputList[i];
    if (!v) throw new Error(`${this.describe()}: no output ${i}`);
    return v;
  }

  describe(): string {
    return `${this.opType} node${this.name ? ` '${this.name}'` : ''}`;
  }

  setInput(index: number, value: Value | null): void {
    const old = this.inputList[index];
    if (old === value) return;
    if (old) old._removeUse(this, index);
    while (this.inputList.length <= index) this.inputList.push(null);
    this.inputList[index] = value;
    if (value) value._addUse(this, index);
  }

  appendInput(value: Value | null): void {
    this.setInput(this.inputList.length, value);
  }

  /** Replaces the whole input list (uses updated). */
  setInputs(values: readonly (Value | null)[]): void {
    this.clearInputs();
    for (const v of values) this.appendInput(v);
  }

  /** Drops trailing inputs beyond `count`. */
  truncateInputs(count: number): void {
    for (let i = this.inputList.length - 1; i >= count; i--) {
      this.inputList[i]?._removeUse(this, i);
      this.inputList.pop();
    }
  }

  clearInputs(): void {
    this.truncateInputs(0);
  }

  appendOutput(value: Value | null): void {
    if (value) {
      if (value.producer()) throw new Error(`value '${value.name}' already has a producer`);
      value._setProducer(this, this.outputList.length);
    }
    this.outputList.push(value);
  }

  /** Replaces output i with a value that has no producer yet. */
  setOutput(index: number, value: Value | null): void {
    const old = this.outputList[index];
    if (old) old._setProducer(null, -1);
    if (value) {
      if (value.producer()) throw new Error(`value '${value.name}' already has a producer`);
      value._setProducer(this, index);
    }
    this.outputList[index] = value;
  }

  attr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setAttr(attr: Attribute): void {
    this.attributes.set(attr.name, attr);
  }

  subgraphs(): Graph[] {
    const out: Graph[] = [];
    for (const a of this.attributes.values()) out.push(...a.graphs());
    return out;
  }
}

export interface GraphInit {
  name?: string;
  inputs?: Value[];
  outputs?: readonly Value[];
  nodes?: Node[];
  initializers?: Value[];
}

export class Graph {
  name: string | undefined;
  docString: string | undefined;
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  inputs: Value[];
  /** The outputs; each Value knows it is one (`isGraphOutput`), so they change only through the methods below. */
  private outputList: Value[] = [];
  /** What `outputs` returns: a frozen copy of `outputList`, made again after a change. */
  private outputView: readonly Value[] | undefined;
  /** Initializers by name, in file order. */
  readonly initializers = new Map<string, Value>();
  /** Values that carry a value_info entry, in file order. */
  valueInfo: Value[] = [];
  /** The node whose attribute holds this graph, for subgraphs. */
  parentNode: Node | undefined;
  /**
   * Node order: `order` as last laid out, plus insertions not laid out yet (`pending`, by the node they go
   * next to), so that each insertion costs O(1) and a pass that inserts many nodes pays for one layout, at
   * the next iteration. `order` may still hold removed nodes; iteration skips what is not in `members`.
   */
  private order: Node[] = [];
  private readonly members = new Set<Node>();
  private pending: Map<Node, { before: Node[]; after: Node[] }> | undefined;
  /** Removed nodes that `order` or `pending` may still hold (a node added again must not appear twice). */
  private readonly removedSinceLayout = new Set<Node>();

  constructor(init: GraphInit = {}) {
    this.name = init.name;
    this.inputs = init.inputs ?? [];
    this.setOutputs(init.outputs ?? []);
    for (const v of init.initializers ?? []) this.addInitializer(v);
    for (const n of init.nodes ?? []) this.append(n);
  }

  /** The graph outputs, in order: a read-only snapshot (change them with the setter or the methods below). */
  get outputs(): readonly Value[] {
    return (this.outputView ??= Object.freeze(this.outputList.slice()));
  }

  /** Replaces the outputs, as `setOutputs` does. */
  set outputs(values: readonly Value[]) {
    this.setOutputs(values);
  }

  /** Replaces the output list. */
  setOutputs(values: readonly Value[]): void {
    const next = [...values];
    for (const v of this.outputList) v._removeGraphOutput(this);
    for (const v of next) v._addGraphOutput(this);
    this.outputList = next;
    this.outputView = undefined;
  }

  /** Adds an output at the end. */
  appendOutput(value: Value): void {
    value._addGraphOutput(this);
    this.outputList.push(value);
    this.outputView = undefined;
  }

  /** Makes output `index` (which must exist) `value`. */
  replaceOutput(index: number, value: Value): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.outputList.length) {
      throw new Error(`graph has no output ${index} (it has ${this.outputList.length})`);
    }
    const old = this.outputList[index]!;
    if (old === value) return;
    old._removeGraphOutput(this);
    value._addGraphOutput(this);
    this.outputList[index] = value;
    this.outputView = undefined;
  }

  /** Internal to the IR: called by `Value.replaceAllUsesWith`. Makes every output that is `from` `to`. */
  _replaceOutputValue(from: Value, to: Value): void {
    for (let i = 0; i < this.outputList.length; i++) if (this.outputList[i] === from) this.replaceOutput(i, to);
  }

  /** The nodes in order. Safe while nodes are removed or appended (appended ones are visited too). */
  get nodes(): IterableIterator<Node> {
    return this.iterate();
  }

  [Symbol.iterator](): IterableIterator<Node> {
    return this.iterate();
  }

  get nodeCount(): number {
    return this.members.size;
  }

  has(node: Node): boolean {
    return this.members.has(node);
  }

  /** Adds nodes at the end; a node already in the graph stays where it is. */
  append(...nodes: Node[]): void {
    for (const node of nodes) {
      if (this.members.has(node)) continue;
      this.adopt(node);
      this.order.push(node);
    }
  }

  /** Inserts nodes just before `ref`, in the order given (O(1) each). */
  insertBefore(ref: Node, ...nodes: Node[]): void {
    this.insertAt(ref, nodes, false);
  }

  /** Inserts nodes just after `ref`, in the order given (O(1) each). */
  insertAfter(ref: Node, ...nodes: Node[]): void {
    this.insertAt(ref, nodes, true);
  }

  private insertAt(ref: Node, nodes: Node[], after: boolean): void {
    if (!this.members.has(ref)) throw new Error(`${ref.describe()} is not in this graph`);
    for (const n of nodes) this.adopt(n);
    this.pending ??= new Map();
    let around = this.pending.get(ref);
    if (!around) this.pending.set(ref, (around = { before: [], after: [] }));
    // Later insertions go nearest to ref: after the earlier ones when before it, ahead of them when after it.
    if (after) around.after.unshift(...nodes);
    else around.before.push(...nodes);
  }

  private adopt(node: Node): void {
    if (node.graph && node.graph !== this) throw new Error(`${node.describe()} belongs to another graph`);
    if (this.members.has(node)) throw new Error(`${node.describe()} is already in this graph`);
    if (this.removedSinceLayout.has(node)) this.layOut();
    node.graph = this;
    this.members.add(node);
  }

  /** Replaces the node order; the set of nodes must stay the same. */
  reorder(order: Node[]): void {
    if (order.length !== new Set(order).size) throw new Error('reorder: a node is listed twice');
    if (order.length !== this.members.size || order.some((n) => !this.members.has(n))) {
      throw new Error('reorder: the order must list exactly the nodes of the graph');
    }
    this.order = [...order];
    this.pending = undefined;
    this.removedSinceLayout.clear();
  }

  private *iterate(): Generator<Node> {
    const order = this.laidOut();
    for (let i = 0; i < order.length; i++) {
      const node = order[i]!;
      if (this.members.has(node)) yield node;
    }
  }

  private laidOut(): Node[] {
    if (this.pending) this.layOut();
    return this.order;
  }

  /** Places pending insertions and drops removed nodes: one pass over the order. */
  private layOut(): void {
    const pending = this.pending;
    this.pending = undefined;
    const out: Node[] = [];
    // Depth-first with an explicit stack: nodes inserted next to inserted nodes can nest deeply.
    const stack: { node: Node; expanded: boolean }[] = [];
    for (let i = this.order.length - 1; i >= 0; i--) stack.push({ node: this.order[i]!, expanded: false });
    while (stack.length > 0) {
      const { node, expanded } = stack.pop()!;
      const around = expanded ? undefined : pending?.get(node);
      if (!around) {
        if (this.members.has(node)) out.push(node);
        continue;
      }
      for (let i = around.after.length - 1; i >= 0; i--) stack.push({ node: around.after[i]!, expanded: false });
      stack.push({ node, expanded: true });
      for (let i = around.before.length - 1; i >= 0; i--) stack.push({ node: around.before[i]!, expanded: false });
    }
    this.order = out;
    this.removedSinceLayout.clear();
  }

  /**
   * Removes nodes and unregisters their input uses. With `safe` (the default)
   * it refuses, changing nothing, when an output of a removed node is still used
   * by a node that stays, or is a graph output.
   */
  remove(nodes: Node | readonly Node[], options: { safe?: boolean } = {}): void {
    const list = Array.isArray(nodes) ? (nodes as Node[]) : [nodes as Node];
    const removing = new Set(list);
    if (options.safe !== false) {
      for (const node of list) {
        if (!this.members.has(node)) throw new Error(`${node.describe()} is not in this graph`);
        for (const out of node.outputs) {
          if (!out) continue;
          if (out.isGraphOutput(this)) throw new Error(`cannot remove ${node.describe()}: '${out.name}' is a graph output`);
          for (const use of out.uses()) {
            if (!removing.has(use.node) && !isInside(use.node, removing)) {
              throw new Error(`cannot remove ${node.describe()}: '${out.name}' is used by ${use.node.describe()}`);
            }
          }
        }
      }
    }
    for (const node of list) {
      node.clearInputs();
      detachSubgraphUses(node);
      this.members.delete(node);
      this.removedSinceLayout.add(node);
      node.graph = undefined;
    }
  }

  addInitializer(value: Value): Value {
    if (!value.initializer) throw new Error(`initializer '${value.name}' has no tensor`);
    this.initializers.set(value.name, value);
    return value;
  }

  /**
   * Removes an initializer that nothing uses any more; returns whether it did.
   * An initializer that is also a graph input (the IR < 4 convention) stays
   * unless `evenIfGraphInput`, which removes the input entry too.
   */
  removeInitializerIfUnused(name: string, options: { evenIfGraphInput?: boolean } = {}): boolean {
    const value = this.initializers.get(name);
    if (!value || value.useCount > 0 || value.isGraphOutput(this)) return false;
    const inputAt = this.inputs.indexOf(value);
    if (inputAt >= 0) {
      if (!options.evenIfGraphInput) return false;
      this.inputs.splice(inputAt, 1);
    }
    this.initializers.delete(name);
    return true;
  }

  /** This graph's nodes, then those of every subgraph nested in them, depth first. */
  *allNodes(): Generator<Node> {
    for (const node of this.nodes) {
      yield node;
      for (const g of node.subgraphs()) yield* g.allNodes();
    }
  }

  /** This graph and every graph nested in it. */
  *allGraphs(): Generator<Graph> {
    yield this;
    for (const node of this.nodes) for (const g of node.subgraphs()) yield* g.allGraphs();
  }
}

function isInside(node: Node, ancestors: Set<Node>): boolean {
  let graph = node.graph;
  while (graph?.parentNode) {
    if (ancestors.has(graph.parentNode)) return true;
    graph = graph.parentNode.graph;
  }
  return false;
}

/** Uses of outer values by a removed node's subgraphs go with it. */
function detachSubgraphUses(node: Node): void {
  for (const g of node.subgraphs()) for (const inner of g.allNodes()) inner.clearInputs();
}

export { Attribute };
