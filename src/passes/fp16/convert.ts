/**
 * The FP16 pass: float32 becomes float16 everywhere it safely can.
 *
 * 1. Analysis (no change to the model): element types of every value, the
 *    nodes that stay float32 (plan.ts), then one walk in topological order
 *    that computes the type each value will have ("home") and, for every
 *    reader, the type it needs ("want"): float32 for kept nodes and
 *    float32-only inputs, float16 for the rest, anything for Cast/Shape/Size.
 *    Constant data and attribute-typed outputs (Cast to=FLOAT, dtype, ...)
 *    are sources: they become float16 unless every reader wants float32.
 *    Anything that cannot be done right (an unknown type meeting a float16
 *    reader) stops the pass here, with the model untouched.
 * 2. Rewrite: sources, declared types, one conversion per (value, type) where
 *    home and want differ: a float32 copy of constant data, a Cast from a
 *    Cast's own input, or a Cast placed after the producer. Graph outputs
 *    keep their names (the producer gets a new output, a Cast makes the old one).
 * 3. Redundant Casts go, new nodes are placed and the graphs sorted.
 *
 * Running the pass on its own output changes nothing: kept nodes read
 * Cast(to=FLOAT) nodes all of whose readers want float32, which stay as they are.
 */
import { Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtypes.js';
import { Graph, Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import type { TypeInfo } from '../../ir/types.js';
import { passError } from '../../errors.js';
import { removeRedundantCasts } from '../cleanup/casts.js';
import { graphSorted } from '../conditions.js';
import { PassBase } from '../pass.js';
import {
  containsElemType,
  inferTypes,
  isKnownType,
  mapElemType,
  orderedNodes,
  outputTypes,
  sameType,
  tensorElem,
  type ElemType,
  type RuleContext,
  type TypeInference,
} from '../elem-types.js';
import { findOverflowingNodes } from './autoblock.js';
import { NameAllocator } from '../names.js';
import { NodePlacer, precisionSuffix } from './casts.js';
import { normalizeFp16Options, type Fp16Options, type NormalizedFp16Options } from './options.js';
import { Float32Reader } from '../float32-reader.js';
import { isScaleInput } from './blocklist.js';
import { planBlocks, type BlockPlan, type KeepReason } from './plan.js';
import {
  attributeSource,
  constantFloat32Data,
  convertAttributeSource,
  convertScaleTensorToFloat16,
  convertTensorToFloat16,
  float16TensorFrom,
  float32Data,
  type AttributeSource,
  type ConversionCounts,
} from './sources.js';
import { emptySummary, type Fp16Summary, type KeptNode } from './summary.js';

export interface Fp16Result {
  /** The same model object, converted in place. */
  model: Model;
  modified: boolean;
  summary: Fp16Summary;
}

/** Constant data up to this many elements is copied for float32 readers; larger data is cast at run time. */
const COPY_LIMIT = 65536;

const FLOAT = DataType.FLOAT;
const FLOAT16 = DataType.FLOAT16;
const toFloat16Type = (t: ElemType): ElemType => mapElemType(t, FLOAT, FLOAT16);

type Want = TypeInfo | 'any' | undefined;

interface UseRequest {
  value: Value;
  node: Node;
  index: number;
  to: TypeInfo;
}

interface OutputRequest {
  graph: Graph;
  index: number;
  to: TypeInfo;
}

interface SourceDecision {
  value: Value;
  /** Undefined for initializers. */
  node?: Node;
  source?: AttributeSource;
  float16: boolean;
}

interface Float32Copy {
  data: Float32Array;
  dims: Tensor['dims'];
}

const isOnnx = (node: Node): boolean => node.isOnnxOp();

/** Inputs whose element type does not matter to the node. */
function readsAnyType(node: Node, index: number): boolean {
  if (!isOnnx(node)) return false;
  switch (node.opType) {
    case 'Cast':
    case 'CastLike':
      return index === 0;
    case 'Shape':
    case 'Size':
      return true;
    default:
      return false;
  }
}

/** `toFloat16` as a pass: the options are fixed when it is made. */
export class Fp16Pass extends PassBase<Fp16Summary> {
  readonly name = 'fp16';
  override readonly ensures = [graphSorted];

  constructor(private readonly options: Fp16Options = {}) {
    super();
  }

  protected call(model: Model) {
    const { modified, summary } = toFloat16(model, this.options);
    return { modified, summary };
  }
}

export function toFloat16(model: Model, options: Fp16Options = {}): Fp16Result {
  const opts = normalizeFp16Options(options);
  const summary = emptySummary();
  const types = inferTypes(model);
  if (!hasFloat32(types)) {
    summary.notes.push(
      hasElemType(types, FLOAT16)
        ? 'the model has no float32 tensors: it is already float16; nothing changed'
        : 'the model has no float32 tensors; nothing changed',
    );
    return { model, modified: false, summary };
  }
  let autoBlocked = new Set<Node>();
  let autoDetails = new Map<Node, string>();
  if (opts.autoBlock) {
    const found = findOverflowingNodes(model, types, opts.autoBlock);
    autoBlocked = found.nodes;
    autoDetails = found.details;
    summary.autoBlock = { measured: found.measured, overflowing: found.overflowing, threshold: found.threshold };
  }
  const plan = planBlocks(model, types, opts, autoBlocked);
  const converter = new Fp16Converter(model, types, plan, opts, summary, autoDetails);
  converter.analyze();
  converter.apply();
  return { model, modified: summary.modified, summary };
}

function hasElemType(types: TypeInference, elemType: DataType): boolean {
  for (const t of types.types.values()) if (containsElemType(t, elemType)) return true;
  return false;
}

/** The first `max` items, then how many more there are. */
function listed(items: readonly string[], max: number, separator = ', '): string {
  const more = items.length > max ? `${separator}and ${items.length - max} more (--json lists them all)` : '';
  return items.slice(0, max).join(separator) + more;
}

function hasFloat32(types: TypeInference): boolean {
  return hasElemType(types, FLOAT);
}

class Fp16Converter {
  private readonly main: Graph;
  private readonly mainInputs: Set<Value>;
  private readonly homes = new Map<Value, TypeInfo>();
  /** The graph that owns each graph input and initializer. */
  private readonly owner = new Map<Value, Graph>();
  /** Where each value is a graph output. */
  private readonly outputsOf = new Map<Value, { graph: Graph; index: number }[]>();
  private readonly flowed = new Map<Graph, ElemType[]>();
  private readonly useRequests: UseRequest[] = [];
  private readonly outputRequests: OutputRequest[] = [];
  private readonly sources: SourceDecision[] = [];
  private readonly problems: string[] = [];
  private readonly float32Copies = new Map<Value, Float32Copy>();
  private readonly conversions = new Map<Value, Map<DataType, Value>>();
  private readonly names: NameAllocator;
  private readonly placer: NodePlacer;
  private readonly reader = new Float32Reader();
  private readonly ctx: RuleContext;
  private changed = false;

  constructor(
    private readonly model: Model,
    private readonly types: TypeInference,
    private readonly plan: BlockPlan,
    private readonly opts: NormalizedFp16Options,
    private readonly summary: Fp16Summary,
    private readonly autoDetails: Map<Node, string>,
  ) {
    this.main = model.graph;
    this.mainInputs = new Set(model.graph.inputs);
    for (const g of model.allGraphs()) {
      for (const v of g.inputs) this.owner.set(v, g);
      for (const v of g.initializers.values()) this.owner.set(v, g);
      g.outputs.forEach((v, index) => {
        let list = this.outputsOf.get(v);
        if (!list) this.outputsOf.set(v, (list = []));
        list.push({ graph: g, index });
      });
    }
    this.names = new NameAllocator(model);
    this.placer = new NodePlacer(this.names);
    this.ctx = {
      subgraphOutputs: (sub) => this.flowGraph(sub),
      functionOutputs: (node) => {
        const fn = this.types.functionOf(node);
        return fn ? this.flowGraph(fn.body) : undefined;
      },
      opset: (domain) => this.model.opsetVersion(domain),
    };
  }

  private orig(v: Value | null | undefined): ElemType {
    return this.types.typeOf(v);
  }

  // -------------------------------------------------------------------------
  // Analysis

  analyze(): void {
    this.flowGraph(this.main);
    if (this.problems.length > 0) {
      const more = this.problems.length > 3 ? ` (and ${this.problems.length - 3} more)` : '';
      throw passError(`fp16: cannot convert this model safely, nothing was changed: ${this.problems.slice(0, 3).join('; ')}${more}`);
    }
  }

  private wantOfUse(node: Node, index: number, v: Value): Want {
    const orig = this.orig(v);
    if (!orig) return undefined;
    if (this.plan.blocked.has(node) || this.plan.float32Inputs.get(node)?.has(index)) return orig;
    if (readsAnyType(node, index)) return 'any';
    return toFloat16Type(orig);
  }

  private outputWant(graph: Graph, v: Value): Want {
    const orig = this.orig(v);
    if (!orig) return undefined;
    if (graph === this.main) {
      // A graph input or initializer that is also an output has one type: its own.
      if (this.owner.get(v) === this.main) return this.homes.get(v);
      return this.opts.keepIo(v.name) ? orig : toFloat16Type(orig);
    }
    return this.plan.float32Graphs.has(graph) ? orig : toFloat16Type(orig);
  }

  /** Whether a source becomes float16: constant data unless every reader wants float32, computed values only if some reader wants float16. */
  private sourceIsFloat16(v: Value, data: boolean): boolean {
    if (v.initializer && this.owner.get(v) === this.main) {
      const mainIo = this.mainInputs.has(v) || (this.outputsOf.get(v)?.some((o) => o.graph === this.main) ?? false);
      if (mainIo) return !this.opts.keepIo(v.name);
    }
    const wants: Want[] = v.uses().map((u) => this.wantOfUse(u.node, u.index, v));
    for (const o of this.outputsOf.get(v) ?? []) wants.push(this.outputWant(o.graph, v));
    const isFloat32 = (w: Want): boolean => typeof w === 'object' && containsElemType(w, FLOAT);
    const isFloat16 = (w: Want): boolean => typeof w === 'object' && !containsElemType(w, FLOAT) && containsElemType(w, FLOAT16);
    const anyFloat16 = wants.some(isFloat16);
    return data ? anyFloat16 || !wants.some(isFloat32) : anyFloat16;
  }

  private setHome(v: Value, t: ElemType): void {
    if (t) this.homes.set(v, t);
  }

  private flowGraph(g: Graph): ElemType[] {
    const done = this.flowed.get(g);
    if (done) return done;
    this.flowed.set(g, []);
    const float32Graph = this.plan.float32Graphs.has(g);

    for (const v of g.inputs) {
      if (v.initializer) continue;
      const orig = this.orig(v);
      const keep = g === this.main ? this.opts.keepIo(v.name) : float32Graph;
      this.setHome(v, keep ? orig : toFloat16Type(orig));
    }
    for (const v of g.initializers.values()) {
      if (v.initializer!.dataType === FLOAT && !float32Graph) {
        const float16 = this.sourceIsFloat16(v, true);
        this.sources.push({ value: v, float16 });
        this.setHome(v, float16 ? toFloat16Type(this.orig(v)) : this.orig(v));
      } else this.setHome(v, this.orig(v));
    }

    for (const node of orderedNodes(g)) {
      const blocked = this.plan.blocked.has(node);
      const effective = node.inputs.map((v, i) => (v ? this.flowInput(node, i, v, blocked) : undefined));
      let outs: ElemType[];
      const source = blocked ? undefined : attributeSource(node, this.orig(node.outputs[0]));
      if (blocked) {
        for (const sub of node.subgraphs()) this.flowGraph(sub);
        const fn = this.types.functionOf(node);
        if (fn) this.flowGraph(fn.body);
        outs = node.outputs.map((v) => this.orig(v));
      } else if (source) {
        const out = node.outputs[0]!;
        const float16 = this.sourceIsFloat16(out, source.kind === 'constant');
        this.sources.push({ value: out, node, source, float16 });
        outs = [float16 ? toFloat16Type(this.orig(out)) : this.orig(out)];
      } else {
        outs = outputTypes(node, effective, this.ctx);
        for (const i of this.plan.float32Outputs.get(node) ?? []) outs[i] = this.orig(node.outputs[i]);
      }
      node.outputs.forEach((v, i) => {
        if (v) this.setHome(v, outs[i]);
      });
    }

    const result = g.outputs.map((v, index) => this.flowOutput(g, index, v));
    this.flowed.set(g, result);
    return result;
  }

  private flowInput(node: Node, index: number, v: Value, blocked: boolean): ElemType {
    const home = this.homes.get(v);
    const want = this.wantOfUse(node, index, v);
    if (want === 'any') return home;
    if (want === undefined) {
      const producer = v.producer();
      if (!home && !blocked && producer && this.plan.blocked.has(producer)) {
        this.problems.push(
          `the element type of '${v.name}' (output of ${producer.describe()}, kept float32) is unknown and ${node.describe()} reads it; ` +
            `declare it in value_info or keep ${node.describe()} float32 too (--block-nodes)`,
        );
      }
      return home;
    }
    if (!home || sameType(home, want)) return home ?? want;
    if (home.kind !== 'tensor' || want.kind !== 'tensor') {
      this.problems.push(`'${v.name}' is a ${home.kind} read by ${node.describe()} in another precision; Cast cannot convert a ${home.kind}`);
      return want;
    }
    this.useRequests.push({ value: v, node, index, to: want });
    return want;
  }

  private flowOutput(g: Graph, index: number, v: Value): ElemType {
    const home = this.homes.get(v);
    const want = this.outputWant(g, v);
    if (want === undefined || want === 'any' || !home) return home ?? (typeof want === 'object' ? want : undefined);
    if (!sameType(home, want)) {
      if (home.kind !== 'tensor' || want.kind !== 'tensor') {
        this.problems.push(`graph output '${v.name}' is a ${home.kind} in the wrong precision; Cast cannot convert a ${home.kind}`);
      } else this.outputRequests.push({ graph: g, index, to: want });
    }
    return want;
  }

  // -------------------------------------------------------------------------
  // Rewrite

  apply(): void {
    for (const s of this.sources) this.applySource(s);
    for (const r of this.useRequests) r.node.setInput(r.index, this.conversion(r.value, r.to, r.node.graph));
    for (const r of this.outputRequests) this.convertGraphOutput(r);
    this.updateDeclaredTypes();
    if (this.useRequests.length || this.outputRequests.length) this.changed = true;

    const graphs = [...this.flowed.keys()];
    const removed = removeRedundantCasts(this.model, graphs, {
      typeOf: (v) => this.homes.get(v) ?? this.orig(v),
      onReplace: (from, to) => {
        const t = this.homes.get(from);
        if (t && !this.homes.has(to)) this.homes.set(to, t);
      },
    });
    let createdCasts = 0;
    let survivingCasts = 0;
    for (const n of this.placer.created) {
      if (n.opType !== 'Cast') continue;
      createdCasts++;
      if (n.graph) survivingCasts++;
    }
    this.summary.inserted.casts = survivingCasts;
    this.summary.removed.casts = removed - (createdCasts - survivingCasts);
    if (removed > 0) this.changed = true;
    this.placer.finish(this.model);
    this.summarize();
    this.summary.modified = this.changed;
  }

  /** Records what converting a tensor clamped and flushed; `source` is the constant it was made from (default: itself). */
  private recordCounts(name: string, counts: ConversionCounts | undefined, source = name): void {
    if (!counts) return;
    if (counts.clamped) {
      const standIn = this.plan.constants?.standIns.has(source) ?? false;
      this.summary.clamped.push({ tensor: name, count: counts.clamped, ...(standIn ? { standIn } : {}) });
    }
    if (counts.flushed) this.summary.flushed.push({ tensor: name, count: counts.flushed });
  }

  private applySource(s: SourceDecision): void {
    const { value: v, node } = s;
    if (!node) {
      const t = v.initializer!;
      if (!s.float16) {
        this.summary.kept.initializers.push(v.name);
        return;
      }
      // A copy, not a view: the conversion below may overwrite the tensor's bytes in place.
      if (t.elementCount <= COPY_LIMIT) this.float32Copies.set(v, { data: float32Data(t).slice(), dims: t.dims });
      const before = t.byteSize;
      if (v.uses().some((u) => isScaleInput(u.node.opType, u.node.domainName, u.index))) {
        // The scales of quantized weights (MatMulNBits, GatherBlockQuantized, DequantizeLinear): never zeroed.
        const counts = convertScaleTensorToFloat16(t, this.reader);
        this.recordCounts(v.name, counts);
        if (counts.lifted) this.summary.notes.push(`${counts.lifted} scale(s) of '${v.name}' below float16's range written as 2^-24, not 0`);
      } else this.recordCounts(v.name, convertTensorToFloat16(t, this.opts.flushSubnormals, this.reader));
      this.summary.converted.initializers++;
      this.summary.converted.initializerBytes.before += before;
      this.summary.converted.initializerBytes.after += t.byteSize;
      this.changed = true;
      return;
    }
    if (!s.float16) return;
    const source = s.source!;
    if (source.kind === 'constant') {
      const held = constantFloat32Data(node);
      if (held && held.data.length <= COPY_LIMIT) this.float32Copies.set(v, held);
    }
    this.recordCounts(v.name, convertAttributeSource(node, source, this.opts.flushSubnormals));
    if (source.kind === 'constant' || source.kind === 'constant-of-shape') this.summary.converted.constants++;
    else if (source.kind === 'cast') this.summary.converted.castTargets++;
    else this.summary.converted.dtypeAttributes++;
    this.changed = true;
  }

  private graphOf(v: Value, fallback: Graph | undefined): Graph {
    return v.producer()?.graph ?? this.owner.get(v) ?? fallback ?? this.main;
  }

  /** The value `v` as type `to`, made once per (value, type). */
  private conversion(v: Value, to: TypeInfo, reader: Graph | undefined): Value {
    const elem = tensorElem(to)!;
    let byType = this.conversions.get(v);
    if (!byType) this.conversions.set(v, (byType = new Map<DataType, Value>()));
    const cached = byType.get(elem);
    if (cached) return cached;

    const graph = this.graphOf(v, reader);
    const producer = v.producer();
    const copy = this.float32Copies.get(v);
    let made: Value;
    if (copy && elem === FLOAT && v.initializer) {
      made = new Value(this.names.fresh(`${v.name}_fp32`));
      made.initializer = Tensor.fromArray(made.name, FLOAT, copy.dims, copy.data);
      graph.addInitializer(made);
      this.owner.set(made, graph);
      this.summary.inserted.constantCopies++;
    } else if (v.initializer && v.initializer.dataType === FLOAT && elem === FLOAT16 && v.initializer.elementCount <= COPY_LIMIT) {
      made = new Value(this.names.fresh(`${v.name}_fp16`));
      const converted = float16TensorFrom(made.name, v.initializer.dims, float32Data(v.initializer), this.opts.flushSubnormals);
      made.initializer = converted.tensor;
      this.recordCounts(made.name, converted, v.name);
      graph.addInitializer(made);
      this.owner.set(made, graph);
      this.summary.inserted.constantCopies++;
    } else if (copy && elem === FLOAT && producer?.opType === 'Constant') {
      made = new Value(this.names.fresh(`${v.name}_fp32`));
      const node = new Node({
        opType: 'Constant',
        name: this.names.fresh(`${made.name}_const`),
        outputs: [made],
        attributes: [Attribute.tensor('value', Tensor.fromArray(undefined, FLOAT, copy.dims, copy.data))],
      });
      this.placer.add(graph, node, producer);
      this.summary.inserted.constantCopies++;
    } else if (producer && producer.opType === 'Cast' && isOnnx(producer) && producer.input(0)) {
      // Cast the Cast's input directly: one rounding instead of two.
      made = this.placer.cast(graph, producer.input(0)!, elem, producer).output(0);
    } else {
      made = this.placer.cast(graph, v, elem, producer && producer.graph === graph ? producer : null).output(0);
    }
    if (isKnownType(v.type) && v.type.kind === 'tensor') made.type = { ...v.type, elemType: elem };
    this.homes.set(made, to);
    byType.set(elem, made);
    return made;
  }

  /** Makes graph output `index` have type `to`, keeping its name. */
  private convertGraphOutput(r: OutputRequest): void {
    const { graph: g, index, to } = r;
    const v = g.outputs[index]!;
    const home = this.homes.get(v);
    if (!home || sameType(home, to)) return;
    const elem = tensorElem(to)!;
    const producer = v.producer();
    if (producer && producer.graph === g && !g.inputs.includes(v)) {
      const inner = new Value(this.names.fresh(`${v.name}_${precisionSuffix(tensorElem(home) ?? 0)}`));
      if (isKnownType(v.type) && v.type.kind === 'tensor') inner.type = { ...v.type, elemType: tensorElem(home) };
      producer.setOutput(v.outputIndex(), inner);
      v.replaceAllUsesWith(inner, { graphOutputs: false });
      const cached = this.conversions.get(v);
      if (cached) {
        this.conversions.delete(v);
        this.conversions.set(inner, cached);
      }
      this.placer.cast(g, inner, elem, producer, v);
      this.homes.set(inner, home);
    } else {
      // Subgraph outputs are matched by position: a new value is fine.
      const made = this.placer.cast(g, v, elem, producer && producer.graph === g ? producer : null).output(0);
      g.replaceOutput(index, made);
      this.homes.set(made, to);
      return;
    }
    this.homes.set(v, to);
  }

  private updateDeclaredTypes(): void {
    const mainInputs = new Set(this.main.inputs);
    const mainOutputs = new Set(this.main.outputs);
    for (const g of this.flowed.keys()) {
      for (const v of new Set([...g.inputs, ...g.outputs, ...g.valueInfo])) {
        const home = this.homes.get(v);
        if (!home || !isKnownType(v.type) || !containsElemType(v.type, FLOAT)) continue;
        const float16 = toFloat16Type(v.type)!;
        if (!sameType(float16, home)) continue;
        v.type = float16;
        this.changed = true;
        this.summary.converted.declaredTypes++;
        if (mainInputs.has(v)) this.summary.converted.graphInputs.push(v.name);
        if (mainOutputs.has(v)) this.summary.converted.graphOutputs.push(v.name);
      }
    }
    for (const v of [...this.main.inputs, ...this.main.outputs]) {
      if (containsElemType(v.type, FLOAT) && this.opts.keepIo(v.name) && !this.summary.kept.io.includes(v.name)) this.summary.kept.io.push(v.name);
    }
  }

  private summarize(): void {
    const touchesFloat = (node: Node): boolean =>
      [...node.inputs, ...node.outputs].some((v) => {
        const t = this.orig(v);
        return v !== null && (t === undefined || containsElemType(t, FLOAT));
      });
    const kept: KeptNode[] = [];
    for (const [node, reason] of this.plan.blocked) {
      if (reason === 'inside-kept-node' || !touchesFloat(node)) continue;
      kept.push({
        name: node.name,
        op: node.opType,
        domain: node.domain,
        reason,
        ...(this.plan.rules.get(node) ? { detail: this.plan.rules.get(node)!.reason } : {}),
        ...(this.autoDetails.get(node) ? { detail: this.autoDetails.get(node) } : {}),
        ...(reason === 'unsafe-constant' ? { detail: this.plan.constants!.nodes.get(node) } : {}),
      });
    }
    this.summary.kept.nodes = kept;
    this.noteKept(kept);

    const notes = this.summary.notes;
    const custom = kept.filter((k) => k.reason === 'custom-domain');
    if (custom.length) {
      const ops = [...new Set(custom.map((k) => `${k.domain}:${k.op}`))].join(', ');
      notes.push(`${custom.length} node(s) of unknown custom domains kept float32 with Casts around them (${ops})`);
    }
    if (this.plan.float32Functions.size) {
      notes.push(`functions kept float32 (a call to them is kept): ${[...this.plan.float32Functions].map((f) => f.name).join(', ')}`);
    }
    const uncalled = this.model.functions.filter((f) => !this.flowed.has(f.body));
    if (uncalled.length) notes.push(`functions never called, left as they are: ${uncalled.map((f) => f.name).join(', ')}`);
    if (typeof this.opts.keepIoNames !== 'string') {
      const io = new Set([...this.main.inputs, ...this.main.outputs].map((v) => v.name));
      const missing = [...this.opts.keepIoNames].filter((n) => !io.has(n));
      if (missing.length) notes.push(`--keep-io-types: no graph input or output named ${missing.join(', ')}`);
    }
    const clamped = this.summary.clamped.reduce((n, c) => n + c.count, 0);
    if (clamped) {
      const standIns = this.summary.clamped.filter((c) => c.standIn).map((c) => `'${c.tensor}'`);
      let note = `${clamped} value(s) beyond +-65504 clamped in ${this.summary.clamped.length} tensor(s)`;
      if (standIns.length) {
        const which = standIns.length === this.summary.clamped.length ? 'each' : `${standIns.length} of them`;
        note += `; ${which} stands in for infinity (an exporter's finfo(float32).min, as in attention masks), as 65504 does in float16: ${listed(standIns, 3)}`;
      }
      if (!this.opts.autoBlock) note += '; if outputs drift, try --auto-block --inputs DIR';
      notes.push(note);
    }
  }

  /** Notes on what stayed float32 and why, for the text output (the JSON has every kept node). */
  private noteKept(kept: readonly KeptNode[]): void {
    const notes = this.summary.notes;
    const describe = (k: KeptNode): string => `${k.op} '${k.name ?? '(unnamed)'}'${k.detail ? `: ${k.detail}` : ''}`;
    const guarded = kept.filter((k) => k.reason === 'unsafe-constant');
    if (guarded.length) {
      // Nodes kept for one reason (an epsilon's path) are listed together.
      const byDetail = new Map<string, KeptNode[]>();
      for (const k of guarded) byDetail.set(k.detail ?? '', [...(byDetail.get(k.detail ?? '') ?? []), k]);
      const groups = [...byDetail].map(([detail, nodes]) => `${nodes.map((k) => `${k.op} '${k.name ?? '(unnamed)'}'`).join(', ')}: ${detail}`);
      let note = `kept ${guarded.length} node(s) float32 because float16 cannot hold constants they compute from: ${listed(groups, 4, '; ')}`;
      const range = [...(this.plan.constants?.range ?? [])].some((n) => this.plan.blocked.get(n) === 'unsafe-constant');
      if (range && !this.opts.autoBlock) {
        note += '; what they make is cast to float16 after them: if outputs drift, measure the activations with --auto-block --inputs DIR';
      }
      notes.push(note);
    }
    const auto = this.summary.autoBlock;
    if (auto) {
      const nodes = kept.filter((k) => k.reason === 'auto-block');
      notes.push(
        nodes.length
          ? `auto-block kept ${nodes.length} node(s) float32 (values past ${auto.threshold} on the inputs measured): ${listed(nodes.map(describe), 4, '; ')}`
          : `auto-block: none of the ${auto.measured} values measured passed ${auto.threshold}; nothing kept for it`,
      );
    }
    const others: [KeepReason, string][] = [
      ['block-list', 'by the default block list (docs/fp16-blocklist.md)'],
      ['block-ops', 'by --block-ops'],
      ['block-nodes', 'by --block-nodes'],
      ['index-math', 'computing indices in float (they gain nothing from float16)'],
    ];
    const parts: string[] = [];
    for (const [reason, why] of others) {
      const nodes = kept.filter((k) => k.reason === reason);
      if (nodes.length) parts.push(`${nodes.length} node(s) ${why}: ${[...new Set(nodes.map((k) => k.op))].join(', ')}`);
    }
    if (parts.length) notes.push(`also kept float32: ${parts.join('; ')}`);
  }
}
