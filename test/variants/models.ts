/**
 * Small Hugging Face style model folders built in code, for transformers.js to load: `config.json` (model_type,
 * architectures) and `onnx/model.onnx` with the inputs and outputs transformers.js feeds and reads.
 *
 * - A BERT-style sequence classifier (model_type bert, BertForSequenceClassification): input_ids, attention_mask,
 *   token_type_ids -> logits [batch_size, labels].
 * - A GPT-2-style causal LM (model_type gpt2, GPT2LMHeadModel) exported with a KV cache as Optimum does:
 *   input_ids, attention_mask, position_ids, past_key_values.{i}.key/value -> logits, present.{i}.key/value.
 *   transformers.js builds the empty cache from the inputs' metadata, resolving `batch_size` and leaving the
 *   other symbolic dims 0, so the dims carry Optimum's names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute } from '../../src/ir/attribute.js';
import { DataType } from '../../src/ir/dtypes.js';
import type { Value } from '../../src/ir/graph.js';
import type { Model } from '../../src/ir/model.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { seededRandom } from '../../src/validate/stats.js';

/** Weights of a seeded normal-like distribution (a sum of uniforms). */
function weights(random: () => number, n: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + (random() + random() + random() - 1.5) * 2 * std;
  return out;
}

class Net {
  readonly b = new ModelBuilder({ opset: 17 });
  private readonly random: () => number;
  private n = 0;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  weight(name: string, dims: number[], std: number, mean = 0): Value {
    const size = dims.reduce((p, d) => p * d, 1);
    return this.b.initializer(name, weights(this.random, size, std, mean), dims);
  }

  floats(v: number): Value {
    return this.b.initializer(`const.f${this.n++}`, Float32Array.of(v), []);
  }

  ints(v: number[], scalar = false): Value {
    return this.b.initializer(`const.i${this.n++}`, BigInt64Array.from(v.map(BigInt)), scalar ? [] : [v.length]);
  }

  dense(x: Value, name: string, inSize: number, outSize: number, std: number): Value {
    return this.b.node('Add', [
      this.b.node('MatMul', [x, this.weight(`${name}.weight`, [inSize, outSize], std)]),
      this.weight(`${name}.bias`, [outSize], 0.02),
    ]);
  }

  layerNorm(x: Value, name: string, size: number): Value {
    return this.b.node('LayerNormalization', [x, this.weight(`${name}.weight`, [size], 0.05, 1), this.weight(`${name}.bias`, [size], 0.02)], {
      axis: -1,
      epsilon: Attribute.float('epsilon', 1e-5),
    });
  }

  gelu(x: Value): Value {
    const b = this.b;
    const erf = b.node('Erf', [b.node('Div', [x, this.floats(Math.SQRT2)])]);
    return b.node('Mul', [b.node('Mul', [x, b.node('Add', [erf, this.floats(1)])]), this.floats(0.5)]);
  }
}

export const BERT_CONFIG = {
  model_type: 'bert',
  architectures: ['BertForSequenceClassification'],
  vocab_size: 120,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 128,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  id2label: { 0: 'A', 1: 'B', 2: 'C' },
  label2id: { A: 0, B: 1, C: 2 },
};

