/**
 * Element types of values: declared ones (graph inputs, value_info,
 * initializers) and, for the rest, what each operator's type rules give.
 * Only element types and container kinds (tensor, sequence, optional, map)
 * are tracked, never shapes: that is what the FP16 pass and the Cast cleanup
 * need, and it costs one walk over the graph.
 */
import type { Attribute } from '../ir/attribute.js';
import { isDefaultDomain, normalizeDomain } from '../ir/domain.js';
import { DataType } from '../ir/dtypes.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Model, OnnxFunction } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { topologicalOrder } from '../ir/toposort.js';
import type { TypeInfo } from '../ir/types.js';

export type ElemType = TypeInfo | undefined;

export const tensorOfType = (elemType: DataType): TypeInfo => ({ kind: 'tensor', elemType });
const seqOf = (elem: ElemType): ElemType => (elem ? { kind: 'sequence', elem } : undefined);
const optionalOf = (elem: ElemType): ElemType => (elem ? { kind: 'optional', elem } : undefined);

/** True when a declared type says enough to trust it over inference. */
export function isKnownType(type: ElemType): type is TypeInfo {
  if (!type) return false;
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return type.elemType !== undefined && type.elemType !== DataType.UNDEFINED;
    case 'sequence':
    case 'optional':
      return isKnownType(type.elem);
    case 'map':
      return type.keyType !== undefined && isKnownType(type.value);
    default:
      return false;
  }
}

export function sameType(a: ElemType, b: ElemType): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return a.elemType === (b as typeof a).elemType;
    case 'sequence':
    case 'optional':
      return sameType(a.elem, (b as typeof a).elem);
    case 'map':
      return a.keyType === (b as typeof a).keyType && sameType(a.value, (b as typeof a).value);
    default:
      return false;
  }
}

/** The type with every `from` element type replaced by `to` (inside sequences, optionals and maps too). */
export function mapElemType(type: ElemType, from: DataType, to: DataType): ElemType {
  if (!type) return undefined;
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return type.elemType === from ? { ...type, elemType: to } : type;
    case 'sequence':
    case 'optional': {
      const elem = mapElemType(type.elem, from, to);
      return elem === type.elem ? type : { ...type, elem };
    }
    case 'map': {
      const value = mapElemType(type.value, from, to);
      return value === type.value ? type : { ...type, value };
    }
    default:
      return type;
  }
}

/** Whether `from` appears anywhere in the type. */
export function containsElemType(type: ElemType, elemType: DataType): boolean {
  return mapElemType(type, elemType, DataType.UNDEFINED) !== type;
}

/** A tensor's element type, or undefined for containers and unknown types. */
export function tensorElem(type: ElemType): DataType | undefined {
  return type && (type.kind === 'tensor' || type.kind === 'sparse_tensor') ? type.elemType : undefined;
}

export interface RuleContext {
  /** Output types of a subgraph given its input types (If branches, Loop/Scan bodies). */
  subgraphOutputs(graph: Graph, inputTypes: readonly ElemType[]): ElemType[];
  /** Output types of a call to a model-local function; undefined when the node calls none. */
  functionOutputs(node: Node, inputTypes: readonly ElemType[]): ElemType[] | undefined;
  /** The opset version of a domain that the node's graph sees. */
  opset(domain: string): number | undefined;
}

// ---------------------------------------------------------------------------
// Per-operator rules

type Rule = (n: NodeView) => ElemType[];

class NodeView {
  constructor(
    readonly node: Node,
    readonly ins: readonly ElemType[],
    readonly ctx: RuleContext,
  ) {}
  in(i: number): ElemType {
    return this.ins[i];
  }
  attrInt(name: string): number | undefined {
    const a = this.node.attr(name);
    return a && (typeof a.value === 'number' || typeof a.value === 'bigint') ? Number(a.value) : undefined;
  }
  attr(name: string): Attribute | undefined {
    return this.node.attr(name);
  }
  get outputCount(): number {
    return this.node.outputs.length;
  }
  /** Every output gets the same type. */
  all(type: ElemType): ElemType[] {
    return Array.from({ length: Math.max(1, this.outputCount) }, () => type);
  }
}

