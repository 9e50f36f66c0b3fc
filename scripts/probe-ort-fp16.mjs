#!/usr/bin/env node
// Dev script: what does onnxruntime-node (CPU) do when an op's float tensors become float16?
//
// 1. For every single-op model in ONNX's backend node tests it makes a naive all-float16 copy
//    (graph I/O, value_info, initializers, attribute tensors, `to`/`dtype`/`output_datatype`
//    attributes), loads it with optimizations off, runs it on the test's inputs and compares with
//    ORT's float32 run of the original. The model ORT actually runs is saved, so the Casts ORT
//    inserts itself around nodes without a float16 kernel (`InsertedPrecisionFreeCast_*`) are seen.
//    When the op's schema rejects a float16 tensor, that tensor is kept float32 and the model
//    retried, which finds input/output-level rules (Resize scales, LayerNormalization Mean, ...).
// 2. It runs the hand-built cases of test/passes/fp16/ort-fp16-cases.ts the same way.
//
// Usage: node scripts/probe-ort-fp16.mjs [--corpus DIR] [--json OUT.json] [--filter REGEX]
// Prints two markdown tables, the evidence in docs/fp16-blocklist.md. Takes about 20 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { module: codec } = await runnerImport(path.join(repoRoot, 'src/proto/codec.ts'));
const { module: h } = await runnerImport(path.join(repoRoot, 'test/passes/fp16/ort-fp16-harness.ts'));
const { module: cases } = await runnerImport(path.join(repoRoot, 'test/passes/fp16/ort-fp16-cases.ts'));
const { module: probe } = await runnerImport(path.join(repoRoot, 'test/passes/fp16/ort-fp16-probe.ts'));
const { module: blocklist } = await runnerImport(path.join(repoRoot, 'src/passes/fp16/blocklist.ts'));
const ort = await import('onnxruntime-node');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const corpus = option('--corpus', process.env.ONNXPRESS_CORPUS ?? path.resolve(repoRoot, '../shared/corpus'));
const jsonOut = option('--json', undefined);
const filter = new RegExp(option('--filter', '.'));
const nodeDir = path.join(corpus, 'onnx-backend/node');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fp16-probe-'));

const FLOAT = 1;
const FLOAT16 = 10;
const DOUBLE = 11;
// Element types onnxruntime-node can feed and fetch safely (int4/uint4 outputs abort the process).
const ORT_TYPES = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

// ---------------------------------------------------------------- tensor data

function typedFromRaw(raw, Ctor) {
  const copy = new Uint8Array(raw);
  return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
}

/** TensorProto -> { type, data, dims } as onnxruntime-node wants it. */
function tensorData(t) {
  const type = ORT_TYPES[t.data_type];
  if (!type) return undefined;
  const dims = (t.dims ?? []).map(Number);
  const raw = t.raw_data;
  const n = dims.reduce((a, b) => a * b, 1);
  let data;
  switch (type) {
    case 'float32':
      data = raw ? typedFromRaw(raw, Float32Array) : Float32Array.from(t.float_data ?? []);
      break;
    case 'float64':
      data = raw ? typedFromRaw(raw, Float64Array) : Float64Array.from(t.double_data ?? []);
      break;
    case 'float16':
      data = raw ? typedFromRaw(raw, Uint16Array) : Uint16Array.from(t.int32_data ?? []);
      break;
    case 'int64':
      data = raw ? typedFromRaw(raw, BigInt64Array) : BigInt64Array.from((t.int64_data ?? []).map(BigInt));
      break;
    case 'uint64':
      data = raw ? typedFromRaw(raw, BigUint64Array) : BigUint64Array.from((t.uint64_data ?? []).map(BigInt));
      break;
    case 'int32':
      data = raw ? typedFromRaw(raw, Int32Array) : Int32Array.from(t.int32_data ?? []);
      break;
    case 'uint32':
      data = raw ? typedFromRaw(raw, Uint32Array) : Uint32Array.from(t.uint64_data ?? []);
      break;
    case 'int16':
      data = raw ? typedFromRaw(raw, Int16Array) : Int16Array.from(t.int32_data ?? []);
      break;
    case 'uint16':
      data = raw ? typedFromRaw(raw, Uint16Array) : Uint16Array.from(t.int32_data ?? []);
      break;
    case 'int8':
      data = raw ? typedFromRaw(raw, Int8Array) : Int8Array.from(t.int32_data ?? []);
      break;
    case 'uint8':
      data = raw ? typedFromRaw(raw, Uint8Array) : Uint8Array.from(t.int32_data ?? []);
      break;
    case 'bool':
      data = raw ? typedFromRaw(raw, Uint8Array) : Uint8Array.from(t.int32_data ?? []);
      break;
    case 'string':
      data = (t.string_data ?? []).map((s) => new TextDecoder().decode(s));
      break;
  }
  if (data.length !== n) return undefined;
  return { type, data, dims };
}

