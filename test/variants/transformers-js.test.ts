/**
 * A real client: `onnxpress variants --preset transformers.js` on model folders as Hugging Face lays them out, then
 * transformers.js (on onnxruntime-node) loads every dtype from disk and runs it; each output is checked against the
 * float32 model's: cosine >= 0.999 for fp16, q8, int8 and uint8, >= 0.99 for q4 and q4f16.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env, AutoModelForCausalLM, AutoModelForImageClassification, AutoModelForSequenceClassification, Tensor } from '@huggingface/transformers';
import { TRANSFORMERS_JS_PRESET } from '../../src/variants/preset.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { cosine } from '../helpers/metrics.js';
import { tempDir } from '../helpers/temp.js';
import { DataType } from '../../src/ir/dtypes.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { BERT_CONFIG, buildBert, buildGpt2, buildVit, GPT2_CONFIG, VIT_CONFIG, writeModelFolder } from './models.js';

const root = tempDir('onnxpress-tjs-');
/** Every dtype of the preset: fp16, q8, int8, uint8, q4, q4f16. */
const ALL_DTYPES = TRANSFORMERS_JS_PRESET.variants.map((v) => v.dtype);
const FLOOR: Record<string, number> = { fp16: 0.999, q8: 0.999, int8: 0.999, uint8: 0.999, q4: 0.99, q4f16: 0.99 };

interface Made {
  /** The dtypes whose files `variants` wrote, from its --json output. */
  dtypes: string[];
  exitCode: number;
  stdout: string;
}

/** Runs `onnxpress variants` on a folder's onnx/ and reads which variants it made. */
async function makeVariants(name: string, extra: string[] = []): Promise<Made> {
  const result = await runCli(['variants', path.join(root, name, 'onnx'), '--preset', 'transformers.js', '--json', ...extra]);
  expect(result.stderr).toBe('');
  const out = JSON.parse(result.stdout) as { variants: { dtype: string; status: string; output: string }[] };
  for (const v of out.variants) expect(existsSync(v.output), v.output).toBe(true);
  return { dtypes: out.variants.filter((v) => v.status !== 'error').map((v) => v.dtype), exitCode: result.exitCode, stdout: result.stdout };
}

function ids(values: number[][]): Tensor {
  return new Tensor('int64', BigInt64Array.from(values.flat().map(BigInt)), [values.length, values[0]!.length]);
}

function floats(t: Tensor): Float32Array {
  const f32: Tensor = t.type === 'float32' ? t : t.to('float32');
  return Float32Array.from(f32.data as unknown as ArrayLike<number>);
}

type Loaded = { dispose(): Promise<unknown>; sessions: Record<string, { inputMetadata: { name: string; type: string }[] }> };

async function load<M extends Loaded>(
  Auto: { from_pretrained(name: string, options: object): Promise<unknown> },
  name: string,
  dtype: string,
): Promise<M> {
  return (await Auto.from_pretrained(name, { dtype, local_files_only: true, device: 'cpu' })) as M;
}

/** Every float input of every session is float32: transformers.js feeds float32 tensors (and makes a float32 cache). */
function floatInputs(model: Loaded): string[] {
  return Object.values(model.sessions).flatMap((s) => s.inputMetadata.filter((m) => m.type.startsWith('float')).map((m) => m.type));
}

beforeAll(() => {
  env.localModelPath = root;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
});

afterAll(() => {
  env.allowRemoteModels = true;
});