const fixed =
  (t: DataType): Rule =>
  (n) =>
    n.all(tensorOfType(t));
const sameAs =
  (i: number): Rule =>
  (n) =>
    n.all(n.in(i));
const dtypeAttr =
  (name: string, fallback: (n: NodeView) => ElemType): Rule =>
  (n) => {
    const t = n.attrInt(name);
    return n.all(t ? tensorOfType(t) : fallback(n));
  };
const elementOf = (type: ElemType): ElemType => (type && (type.kind === 'sequence' || type.kind === 'optional') ? type.elem : type);
const optionalElement = (type: ElemType): ElemType => (type?.kind === 'optional' ? type.elem : type);
const mapValue = (type: ElemType): ElemType => (type?.kind === 'map' ? type.value : undefined);

function constantType(n: NodeView): ElemType {
  for (const a of n.node.attributes.values()) {
    switch (a.name) {
      case 'value':
        return a.value ? tensorOfType((a.value as Tensor).dataType) : undefined;
      case 'sparse_value': {
        const values = (a.value as { values?: Tensor } | undefined)?.values;
        return values ? { kind: 'sparse_tensor', elemType: values.dataType } : undefined;
      }
      case 'value_float':
      case 'value_floats':
        return tensorOfType(DataType.FLOAT);
      case 'value_int':
      case 'value_ints':
        return tensorOfType(DataType.INT64);
      case 'value_string':
      case 'value_strings':
        return tensorOfType(DataType.STRING);
    }
  }
  return undefined;
}

/** Loop, Scan, If: what the body graphs give. */
function controlFlow(n: NodeView): ElemType[] {
  const { node, ctx } = n;
  const graphAttr = (name: string): Graph | undefined => node.attr(name)?.graphs()[0];
  switch (node.opType) {
    case 'If': {
      const thenOut = graphAttr('then_branch') ? ctx.subgraphOutputs(graphAttr('then_branch')!, []) : [];
      const elseOut = graphAttr('else_branch') ? ctx.subgraphOutputs(graphAttr('else_branch')!, []) : [];
      return Array.from({ length: n.outputCount }, (_, i) => thenOut[i] ?? elseOut[i]);
    }
    case 'Loop': {
      const body = graphAttr('body');
      if (!body) return n.all(undefined);
      const carried = n.ins.slice(2);
      const out = ctx.subgraphOutputs(body, [tensorOfType(DataType.INT64), tensorOfType(DataType.BOOL), ...carried]);
      return out.slice(1);
    }
    case 'Scan': {
      const body = graphAttr('body');
      if (!body) return n.all(undefined);
      // Opset 8 has sequence_lens first; the scan inputs' elements have the inputs' element types.
      const states = (ctx.opset('') ?? 9) < 9 ? n.ins.slice(1) : n.ins;
      return ctx.subgraphOutputs(body, states);
    }
    case 'SequenceMap': {
      const body = graphAttr('body');
      if (!body) return n.all(undefined);
      return ctx.subgraphOutputs(body, n.ins.map(elementOf)).map(seqOf);
    }
  }
  return n.all(undefined);
}

const mlLabels = (n: NodeView): ElemType => tensorOfType(n.attr('classlabels_strings') ? DataType.STRING : DataType.INT64);

function labelEncoderType(n: NodeView): ElemType {
  if (n.attr('values_strings')) return tensorOfType(DataType.STRING);
  if (n.attr('values_int64s')) return tensorOfType(DataType.INT64);
  if (n.attr('values_floats')) return tensorOfType(DataType.FLOAT);
  const t = n.attr('values_tensor')?.value as Tensor | undefined;
  return t ? tensorOfType(t.dataType) : undefined;
}

const BOOL_OPS = [
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'IsNaN',
  'IsInf',
  'OptionalHasElement',
  'RegexFullMatch',
];
const INT64_OPS = ['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression', 'SequenceLength'];