function numbers(type, data) {
  if (type === 'float16') return Array.from(data, h.fromFloat16Bits);
  if (type === 'string') return undefined;
  return Array.from(data, Number);
}

// ---------------------------------------------------------------- float16 rewrite

// The element type being rewritten to float16: float32, or float64 for ops whose tests have no float32.
let SRC = FLOAT;

function floatsOfTensor(t) {
  if (t.data_type === DOUBLE) return t.raw_data ? typedFromRaw(t.raw_data, Float64Array) : Float64Array.from(t.double_data ?? []);
  if (t.raw_data) return typedFromRaw(t.raw_data, Float32Array);
  return Float32Array.from(t.float_data ?? []);
}

function tensorToFloat16(t) {
  if (t.data_type !== SRC || t.data_location === 1) return;
  const half = h.toFloat16Array(floatsOfTensor(t));
  t.data_type = FLOAT16;
  delete t.float_data;
  delete t.double_data;
  t.raw_data = new Uint8Array(half.buffer);
}

function typeToFloat16(tp) {
  if (!tp) return;
  if (tp.tensor_type?.elem_type === SRC) tp.tensor_type.elem_type = FLOAT16;
  if (tp.sparse_tensor_type?.elem_type === SRC) tp.sparse_tensor_type.elem_type = FLOAT16;
  if (tp.sequence_type) typeToFloat16(tp.sequence_type.elem_type);
  if (tp.optional_type) typeToFloat16(tp.optional_type.elem_type);
  if (tp.map_type) typeToFloat16(tp.map_type.value_type);
}

// Attributes that name an output element type, as onnxruntime.transformers.float16 rewrites them (plus output_datatype).
const DTYPE_ATTRIBUTES = new Set(['to', 'dtype', 'output_datatype']);
const DTYPE_OPS = new Set([
  'Cast',
  'EyeLike',
  'Multinomial',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Bernoulli',
  'SequenceEmpty',
  'BlackmanWindow',
  'HammingWindow',
  'HannWindow',
  'MelWeightMatrix',
]);

// Ops whose float output type comes from an attribute that defaults to float32 when absent.
const DEFAULT_FLOAT_ATTRIBUTE = {
  RandomNormal: 'dtype',
  RandomUniform: 'dtype',
  BlackmanWindow: 'output_datatype',
  HammingWindow: 'output_datatype',
  HannWindow: 'output_datatype',
  MelWeightMatrix: 'output_datatype',
};

function nodeToFloat16(node, keep) {
  if (node.op_type === 'Constant' && (node.output ?? []).some((o) => keep.has(o))) return;
  const implicit = DEFAULT_FLOAT_ATTRIBUTE[node.op_type];
  if (SRC === FLOAT && implicit && !(node.attribute ?? []).some((a) => a.name === implicit) && !(node.output ?? []).some((o) => keep.has(o))) {
    (node.attribute ??= []).push({ name: implicit, i: FLOAT16, type: 2 });
  }
  for (const a of node.attribute ?? []) {
    if (a.t) tensorToFloat16(a.t);
    for (const t of a.tensors ?? []) tensorToFloat16(t);
    if (a.sparse_tensor?.values) tensorToFloat16(a.sparse_tensor.values);
    if (a.g) graphToFloat16(a.g, keep);
    for (const g of a.graphs ?? []) graphToFloat16(g, keep);
    if (a.tp) typeToFloat16(a.tp);
    if (DTYPE_OPS.has(node.op_type) && DTYPE_ATTRIBUTES.has(a.name) && Number(a.i) === SRC) a.i = FLOAT16;
  }
}

function graphToFloat16(g, keep) {
  for (const vi of [...(g.input ?? []), ...(g.output ?? []), ...(g.value_info ?? [])]) {
    if (!keep.has(vi.name)) typeToFloat16(vi.type);
  }
  for (const t of g.initializer ?? []) if (!keep.has(t.name)) tensorToFloat16(t);
  for (const n of g.node ?? []) nodeToFloat16(n, keep);
}