describe('transformers.js loads every variant onnxpress makes', () => {
  const bertInputs = {
    input_ids: ids([
      [2, 17, 45, 99, 3, 8, 61, 119],
      [2, 5, 77, 30, 1, 0, 0, 0],
    ]),
    attention_mask: ids([
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0, 0, 0],
    ]),
    token_type_ids: ids([
      [0, 0, 0, 0, 1, 1, 1, 1],
      [0, 0, 0, 1, 1, 1, 1, 1],
    ]),
  };

  it('a BERT-style classifier (model_type bert): every dtype, logits against fp32', async () => {
    writeModelFolder(root, 'bert', BERT_CONFIG, buildBert());
    const made = await makeVariants('bert');
    expect(made.exitCode, made.stdout).toBe(0);
    expect(made.dtypes).toEqual(ALL_DTYPES);

    type Classifier = Loaded & ((inputs: object) => Promise<{ logits: Tensor }>);
    const reference = await load<Classifier>(AutoModelForSequenceClassification, 'bert', 'fp32');
    const expected = floats((await reference(bertInputs)).logits);
    await reference.dispose();
    expect(expected.length).toBe(6);
    for (const dtype of made.dtypes) {
      const model = await load<Classifier>(AutoModelForSequenceClassification, 'bert', dtype);
      const { logits } = await model(bertInputs);
      expect(logits.dims, dtype).toEqual([2, 3]);
      expect(cosine(floats(logits), expected), dtype).toBeGreaterThanOrEqual(FLOOR[dtype]!);
      expect(
        floatInputs(model).every((t) => t === 'float32'),
        dtype,
      ).toBe(true);
      await model.dispose();
    }
  });

  it('a model with external data: every variant has its own <file>_data, which transformers.js fetches by name', async () => {
    const onnx = path.join(root, 'bert-external', 'onnx');
    mkdirSync(onnx, { recursive: true });
    writeFileSync(
      path.join(root, 'bert-external', 'config.json'),
      JSON.stringify({ ...BERT_CONFIG, 'transformers.js_config': { use_external_data_format: true } }),
    );
    saveModel(buildBert(), path.join(onnx, 'model.onnx'), { externalThreshold: 1024, externalFileName: 'model.onnx_data' });
    const made = await makeVariants('bert-external', ['--no-validate']);
    expect(made.exitCode, made.stdout).toBe(0);
    expect(made.dtypes).toEqual(ALL_DTYPES);
    type Classifier = Loaded & ((inputs: object) => Promise<{ logits: Tensor }>);
    const reference = await load<Classifier>(AutoModelForSequenceClassification, 'bert-external', 'fp32');
    const expected = floats((await reference(bertInputs)).logits);
    await reference.dispose();
    for (const dtype of made.dtypes) {
      expect(existsSync(path.join(onnx, `model${TRANSFORMERS_JS_PRESET.variants.find((v) => v.dtype === dtype)!.suffix}.onnx_data`)), dtype).toBe(
        true,
      );
      const model = await load<Classifier>(AutoModelForSequenceClassification, 'bert-external', dtype);
      expect(cosine(floats((await model(bertInputs)).logits), expected), dtype).toBeGreaterThanOrEqual(FLOOR[dtype]!);
      await model.dispose();
    }
  });

  it('a GPT-2-style causal LM with a KV cache (model_type gpt2): every dtype, logits against fp32, and generate()', async () => {
    writeModelFolder(root, 'gpt2', GPT2_CONFIG, buildGpt2());
    writeFileSync(path.join(root, 'gpt2', 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 0 }));
    const made = await makeVariants('gpt2');
    expect(made.exitCode, made.stdout).toBe(0);
    expect(made.dtypes).toEqual(ALL_DTYPES);

    type CausalLM = Loaded & ((inputs: object) => Promise<{ logits: Tensor }>) & { generate(options: object): Promise<Tensor> };
    const prompt = { input_ids: ids([[5, 17, 42, 8, 91, 33, 12, 60, 7, 7]]), attention_mask: ids([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]) };
    const reference = await load<CausalLM>(AutoModelForCausalLM, 'gpt2', 'fp32');
    const expected = floats((await reference(prompt)).logits);
    await reference.dispose();
    for (const dtype of made.dtypes) {
      const model = await load<CausalLM>(AutoModelForCausalLM, 'gpt2', dtype);
      const { logits } = await model(prompt);
      expect(logits.dims, dtype).toEqual([1, 10, GPT2_CONFIG.vocab_size]);
      expect(cosine(floats(logits), expected), dtype).toBeGreaterThanOrEqual(FLOOR[dtype]!);
      expect(
        floatInputs(model).every((t) => t === 'float32'),
        dtype,
      ).toBe(true);
      // Generation feeds the cache back (past_key_values.* inputs of past length > 0).
      const generated = await model.generate({ ...prompt, max_new_tokens: 4, min_new_tokens: 4, do_sample: false });
      expect(generated.dims, dtype).toEqual([1, 14]);
      await model.dispose();
    }
  });

  it('an image classifier with a Conv and a float input (model_type vit): q8 has uint8 weights, every dtype takes float32 pixels', async () => {
    writeModelFolder(root, 'vit', VIT_CONFIG, buildVit());
    const made = await makeVariants('vit');
    expect(made.exitCode, made.stdout).toBe(0);
    expect(made.dtypes).toEqual(ALL_DTYPES);
    // transformers.js' q8 rule: a model with Conv gets uint8 weights (onnxruntime-web has no int8 ConvInteger).
    const weightTypes = (file: string) =>
      new Set([...loadModel(path.join(root, 'vit', 'onnx', file)).graph.initializers.values()].map((v) => v.initializer!.dataType));
    expect(weightTypes('model_quantized.onnx').has(DataType.UINT8)).toBe(true);
    expect(weightTypes('model_quantized.onnx').has(DataType.INT8)).toBe(false);
    expect(weightTypes('model_int8.onnx').has(DataType.INT8)).toBe(true);

    type Classifier = Loaded & ((inputs: object) => Promise<{ logits: Tensor }>);
    const size = VIT_CONFIG.image_size;
    const pixels = new Tensor(
      'float32',
      Float32Array.from({ length: 2 * 3 * size * size }, (_v, i) => Math.sin(i * 0.37)),
      [2, 3, size, size],
    );
    const reference = await load<Classifier>(AutoModelForImageClassification, 'vit', 'fp32');
    const expected = floats((await reference({ pixel_values: pixels })).logits);
    await reference.dispose();
    for (const dtype of made.dtypes) {
      // A float16 pixel_values input would fail here: transformers.js feeds the float32 tensor as it is.
      const model = await load<Classifier>(AutoModelForImageClassification, 'vit', dtype);
      const { logits } = await model({ pixel_values: pixels });
      expect(logits.dims, dtype).toEqual([2, 10]);
      expect(cosine(floats(logits), expected), dtype).toBeGreaterThanOrEqual(FLOOR[dtype]!);
      await model.dispose();
    }
  });

  it.skipIf(!HAVE_CORPUS)('the corpus exports: bert_tiny (torch.onnx BertForSequenceClassification) and char_gpt as gpt2', async () => {
    const corpus = [
      {
        name: 'bert_tiny',
        Auto: AutoModelForSequenceClassification,
        config: {
          model_type: 'bert',
          architectures: ['BertForSequenceClassification'],
          num_hidden_layers: 2,
          num_attention_heads: 2,
          hidden_size: 128,
        },
        inputs: bertInputs,
      },
      {
        name: 'char_gpt',
        Auto: AutoModelForCausalLM,
        config: { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 4, n_head: 4, n_embd: 192, vocab_size: 256, use_cache: false },
        inputs: { input_ids: ids([[...'def main(args):\n    return'].map((ch) => ch.charCodeAt(0))]) },
      },
    ];
    for (const c of corpus) {
      mkdirSync(path.join(root, c.name, 'onnx'), { recursive: true });
      writeFileSync(path.join(root, c.name, 'config.json'), JSON.stringify(c.config));
      copyFileSync(path.join(CORPUS_MODELS_DIR, c.name, 'model.onnx'), path.join(root, c.name, 'onnx', 'model.onnx'));
      const made = await makeVariants(c.name);
      expect(made.dtypes, made.stdout).toEqual(ALL_DTYPES);
      type Model = Loaded & ((inputs: object) => Promise<{ logits: Tensor }>);
      const reference = await load<Model>(c.Auto, c.name, 'fp32');
      const expected = floats((await reference(c.inputs)).logits);
      await reference.dispose();
      for (const dtype of made.dtypes) {
        const model = await load<Model>(c.Auto, c.name, dtype);
        expect(cosine(floats((await model(c.inputs)).logits), expected), `${c.name} ${dtype}`).toBeGreaterThanOrEqual(FLOOR[dtype]!);
        await model.dispose();
      }
    }
  });
});