/** BertForSequenceClassification as torch.onnx exports it (small). */
export function buildBert(seed = 11): Model {
  const c = BERT_CONFIG;
  const net = new Net(seed);
  const b = net.b;
  const d = c.hidden_size;
  const heads = c.num_attention_heads;
  const headSize = d / heads;
  const labels = Object.keys(c.id2label).length;
  const ids = b.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = b.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']);
  const types = b.input('token_type_ids', DataType.INT64, ['batch_size', 'sequence_length']);

  const seqLen = b.node('Gather', [b.node('Shape', [ids]), net.ints([1], true)], { axis: 0 });
  const positions = b.node('Range', [net.ints([0], true), seqLen, net.ints([1], true)]);
  const embedded = b.node('Add', [
    b.node('Add', [
      b.node('Gather', [net.weight('bert.embeddings.word_embeddings.weight', [c.vocab_size, d], 0.5), ids]),
      b.node('Gather', [net.weight('bert.embeddings.token_type_embeddings.weight', [c.type_vocab_size, d], 0.5), types]),
    ]),
    b.node('Gather', [net.weight('bert.embeddings.position_embeddings.weight', [c.max_position_embeddings, d], 0.5), positions]),
  ]);
  let x = net.layerNorm(embedded, 'bert.embeddings.LayerNorm', d);

  const mask4d = b.node('Cast', [b.node('Unsqueeze', [mask, net.ints([1, 2])])], { to: DataType.FLOAT });
  const maskBias = b.node('Mul', [b.node('Sub', [net.floats(1), mask4d]), net.floats(-10000)]);
  const headsShape = net.ints([0, 0, heads, headSize]);
  const toHeads = (v: Value, perm: number[]) => b.node('Transpose', [b.node('Reshape', [v, headsShape])], { perm });

  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const std = 1 / Math.sqrt(d);
    const q = toHeads(net.dense(x, `${p}.attention.self.query`, d, d, std), [0, 2, 1, 3]);
    const kT = toHeads(net.dense(x, `${p}.attention.self.key`, d, d, std), [0, 2, 3, 1]);
    const v = toHeads(net.dense(x, `${p}.attention.self.value`, d, d, std), [0, 2, 1, 3]);
    const scores = b.node('Add', [b.node('Div', [b.node('MatMul', [q, kT]), net.floats(Math.sqrt(headSize))]), maskBias]);
    const probs = b.node('Softmax', [scores], { axis: -1 });
    const context = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), net.ints([0, 0, d])]);
    x = net.layerNorm(b.node('Add', [net.dense(context, `${p}.attention.output.dense`, d, d, std), x]), `${p}.attention.output.LayerNorm`, d);
    const up = net.gelu(net.dense(x, `${p}.intermediate.dense`, d, c.intermediate_size, std));
    const down = net.dense(up, `${p}.output.dense`, c.intermediate_size, d, 1 / Math.sqrt(c.intermediate_size));
    x = net.layerNorm(b.node('Add', [down, x]), `${p}.output.LayerNorm`, d);
  }

  const first = b.node('Gather', [x, net.ints([0], true)], { axis: 1 });
  const pooled = b.node('Tanh', [
    b.node('Gemm', [first, net.weight('bert.pooler.dense.weight', [d, d], 1 / Math.sqrt(d)), net.weight('bert.pooler.dense.bias', [d], 0.02)], {
      transB: 1,
    }),
  ]);
  const logits = b.node(
    'Gemm',
    [pooled, net.weight('classifier.weight', [labels, d], 1 / Math.sqrt(d)), net.weight('classifier.bias', [labels], 0.02)],
    {
      transB: 1,
    },
  );
  logits.name = 'logits';
  b.output(logits, DataType.FLOAT, ['batch_size', labels]);
  return b.build();
}

export const GPT2_CONFIG = {
  model_type: 'gpt2',
  architectures: ['GPT2LMHeadModel'],
  vocab_size: 96,
  n_embd: 64,
  n_layer: 2,
  n_head: 2,
  n_positions: 64,
  n_inner: 128,
  bos_token_id: 0,
  eos_token_id: 0,
  use_cache: true,
};

/** GPT2LMHeadModel with a KV cache, as Optimum exports `text-generation-with-past` (small). */
export function buildGpt2(seed = 23): Model {
  const c = GPT2_CONFIG;
  const net = new Net(seed);
  const b = net.b;
  const d = c.n_embd;
  const heads = c.n_head;
  const headSize = d / heads;
  const ids = b.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = b.input('attention_mask', DataType.INT64, ['batch_size', 'past_sequence_length + sequence_length']);
  const positionIds = b.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: c.n_layer }, (_v, l) =>
    (['key', 'value'] as const).map((kind) =>
      b.input(`past_key_values.${l}.${kind}`, DataType.FLOAT, ['batch_size', heads, 'past_sequence_length', headSize]),
    ),
  );

  const wte = net.weight('transformer.wte.weight', [c.vocab_size, d], 0.5);
  let h = b.node('Add', [
    b.node('Gather', [wte, ids]),
    b.node('Gather', [net.weight('transformer.wpe.weight', [c.n_positions, d], 0.2), positionIds]),
  ]);
  const headsShape = net.ints([0, 0, heads, headSize]);
  const toHeads = (v: Value) => b.node('Transpose', [b.node('Reshape', [v, headsShape])], { perm: [0, 2, 1, 3] });
  const keepMask = b.node('Cast', [b.node('Unsqueeze', [mask, net.ints([1, 2])])], { to: DataType.BOOL });
  const presents: Value[] = [];

  for (let l = 0; l < c.n_layer; l++) {
    const p = `transformer.h.${l}`;
    // Hugging Face's initialization (std 0.02): the blocks refine the embeddings rather than drown them.
    const std = 0.02;
    const a = net.layerNorm(h, `${p}.ln_1`, d);
    const q = toHeads(net.dense(a, `${p}.attn.q`, d, d, std));
    const key = b.node('Concat', [past[l]![0]!, toHeads(net.dense(a, `${p}.attn.k`, d, d, std))], { axis: 2 });
    const value = b.node('Concat', [past[l]![1]!, toHeads(net.dense(a, `${p}.attn.v`, d, d, std))], { axis: 2 });
    key.name = `present.${l}.key`;
    value.name = `present.${l}.value`;
    presents.push(key, value);

    // Query i sits at position past + i and sees keys 0..past+i that the attention mask keeps.
    const total = b.node('Gather', [b.node('Shape', [key]), net.ints([2], true)], { axis: 0 });
    const queries = b.node('Gather', [b.node('Shape', [q]), net.ints([2], true)], { axis: 0 });
    const rows = b.node('Range', [b.node('Sub', [total, queries]), total, net.ints([1], true)]);
    const cols = b.node('Range', [net.ints([0], true), total, net.ints([1], true)]);
    const causal = b.node('LessOrEqual', [b.node('Unsqueeze', [cols, net.ints([0])]), b.node('Unsqueeze', [rows, net.ints([1])])]);
    const allowed = b.node('And', [causal, keepMask]);
    const scores = b.node('Div', [b.node('MatMul', [q, b.node('Transpose', [key], { perm: [0, 1, 3, 2] })]), net.floats(Math.sqrt(headSize))]);
    const probs = b.node('Softmax', [b.node('Where', [allowed, scores, net.floats(-10000)])], { axis: -1 });
    const context = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, value])], { perm: [0, 2, 1, 3] }), net.ints([0, 0, d])]);
    h = b.node('Add', [h, net.dense(context, `${p}.attn.c_proj`, d, d, std)]);
    const m = net.gelu(net.dense(net.layerNorm(h, `${p}.ln_2`, d), `${p}.mlp.c_fc`, d, c.n_inner, std));
    h = b.node('Add', [h, net.dense(m, `${p}.mlp.c_proj`, c.n_inner, d, std)]);
  }
  // The LM head is the embedding table, transposed (GPT-2 ties them; exporters store the copy).
  const table = wte.initializer!.toTypedArray() as Float32Array;
  const head = new Float32Array(d * c.vocab_size);
  for (let v = 0; v < c.vocab_size; v++) for (let i = 0; i < d; i++) head[i * c.vocab_size + v] = table[v * d + i]!;
  const logits = b.node('MatMul', [net.layerNorm(h, 'transformer.ln_f', d), b.initializer('lm_head.weight', head, [d, c.vocab_size])]);
  logits.name = 'logits';
  b.output(logits, DataType.FLOAT, ['batch_size', 'sequence_length', c.vocab_size]);
  for (const present of presents) b.output(present, DataType.FLOAT, ['batch_size', heads, 'past_sequence_length + sequence_length', headSize]);
  return b.build();
}