function modelToFloat16(bytes, keep, opsetOverride) {
  const m = codec.decode(bytes);
  if (opsetOverride) setDefaultOpset(m, opsetOverride);
  graphToFloat16(m.graph, keep);
  for (const f of m.functions ?? []) for (const n of f.node ?? []) nodeToFloat16(n, keep);
  return codec.encode(m);
}

// ---------------------------------------------------------------- one test

function setDefaultOpset(m, version) {
  for (const o of m.opset_import ?? []) if (!o.domain) o.version = version;
}

function hasType(g, type) {
  const types = [...(g.input ?? []), ...(g.output ?? []), ...(g.value_info ?? [])].map(
    (v) => v.type?.tensor_type?.elem_type ?? v.type?.sequence_type?.elem_type?.tensor_type?.elem_type,
  );
  if (types.includes(type) || (g.initializer ?? []).some((t) => t.data_type === type)) return true;
  return (g.node ?? []).some((n) =>
    (n.attribute ?? []).some((a) => a.t?.data_type === type || (Number(a.i) === type && DTYPE_ATTRIBUTES.has(a.name)) || (a.g && hasType(a.g, type))),
  );
}

function ioTypesSupported(g) {
  return [...(g.input ?? []), ...(g.output ?? [])].every((v) => ORT_TYPES[v.type?.tensor_type?.elem_type]);
}

async function run(bytes, feeds, savePath) {
  let session;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 4,
      ...(savePath ? { optimizedModelFilePath: savePath } : {}),
    });
  } catch (err) {
    const message = String(err?.message ?? err);
    return { stage: h.classifyLoadError(message), message };
  }
  try {
    const out = await session.run(feeds);
    return { stage: 'ok', outputs: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, data: t.data, dims: t.dims }])) };
  } catch (err) {
    return { stage: 'run-error', message: String(err?.message ?? err) };
  } finally {
    await session.release();
  }
}

function feedsFor(inputs, asFloat16) {
  const feeds = {};
  for (const [name, td] of inputs) {
    if ((td.type === 'float32' || td.type === 'float64') && asFloat16.has(name))
      feeds[name] = new ort.Tensor('float16', h.toFloat16Array(td.data), td.dims);
    else feeds[name] = new ort.Tensor(td.type, td.data, td.dims);
  }
  return feeds;
}

/** Normalized max error of a float16 run against the float32 reference (both from ORT). */
function compare(expected, got) {
  let worst = 0;
  let exact = true;
  let worstOutput;
  for (const [name, e] of Object.entries(expected)) {
    const before = worst;
    const g = got[name];
    if (!g) return { worst: Infinity, exact: false };
    const ev = numbers(e.type, e.data);
    const gv = numbers(g.type, g.data);
    if (!ev || !gv) continue;
    if (ev.length !== gv.length) return { worst: Infinity, exact: false };
    const isFloat = e.type === 'float32' || e.type === 'float64' || e.type === 'float16';
    let scale = 1e-6;
    for (const v of ev) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < ev.length; i++) {
      const a = ev[i],
        b = gv[i];
      if (Number.isNaN(a) && Number.isNaN(b)) continue;
      if (a === b) continue;
      exact = false;
      if (!isFloat || !Number.isFinite(a) || !Number.isFinite(b)) {
        worst = Infinity;
        continue;
      }
      worst = Math.max(worst, Math.abs(a - b) / scale);
    }
    if (worst > before) worstOutput = name;
  }
  return { worst, exact, worstOutput };
}

function insertedCasts(savePath) {
  try {
    const m = codec.decode(fs.readFileSync(savePath));
    return (m.graph.node ?? []).filter((n) => (n.name ?? '').startsWith('InsertedPrecisionFreeCast')).length;
  } catch {
    return undefined;
  }
}

const PARAM = /of (?:input|output) parameter \(([^)]*)\)|of output arg \(([^)]*)\)/;