const ONNX_RULES = new Map<string, Rule>([
  ...BOOL_OPS.map((op): [string, Rule] => [op, fixed(DataType.BOOL)]),
  ...INT64_OPS.map((op): [string, Rule] => [op, fixed(DataType.INT64)]),
  ['TopK', (n) => [n.in(0), tensorOfType(DataType.INT64)]],
  ['Unique', (n) => [n.in(0), tensorOfType(DataType.INT64), tensorOfType(DataType.INT64), tensorOfType(DataType.INT64)]],
  ['MaxPool', (n) => [n.in(0), tensorOfType(DataType.INT64)]],
  ['Dropout', (n) => [n.in(0), tensorOfType(DataType.BOOL)]],
  ['Cast', dtypeAttr('to', () => undefined)],
  ['CastLike', sameAs(1)],
  ['Constant', (n) => [constantType(n)]],
  ['ConstantOfShape', (n) => [tensorOfType((n.attr('value')?.value as Tensor | undefined)?.dataType ?? DataType.FLOAT)]],
  ['EyeLike', dtypeAttr('dtype', (n) => n.in(0))],
  ['RandomNormal', dtypeAttr('dtype', () => tensorOfType(DataType.FLOAT))],
  ['RandomUniform', dtypeAttr('dtype', () => tensorOfType(DataType.FLOAT))],
  ['RandomNormalLike', dtypeAttr('dtype', (n) => n.in(0))],
  ['RandomUniformLike', dtypeAttr('dtype', (n) => n.in(0))],
  ['Bernoulli', dtypeAttr('dtype', (n) => n.in(0))],
  ['Multinomial', dtypeAttr('dtype', () => tensorOfType(DataType.INT32))],
  ['QuantizeLinear', (n) => [n.in(2) ?? tensorOfType(n.attrInt('output_dtype') || DataType.UINT8)]],
  ['DequantizeLinear', (n) => [n.attrInt('output_dtype') ? tensorOfType(n.attrInt('output_dtype')!) : n.in(1)]],
  ['DynamicQuantizeLinear', () => [tensorOfType(DataType.UINT8), tensorOfType(DataType.FLOAT), tensorOfType(DataType.UINT8)]],
  ['QLinearConv', sameAs(7)],
  ['QLinearMatMul', sameAs(7)],
  ['MatMulInteger', fixed(DataType.INT32)],
  ['ConvInteger', fixed(DataType.INT32)],
  ['HannWindow', dtypeAttr('output_datatype', () => tensorOfType(DataType.FLOAT))],
  ['HammingWindow', dtypeAttr('output_datatype', () => tensorOfType(DataType.FLOAT))],
  ['BlackmanWindow', dtypeAttr('output_datatype', () => tensorOfType(DataType.FLOAT))],
  ['MelWeightMatrix', dtypeAttr('output_datatype', () => tensorOfType(DataType.FLOAT))],
  ['TfIdfVectorizer', fixed(DataType.FLOAT)],
  [
    'LayerNormalization',
    (n) => {
      const stash = tensorOfType(n.attrInt('stash_type') ?? DataType.FLOAT);
      return [n.in(0), stash, stash];
    },
  ],
  ['BatchNormalization', (n) => [n.in(0), n.in(3), n.in(4)]],
  ['Where', sameAs(1)],
  ['OneHot', sameAs(2)],
  ['StringSplit', () => [tensorOfType(DataType.STRING), tensorOfType(DataType.INT64)]],
  ['ImageDecoder', fixed(DataType.UINT8)],
  ['If', controlFlow],
  ['Loop', controlFlow],
  ['Scan', controlFlow],
  ['SequenceMap', controlFlow],
  ['SequenceEmpty', (n) => [seqOf(tensorOfType(n.attrInt('dtype') ?? DataType.FLOAT))]],
  ['SequenceConstruct', (n) => [seqOf(n.in(0))]],
  ['SequenceAt', (n) => [elementOf(n.in(0))]],
  ['SplitToSequence', (n) => [seqOf(n.in(0))]],
  ['ConcatFromSequence', (n) => [elementOf(n.in(0))]],
  ['Optional', (n) => [optionalOf((n.attr('type')?.value as TypeInfo | undefined) ?? n.in(0))]],
  ['OptionalGetElement', (n) => [optionalElement(n.in(0))]],
  ['Attention', (n) => [n.in(0), n.in(1), n.in(2), n.in(0)]],
  // An ORT op that ORT registers in the ONNX domain.
  ['SimplifiedLayerNormalization', (n) => [n.in(0), tensorOfType(DataType.FLOAT)]],
]);