/**
 * A Hugging Face model folder: `<root>/<name>/config.json` and `onnx/<file>` (default model.onnx). Returns the
 * `onnx` folder.
 */
export function writeModelFolder(root: string, name: string, config: object, model: Model, file = 'model.onnx'): string {
  const dir = path.join(root, name);
  const onnx = path.join(dir, 'onnx');
  mkdirSync(onnx, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  saveModel(model, path.join(onnx, file));
  return onnx;
}

export const VIT_CONFIG = {
  model_type: 'vit',
  architectures: ['ViTForImageClassification'],
  image_size: 16,
  patch_size: 4,
  num_channels: 3,
  hidden_size: 32,
  id2label: Object.fromEntries(Array.from({ length: 10 }, (_v, i) => [i, `class_${i}`])),
};

/**
 * A small image classifier with a float input and a Conv (model_type vit): pixel_values [batch_size, 3, 16, 16] ->
 * a 4x4 patch Conv -> one MLP block over the patches -> mean -> logits [batch_size, 10].
 */
export function buildVit(seed = 37): Model {
  const c = VIT_CONFIG;
  const net = new Net(seed);
  const b = net.b;
  const d = c.hidden_size;
  const patches = (c.image_size / c.patch_size) ** 2;
  const labels = Object.keys(c.id2label).length;
  const pixels = b.input('pixel_values', DataType.FLOAT, ['batch_size', c.num_channels, c.image_size, c.image_size]);
  const conv = b.node(
    'Conv',
    [
      pixels,
      net.weight('vit.embeddings.patch_embeddings.projection.weight', [d, c.num_channels, c.patch_size, c.patch_size], 0.2),
      net.weight('vit.embeddings.patch_embeddings.projection.bias', [d], 0.02),
    ],
    { kernel_shape: [c.patch_size, c.patch_size], strides: [c.patch_size, c.patch_size] },
  );
  let x = b.node('Transpose', [b.node('Reshape', [conv, net.ints([0, d, patches])])], { perm: [0, 2, 1] });
  x = net.layerNorm(x, 'vit.layernorm_before', d);
  const up = net.gelu(net.dense(x, 'vit.intermediate.dense', d, 2 * d, 1 / Math.sqrt(d)));
  x = net.layerNorm(b.node('Add', [x, net.dense(up, 'vit.output.dense', 2 * d, d, 1 / Math.sqrt(2 * d))]), 'vit.layernorm', d);
  const pooled = b.node('ReduceMean', [x], { axes: [1], keepdims: 0 });
  const logits = b.node(
    'Gemm',
    [pooled, net.weight('classifier.weight', [labels, d], 1 / Math.sqrt(d)), net.weight('classifier.bias', [labels], 0.02)],
    {
      transB: 1,
    },
  );
  logits.name = 'logits';
  b.output(logits, DataType.FLOAT, ['batch_size', labels]);
  return b.build();
}