async function probeTest(dir) {
  const name = path.basename(dir);
  const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
  const model = codec.decode(bytes);
  const g = model.graph;
  const ops = [...new Set((g.node ?? []).filter((n) => n.op_type !== 'Constant').map((n) => `${n.domain || 'ai.onnx'}::${n.op_type}`))];
  if (ops.length !== 1) return undefined;
  if (hasType(g, FLOAT)) SRC = FLOAT;
  else if (hasType(g, DOUBLE)) SRC = DOUBLE;
  else return undefined;
  const from = SRC === FLOAT ? 'float32' : 'float64';
  if (!ioTypesSupported(g)) return { name, op: ops[0], result: 'skipped: I/O types not fetchable from node' };
  const initNames = new Set((g.initializer ?? []).map((t) => t.name));
  const graphInputs = (g.input ?? []).filter((v) => !initNames.has(v.name));
  const inputs = [];
  for (let i = 0; i < graphInputs.length; i++) {
    const file = path.join(dir, 'test_data_set_0', `input_${i}.pb`);
    if (!fs.existsSync(file)) return { name, op: ops[0], result: 'skipped: missing input data' };
    let td;
    try {
      td = tensorData(codec.decode(fs.readFileSync(file), 'TensorProto'));
    } catch {
      td = undefined;
    }
    if (!td) return { name, op: ops[0], result: 'skipped: input is not a plain tensor' };
    inputs.push([graphInputs[i].name, td]);
  }
  const opset = (model.opset_import ?? []).find((o) => (o.domain ?? '') === (ops[0].startsWith('ai.onnx::') ? '' : ops[0].split('::')[0]))?.version;

  let base = await run(bytes, feedsFor(inputs, new Set()));
  let opsetOverride;
  if (base.stage !== 'ok' && /Current official support for domain ai.onnx is till opset (\d+)/.test(base.message)) {
    // Backend tests of an opset newer than ORT's: retry at ORT's newest (the op's signature rarely changes).
    opsetOverride = Number(/till opset (\d+)/.exec(base.message)[1]);
    const m = codec.decode(bytes);
    setDefaultOpset(m, opsetOverride);
    base = await run(codec.encode(m), feedsFor(inputs, new Set()));
  }
  if (base.stage !== 'ok')
    return { name, op: ops[0], opset, result: `fp32 baseline fails (${base.stage})`, message: base.message.split('\n')[0].slice(0, 300) };

  const keep = new Set();
  const floatInputs = new Set(inputs.filter(([, td]) => td.type === from).map(([n]) => n));
  const trail = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    const savePath = path.join(scratch, `${name}.${attempt}.onnx`);
    const fp16 = modelToFloat16(bytes, keep, opsetOverride);
    const asFloat16 = new Set([...floatInputs].filter((n) => !keep.has(n)));
    const verdict = await run(fp16, feedsFor(inputs, asFloat16), savePath);
    if (verdict.stage === 'schema-error') {
      const hit = PARAM.exec(verdict.message);
      const param = hit?.[1] ?? hit?.[2];
      trail.push(param ?? '?');
      if (param && !keep.has(param)) {
        keep.add(param);
        continue;
      }
    }
    const casts = verdict.stage === 'ok' ? insertedCasts(savePath) : undefined;
    const fp16Left = hasType(codec.decode(fp16).graph, FLOAT16);
    const cmp = verdict.stage === 'ok' ? compare(base.outputs, verdict.outputs) : undefined;
    return {
      name,
      op: ops[0],
      opset: opsetOverride ?? opset,
      from,
      keptFloat32: [...keep],
      result: verdict.stage,
      message: verdict.stage === 'ok' ? undefined : verdict.message.split('\n')[0].slice(0, 300),
      insertedCasts: casts,
      fp16Left,
      worst: cmp?.worst,
      worstOutput: cmp?.worstOutput,
      exact: cmp?.exact,
    };
  }
  return { name, op: ops[0], opset, keptFloat32: [...keep], result: 'gave up', trail };
}

// ---------------------------------------------------------------- tables

