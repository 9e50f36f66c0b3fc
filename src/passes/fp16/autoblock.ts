/**
 * --auto-block: run the float32 model in ONNX Runtime, record how large each
 * float activation gets, and keep float32 the nodes that would overflow
 * float16 there. A value past the threshold keeps both its producer and every
 * node reading it float32, so it never exists as float16; the nodes after it
 * go back to float16 once values are small again (T5's feed-forward and
 * residual sums are the classic case).
 *
 * ONNX Runtime returns graph outputs only, so the measured copy of the model
 * lists every float intermediate of the main graph as an output. The run
 * happens in a child process: the pass stays synchronous, and a crash of the
 * runtime cannot take the caller down.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, dataTypeInfo } from '../../ir/dtypes.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { modelToBytes } from '../../io/bytes.js';
import { OnnxpressError } from '../../errors.js';
import { orderedNodes, tensorElem, type TypeInference } from '../elem-types.js';
import { float32Data } from './sources.js';
import { DEFAULT_AUTO_BLOCK_THRESHOLD, type AutoBlockOptions } from './options.js';

export interface ActivationStats {
  /** Largest finite |x| over every input set. */
  maxAbs: number;
  /** NaN and +-Inf elements (in float32 already). */
  nonFinite: number;
}

export interface AutoBlockFindings {
  nodes: Set<Node>;
  /** Why each node is kept: the value it makes or reads and that value's largest |x|. */
  details: Map<Node, string>;
  measured: number;
  overflowing: { value: string; maxAbs: number }[];
  threshold: number;
}

// Runs in a child `node --input-type=module -e`: argv = [dir, onnxruntime-node entry].
const RUNNER = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const [dir, ortEntry] = process.argv.slice(1);
const ort = createRequire(ortEntry)(ortEntry);
const req = JSON.parse(readFileSync(dir + '/request.json', 'utf8'));
const arrays = { float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array };
const session = await ort.InferenceSession.create(dir + '/model.onnx');
const stats = {};
for (const set of req.sets) {
  const feeds = {};
  for (const t of set) {
    const bytes = readFileSync(t.file);
    const Ctor = arrays[t.type];
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    feeds[t.name] = new ort.Tensor(t.type, new Ctor(copy.buffer, 0, bytes.length / Ctor.BYTES_PER_ELEMENT), t.dims);
  }
  const out = await session.run(feeds, req.outputs);
  for (const name of req.outputs) {
    const data = out[name].data;
    const s = stats[name] ?? (stats[name] = [0, 0]);
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x !== x || x === Infinity || x === -Infinity) s[1]++;
      else if (x > s[0]) s[0] = x;
      else if (-x > s[0]) s[0] = -x;
    }
  }
}
process.stdout.write(JSON.stringify(stats));
`;

/**
 * Runs the model with the given values added as outputs and returns, per value
 * name, the largest finite |x| and the count of non-finite elements.
 */
export function measureActivations(model: Model, values: readonly Value[], inputSets: AutoBlockOptions['inputSets']): Map<string, ActivationStats> {
  const graph = model.graph;
  const outputs = graph.outputs;
  const present = new Set(outputs);
  let bytes: Uint8Array;
  try {
    graph.outputs = [...outputs, ...values.filter((v) => !present.has(v))];
    bytes = modelToBytes(model);
  } finally {
    graph.outputs = outputs;
  }
  const dir = mkdtempSync(join(tmpdir(), 'onnxpress-autoblock-'));
  try {
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const sets = inputSets.map((set, s) =>
      [...set].map(([name, tensor], i) => {
        const type = dataTypeInfo(tensor.dataType).ortName;
        if (!type || tensor.dataType === DataType.STRING) {
          throw new OnnxpressError('E_INPUT', `auto-block: input '${name}' has type ${dataTypeInfo(tensor.dataType).name}, which cannot be fed here`);
        }
        const file = join(dir, `set${s}_${i}.bin`);
        writeFileSync(file, tensor.rawBytes());
        return { name, type, dims: tensor.dims.map(Number), file };
      }),
    );
    const names = values.map((v) => v.name);
    writeFileSync(join(dir, 'request.json'), JSON.stringify({ sets, outputs: names }));
    const ortEntry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, dir, ortEntry], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (run.status !== 0) {
      const why = (run.stderr || run.error?.message || `exit ${run.status ?? run.signal}`).trim().split('\n').filter(Boolean);
      const line = why.find((l) => /error/i.test(l)) ?? why[why.length - 1] ?? 'unknown error';
      throw new OnnxpressError('E_RUNTIME', `auto-block: ONNX Runtime could not run the float32 model: ${line}`);
    }
    const raw = JSON.parse(run.stdout) as Record<string, [number, number]>;
    return new Map(Object.entries(raw).map(([name, [maxAbs, nonFinite]]) => [name, { maxAbs, nonFinite }]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function maxAbsOf(tensor: Tensor): number {
  const data = float32Data(tensor);
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m && a !== Infinity) m = a;
  }
  return m;
}

/** Measures the float32 activations of the main graph and picks the nodes to keep float32. */
export function findOverflowingNodes(model: Model, types: TypeInference, options: AutoBlockOptions): AutoBlockFindings {
  const threshold = options.threshold ?? DEFAULT_AUTO_BLOCK_THRESHOLD;
  if (options.inputSets.length === 0) throw new OnnxpressError('E_USAGE', 'auto-block needs at least one set of inputs');
  const graph = model.graph;
  const isFloat32 = (v: Value): boolean => tensorElem(types.typeOf(v)) === DataType.FLOAT;
  const values: Value[] = [];
  for (const node of orderedNodes(graph)) for (const v of node.outputs) if (v && isFloat32(v)) values.push(v);
  const stats = measureActivations(model, values, options.inputSets);

  // Graph inputs are measured from the given data.
  const measured = new Map<Value, number>();
  for (const v of graph.inputs) {
    if (!isFloat32(v)) continue;
    let m = 0;
    for (const set of options.inputSets) {
      const t = set.get(v.name);
      if (t && t.dataType === DataType.FLOAT) m = Math.max(m, maxAbsOf(t));
    }
    measured.set(v, m);
  }
  for (const v of values) {
    const s = stats.get(v.name);
    if (s) measured.set(v, s.maxAbs);
  }

  const nodes = new Set<Node>();
  const details = new Map<Node, string>();
  const overflowing: { value: string; maxAbs: number }[] = [];
  const keep = (node: Node, why: string): void => {
    nodes.add(node);
    if (!details.has(node)) details.set(node, why);
  };
  for (const [v, maxAbs] of measured) {
    if (!(maxAbs > threshold)) continue;
    overflowing.push({ value: v.name, maxAbs });
    const why = `'${v.name}' reaches |x| = ${maxAbs.toPrecision(6)} > ${threshold}`;
    const producer = v.producer();
    if (producer) keep(producer, why);
    for (const use of v.uses()) keep(use.node, why);
  }
  overflowing.sort((a, b) => b.maxAbs - a.maxAbs);
  return { nodes, details, measured: measured.size, overflowing, threshold };
}