const MS_RULES = new Map<string, Rule>([
  ['SkipLayerNormalization', (n) => [n.in(0), tensorOfType(DataType.FLOAT), tensorOfType(DataType.FLOAT), n.in(0)]],
  ['SkipSimplifiedLayerNormalization', (n) => [n.in(0), tensorOfType(DataType.FLOAT), tensorOfType(DataType.FLOAT), n.in(0)]],
  ['SimplifiedLayerNormalization', (n) => [n.in(0), tensorOfType(DataType.FLOAT)]],
  ['DynamicQuantizeMatMul', fixed(DataType.FLOAT)],
  ['MatMulIntegerToFloat', sameAs(2)],
  ['QAttention', (n) => n.all(n.in(2))],
  ['QGemm', (n) => [n.in(7) ? (n.in(8) ?? tensorOfType(DataType.UINT8)) : tensorOfType(DataType.FLOAT)]],
  ['QLinearConcat', sameAs(1)],
  ['QuantizeLinear', (n) => [n.in(2) ?? tensorOfType(DataType.UINT8)]],
  ['DequantizeLinear', sameAs(1)],
  // Block-quantized weights: Y has the type of A (float32 or float16), as do the scales, a float zero point and
  // the bias; the packed weights (uint8), integer zero points and g_idx keep theirs.
  ['MatMulNBits', sameAs(0)],
  ['MatMulBnb4', sameAs(0)],
  // The gathered rows have the type of the scales (the data is packed integers).
  ['GatherBlockQuantized', sameAs(2)],
  ['EmbedLayerNormalization', (n) => [n.in(2), tensorOfType(DataType.INT32), n.in(2)]],
]);

const ML_RULES = new Map<string, Rule>([
  ['LinearClassifier', (n) => [mlLabels(n), tensorOfType(DataType.FLOAT)]],
  ['SVMClassifier', (n) => [mlLabels(n), tensorOfType(DataType.FLOAT)]],
  ['TreeEnsembleClassifier', (n) => [mlLabels(n), tensorOfType(DataType.FLOAT)]],
  ['LinearRegressor', fixed(DataType.FLOAT)],
  ['SVMRegressor', fixed(DataType.FLOAT)],
  ['TreeEnsembleRegressor', fixed(DataType.FLOAT)],
  ['Scaler', fixed(DataType.FLOAT)],
  ['Normalizer', fixed(DataType.FLOAT)],
  ['OneHotEncoder', fixed(DataType.FLOAT)],
  ['FeatureVectorizer', fixed(DataType.FLOAT)],
  ['LabelEncoder', (n) => [labelEncoderType(n)]],
  ['CategoryMapper', (n) => [tensorOfType(tensorElem(n.in(0)) === DataType.STRING ? DataType.INT64 : DataType.STRING)]],
  [
    'ZipMap',
    (n) => [seqOf({ kind: 'map', keyType: n.attr('classlabels_strings') ? DataType.STRING : DataType.INT64, value: tensorOfType(DataType.FLOAT) })],
  ],
  ['DictVectorizer', (n) => [mapValue(n.in(0))]],
  [
    'CastMap',
    (n) => {
      const to = n.attr('cast_to')?.value;
      const name = to instanceof Uint8Array ? new TextDecoder().decode(to) : 'TO_FLOAT';
      return [tensorOfType(name === 'TO_STRING' ? DataType.STRING : name === 'TO_INT64' ? DataType.INT64 : DataType.FLOAT)];
    },
  ],
]);

/**
 * The types of a node's outputs given its inputs' types, from the operator's
 * rules. Unknown ops of the standard domains (and com.microsoft) give their
 * outputs the first input's type, as nearly all of them do; ops of other
 * domains give undefined (unknown).
 */