function ruleText(op, domain, opset) {
  const rule = blocklist.blockRuleFor(op, domain);
  if (!rule) return 'convert';
  const applies = blocklist.ruleApplies(rule, { opset });
  const what = blocklist.blocksWholeNode(rule)
    ? 'whole node float32'
    : [
        rule.float32Inputs?.length ? `inputs ${rule.float32Inputs.join(',')} float32` : '',
        rule.float32Outputs?.length ? `outputs ${rule.float32Outputs.join(',')} float32` : '',
      ]
        .filter(Boolean)
        .join(', ');
  const cond = [
    rule.belowOpset ? `below opset ${rule.belowOpset}` : '',
    rule.whenAttribute ? `when ${rule.whenAttribute.name} in ${rule.whenAttribute.oneOf.join('/')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${applies ? '' : '(not at this opset) '}${what}${cond ? ` (${cond})` : ''} [${rule.source}]`;
}

function sweepTable(results) {
  const byOp = new Map();
  for (const r of results) {
    if (!r.op) continue;
    if (!byOp.has(r.op)) byOp.set(r.op, []);
    byOp.get(r.op).push(r);
  }
  const fmt = (x) => (x === undefined ? '' : x === Infinity ? 'inf' : x.toExponential(1));
  const lines = [
    '| op | tests | ran in float16 | spec allows float16 | ORT CPU float16 kernel | worst error | our rule | other outcomes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [key, rs] of [...byOp.entries()].sort()) {
    const [domain, op] = key.split('::');
    const ok = rs.filter((r) => r.result === 'ok');
    // Where every float tensor had to stay float32, ORT's kernels say nothing about float16.
    const native = ok.filter((r) => r.insertedCasts === 0 && r.fp16Left);
    const cast = ok.filter((r) => (r.insertedCasts ?? 0) > 0);
    const kept = [...new Set(rs.flatMap((r) => r.keptFloat32 ?? []))];
    const spec = kept.length ? `no: ${kept.join(', ')}` : ok.length ? 'yes' : '';
    const kernel =
      native.length && cast.length
        ? `opsets ${[...new Set(native.map((r) => r.opset))].join(',')}; others Casts`
        : native.length
          ? 'yes'
          : cast.length
            ? 'no (ORT adds Casts)'
            : ok.length
              ? 'n/a (nothing left in float16)'
              : '';
    const worst = ok.reduce((w, r) => Math.max(w, r.worst ?? 0), 0);
    const worstTest = ok.find((r) => r.worst === worst && worst > 3e-3);
    const other = [...new Set(rs.filter((r) => r.result !== 'ok').map((r) => `${r.result}${r.message ? `: ${r.message.slice(0, 90)}` : ''}`))].join(
      '<br>',
    );
    const opset = Math.max(...rs.map((r) => r.opset ?? 0));
    const d = domain === 'ai.onnx' ? '' : domain;
    lines.push(
      `| ${d ? `${d}.` : ''}${op} | ${rs.length} | ${ok.length} | ${spec} | ${kernel} | ${ok.length ? fmt(worst) : ''}${worstTest ? ` (${worstTest.name}${worstTest.worstOutput ? `: ${worstTest.worstOutput}` : ''})` : ''} | ${ruleText(op, d, opset)} | ${other.replace(/\|/g, '/')} |`,
    );
  }
  return lines.join('\n');
}

async function casesTable() {
  const lines = ['| case | float32 | all float16 | ORT CPU float16 kernel | worst error | our rule |', '|---|---|---|---|---|---|'];
  const show = (v) =>
    v.stage === 'ok'
      ? 'ok'
      : `${v.stage}: ${v.message
          .split('\n')[0]
          .replace(/^This is an invalid model\. /, '')
          .slice(0, 110)}`;
  for (const c of cases.ALL_CASES) {
    const o = await probe.probeCase(c);
    const kernel = o.fp16.stage !== 'ok' ? '' : o.insertedCasts ? `no (${o.insertedCasts} Casts added)` : 'yes';
    const err = o.worstError === undefined ? '' : o.worstError.toExponential(1);
    lines.push(
      `| ${c.domain ? `${c.domain}.` : ''}${c.id} | ${show(o.reference)} | ${show(o.fp16).replace(/\|/g, '/')} | ${kernel} | ${err} | ${ruleText(c.op, c.domain, c.opset)} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

const results = [];
if (!fs.existsSync(nodeDir)) console.error(`no backend node tests at ${nodeDir}: skipping the sweep`);
for (const test of fs.existsSync(nodeDir) ? fs.readdirSync(nodeDir).sort() : []) {
  if (!filter.test(test)) continue;
  const dir = path.join(nodeDir, test);
  let r;
  try {
    r = await probeTest(dir);
  } catch (err) {
    r = { name: test, result: `probe error: ${String(err?.message ?? err).slice(0, 200)}` };
  }
  if (r) results.push(r);
}
fs.rmSync(scratch, { recursive: true, force: true });
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(results, null, 1));

console.log('## Backend node tests, all float tensors made float16\n');
console.log(sweepTable(results));
console.log('\n## Hand-built cases (test/passes/fp16/ort-fp16-cases.ts)\n');
console.log(await casesTable());
