/**
 * A BERT-base-sized sequence classifier built in code, for benchmarks and
 * tests: the graph torch.onnx makes of BertForSequenceClassification (opset
 * 17, LayerNormalization, Gelu spelled with Erf) with seeded pseudo-random
 * weights. The default configuration has 109,483,778 float32 parameters
 * (about 438 MB).
 *
 * Weight names follow Hugging Face's (`bert.encoder.layer.0.attention.self.query.weight`);
 * MatMul weights are stored [in, out] as exporters write them, Gemm weights
 * [out, in] with transB. Helper constants (shapes, scalars) are named
 * `const.*` and are not parameters.
 */
import { Attribute } from '../ir/attribute.js';
import { DataType } from '../ir/dtypes.js';
import type { Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { ModelBuilder, tensorOf } from './builder.js';

export interface BertBaseOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  intermediate?: number;
  vocab?: number;
  /** Learned position embeddings: the longest sequence the model takes. */
  maxPositions?: number;
  typeVocab?: number;
  labels?: number;
  seed?: number;
  /** False leaves every weight zero (fast): for sizing the model without generating it. */
  fillWeights?: boolean;
}

export type BertBaseConfig = Required<BertBaseOptions>;

export const BERT_BASE_DEFAULTS: BertBaseConfig = {
  layers: 12,
  hidden: 768,
  heads: 12,
  intermediate: 3072,
  vocab: 30522,
  maxPositions: 512,
  typeVocab: 2,
  labels: 2,
  seed: 1,
  fillWeights: true,
};

const WEIGHT_STD = 0.02;
const LAYER_NORM_EPSILON = 1e-12;
const MASKED_SCORE = -10000;

/**
 * xorshift32 filling arrays with a zero-mean triangular distribution (the sum
 * of the two 16-bit halves of one draw) scaled to a given standard deviation:
 * close enough to N(0, std) for weights, and one draw per element.
 */
class WeightStream {
  private state: number;

  constructor(seed: number) {
    // Mix the seed so that small seeds give unrelated streams; the state must not be 0.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0x2545f491) >>> 0 || 0x2545f491;
  }

  fill(out: Float32Array, std: number, mean = 0): Float32Array {
    // Triangular on (-1, 1) has variance 1/6.
    const scale = (std * Math.sqrt(6)) / 65536;
    let s = this.state;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = mean + ((s & 0xffff) + (s >>> 16) - 65535) * scale;
    }
    this.state = s >>> 0;
    return out;
  }
}