export function outputTypes(node: Node, ins: readonly ElemType[], ctx: RuleContext): ElemType[] {
  const view = new NodeView(node, ins, ctx);
  const fn = ctx.functionOutputs(node, ins);
  if (fn) return fn;
  const domain = node.domainName;
  let rule: Rule | undefined;
  if (isDefaultDomain(domain)) rule = ONNX_RULES.get(node.opType) ?? sameAs(0);
  else if (domain === 'com.microsoft') rule = MS_RULES.get(node.opType) ?? sameAs(0);
  else if (domain === 'ai.onnx.ml') rule = ML_RULES.get(node.opType) ?? sameAs(0);
  return rule ? rule(view) : view.all(undefined);
}

// ---------------------------------------------------------------------------
// Whole-model inference

/** A model-local function's key as a node names it. */
export function functionKey(domain: string | undefined, name: string | undefined): string {
  return `${domain ?? ''}::${name ?? ''}`;
}

export function functionTable(model: Model): Map<string, OnnxFunction> {
  return new Map(model.functions.map((f) => [functionKey(f.domain, f.name), f]));
}

/** The nodes of a graph in an order where producers come first (file order when there is a cycle). */
export function orderedNodes(graph: Graph): Node[] {
  try {
    return topologicalOrder(graph);
  } catch {
    return [...graph.nodes];
  }
}

export function declaredType(value: Value): ElemType {
  if (value.initializer) return tensorOfType(value.initializer.dataType);
  return isKnownType(value.type) ? value.type : undefined;
}

/**
 * Infers the type of every value of the model: main graph, subgraphs, and the
 * bodies of the functions it calls (typed by their first call). Declared types
 * win over inferred ones.
 */
export class TypeInference {
  readonly types = new Map<Value, TypeInfo>();
  private readonly functions: Map<string, OnnxFunction>;
  private readonly fnOutputs = new Map<OnnxFunction, ElemType[]>();
  private readonly opsets: Map<string, number>;

  constructor(readonly model: Model) {
    this.functions = functionTable(model);
    this.opsets = new Map();
    for (const o of model.opsetImports) {
      if (o.version !== undefined) this.opsets.set(normalizeDomain(o.domain), Number(o.version));
    }
  }

  /** The function a node calls, if any. */
  functionOf(node: Node): OnnxFunction | undefined {
    return this.functions.size ? this.functions.get(functionKey(node.domain, node.opType)) : undefined;
  }

  run(): this {
    this.inferGraph(this.model.graph, []);
    return this;
  }

  typeOf(value: Value | null | undefined): ElemType {
    return value ? this.types.get(value) : undefined;
  }

  private set(value: Value, inferred: ElemType): void {
    const t = declaredType(value) ?? inferred;
    if (t) this.types.set(value, t);
  }

  private inferGraph(graph: Graph, inputTypes: readonly ElemType[]): ElemType[] {
    graph.inputs.forEach((v, i) => this.set(v, inputTypes[i]));
    for (const v of graph.initializers.values()) this.set(v, undefined);
    const ctx: RuleContext = {
      subgraphOutputs: (g, ins) => this.inferGraph(g, ins),
      functionOutputs: (node, ins) => this.callFunction(node, ins),
      opset: (domain) => this.opsets.get(domain),
    };
    for (const node of orderedNodes(graph)) {
      const ins = node.inputs.map((v) => this.typeOf(v));
      const outs = outputTypes(node, ins, ctx);
      node.outputs.forEach((v, i) => {
        if (v) this.set(v, outs[i]);
      });
    }
    return graph.outputs.map((v) => this.typeOf(v));
  }

  private callFunction(node: Node, ins: readonly ElemType[]): ElemType[] | undefined {
    const fn = this.functionOf(node);
    if (!fn) return undefined;
    let outs = this.fnOutputs.get(fn);
    if (!outs) {
      this.fnOutputs.set(fn, []); // recursion guard
      outs = this.inferGraph(fn.body, ins);
      this.fnOutputs.set(fn, outs);
    }
    return outs;
  }
}

export function inferTypes(model: Model): TypeInference {
  return new TypeInference(model).run();
}
