/** Models and model-local functions. */
import type { Attribute } from './attribute.js';
import { normalizeDomain } from './domain.js';
import { Graph } from './graph.js';
import type { Int64 } from './tensor.js';
import type { Preserved } from './types.js';

export interface OpsetImport {
  domain: string | undefined;
  version: Int64 | undefined;
  preserved?: Preserved;
}

/** A model-local function: a body graph (inputs, outputs, nodes) plus its signature. */
export class OnnxFunction {
  name: string | undefined;
  domain: string | undefined;
  overload: string | undefined;
  docString: string | undefined;
  /** Names of the attributes the function takes. */
  attributeNames: string[] = [];
  /** Attributes with default values. */
  attributeDefaults: Attribute[] = [];
  opsetImports: OpsetImport[] = [];
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  readonly body: Graph;

  constructor(init: { name?: string; domain?: string; body?: Graph }) {
    this.name = init.name;
    this.domain = init.domain;
    this.body = init.body ?? new Graph();
  }
}

export class Model {
  irVersion: Int64 | undefined;
  opsetImports: OpsetImport[];
  producerName: string | undefined;
  producerVersion: string | undefined;
  domain: string | undefined;
  modelVersion: Int64 | undefined;
  docString: string | undefined;
  graph: Graph;
  functions: OnnxFunction[] = [];
  metadataProps: [string, string][] | undefined;
  preserved: Preserved | undefined;
  /** The file the model was read from (absolute), if any: writers refuse to overwrite it. */
  sourcePath: string | undefined;

  constructor(init: { graph: Graph; irVersion?: Int64; opsetImports?: OpsetImport[]; producerName?: string; producerVersion?: string }) {
    this.graph = init.graph;
    this.irVersion = init.irVersion;
    this.opsetImports = init.opsetImports ?? [];
    this.producerName = init.producerName;
    this.producerVersion = init.producerVersion;
  }

  /** The imported version of an operator set ('' or 'ai.onnx' for the default domain), or undefined. */
  opsetVersion(domain = ''): number | undefined {
    const want = normalizeDomain(domain);
    for (const o of this.opsetImports) {
      if (normalizeDomain(o.domain) === want && o.version !== undefined) return Number(o.version);
    }
    return undefined;
  }

  setOpsetVersion(domain: string, version: number): void {
    const want = normalizeDomain(domain);
    const found = this.opsetImports.find((o) => normalizeDomain(o.domain) === want);
    if (found) found.version = version;
    else this.opsetImports.push({ domain, version });
  }

  /** The main graph, every subgraph, and every function body with its subgraphs. */
  *allGraphs(): Generator<Graph> {
    yield* this.graph.allGraphs();
    for (const f of this.functions) yield* f.body.allGraphs();
  }
}