/** Builds the model; see BertBaseOptions for the knobs (defaults: BERT-base). */
export function generateBertBase(options: BertBaseOptions = {}): Model {
  const config: BertBaseConfig = { ...BERT_BASE_DEFAULTS, ...options };
  const { layers, hidden, heads, intermediate, vocab, maxPositions, typeVocab, labels } = config;
  if (hidden % heads !== 0) throw new Error(`hidden size ${hidden} is not a multiple of ${heads} heads`);
  const headSize = hidden / heads;

  const b = new ModelBuilder({ opset: 17 });
  const stream = new WeightStream(config.seed);
  const random = (n: number, std = WEIGHT_STD, mean = 0): Float32Array => {
    const data = new Float32Array(n);
    return config.fillWeights ? stream.fill(data, std, mean) : data;
  };
  const weight = (name: string, dims: number[], std = WEIGHT_STD, mean = 0): Value =>
    b.initializer(
      name,
      random(
        dims.reduce((p, d) => p * d, 1),
        std,
        mean,
      ),
      dims,
    );
  const scalar = (name: string, v: number): Value => b.initializer(`const.${name}`, Float32Array.of(v), []);
  const ints = (name: string, v: number[]): Value => b.initializer(`const.${name}`, BigInt64Array.from(v.map(BigInt)), [v.length]);
  const int = (name: string, v: number): Value => b.initializer(`const.${name}`, BigInt64Array.of(BigInt(v)), []);

  const inputIds = b.input('input_ids', DataType.INT64, ['batch', 'seq']);
  const attentionMask = b.input('attention_mask', DataType.INT64, ['batch', 'seq']);

  const zero = int('zero', 0);
  const one = int('one', 1);
  const oneF = scalar('one_f', 1);
  const half = scalar('half', 0.5);
  const sqrt2 = scalar('sqrt2', Math.SQRT2);
  const scoreScale = scalar('sqrt_head_size', Math.sqrt(headSize));
  const maskedScore = scalar('masked_score', MASKED_SCORE);
  const headsShape = ints('heads_shape', [0, 0, heads, headSize]);
  const hiddenShape = ints('hidden_shape', [0, 0, hidden]);
  const maskAxes = ints('mask_axes', [1, 2]);

  const dense = (x: Value, prefix: string, inSize: number, outSize: number): Value => {
    const w = weight(`${prefix}.weight`, [inSize, outSize]);
    const bias = weight(`${prefix}.bias`, [outSize]);
    return b.node('Add', [b.node('MatMul', [x, w]), bias]);
  };
  const layerNorm = (x: Value, prefix: string): Value =>
    b.node('LayerNormalization', [x, weight(`${prefix}.weight`, [hidden], WEIGHT_STD, 1), weight(`${prefix}.bias`, [hidden])], {
      axis: -1,
      epsilon: Attribute.float('epsilon', LAYER_NORM_EPSILON),
    });

  // Embeddings: word + position (0..seq-1) + token type (all 0: the model takes no token_type_ids).
  const wordTable = weight('bert.embeddings.word_embeddings.weight', [vocab, hidden]);
  const positionTable = weight('bert.embeddings.position_embeddings.weight', [maxPositions, hidden]);
  const typeTable = weight('bert.embeddings.token_type_embeddings.weight', [typeVocab, hidden]);
  const idsShape = b.node('Shape', [inputIds]);
  const seqLen = b.node('Gather', [idsShape, one], { axis: 0 });
  const positionIds = b.node('Range', [zero, seqLen, one]);
  const tokenTypeIds = b.node('ConstantOfShape', [idsShape], {
    value: tensorOf(undefined, BigInt64Array.of(0n), [1]),
  });
  const words = b.node('Gather', [wordTable, inputIds], { axis: 0 });
  const positions = b.node('Gather', [positionTable, positionIds], { axis: 0 });
  const types = b.node('Gather', [typeTable, tokenTypeIds], { axis: 0 });
  let x = layerNorm(b.node('Add', [b.node('Add', [words, types]), positions]), 'bert.embeddings.LayerNorm');

  // Additive mask [batch, 1, 1, seq]: 0 where attended, MASKED_SCORE where not.
  const mask4d = b.node('Cast', [b.node('Unsqueeze', [attentionMask, maskAxes])], { to: DataType.FLOAT });
  const maskBias = b.node('Mul', [b.node('Sub', [oneF, mask4d]), maskedScore]);

  const toHeads = (v: Value, perm: number[]): Value => b.node('Transpose', [b.node('Reshape', [v, headsShape])], { perm });

  for (let l = 0; l < layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = toHeads(dense(x, `${p}.attention.self.query`, hidden, hidden), [0, 2, 1, 3]);
    const kT = toHeads(dense(x, `${p}.attention.self.key`, hidden, hidden), [0, 2, 3, 1]);
    const v = toHeads(dense(x, `${p}.attention.self.value`, hidden, hidden), [0, 2, 1, 3]);
    const scores = b.node('Add', [b.node('Div', [b.node('MatMul', [q, kT]), scoreScale]), maskBias]);
    const probs = b.node('Softmax', [scores], { axis: -1 });
    const context = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), hiddenShape]);
    const attended = dense(context, `${p}.attention.output.dense`, hidden, hidden);
    x = layerNorm(b.node('Add', [attended, x]), `${p}.attention.output.LayerNorm`);

    const up = dense(x, `${p}.intermediate.dense`, hidden, intermediate);
    const gelu = b.node('Mul', [b.node('Mul', [up, b.node('Add', [b.node('Erf', [b.node('Div', [up, sqrt2])]), oneF])]), half]);
    const down = dense(gelu, `${p}.output.dense`, intermediate, hidden);
    x = layerNorm(b.node('Add', [down, x]), `${p}.output.LayerNorm`);
  }

  // Pooler on the first token, then the classifier.
  const first = b.node('Gather', [x, zero], { axis: 1 });
  const pooled = b.node('Tanh', [
    b.node('Gemm', [first, weight('bert.pooler.dense.weight', [hidden, hidden]), weight('bert.pooler.dense.bias', [hidden])], { transB: 1 }),
  ]);
  const logits = b.node('Gemm', [pooled, weight('classifier.weight', [labels, hidden]), weight('classifier.bias', [labels])], { transB: 1 });
  logits.name = 'logits';
  b.output(logits, DataType.FLOAT, ['batch', labels]);

  const model = b.build();
  model.producerName = 'onnxpress-bert-base-generator';
  model.docString = `BERT-style classifier, ${layers} layers, hidden ${hidden}, ${heads} heads, intermediate ${intermediate}, vocab ${vocab}, seed ${config.seed}; random weights`;
  return model;
}
