/** Where the conformance corpus is, and whether tests that need it run. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CORPUS = process.env.ONNXPRESS_CORPUS ?? resolve(REPO_ROOT, '../shared/corpus');
export const HAVE_CORPUS = existsSync(CORPUS);

if (!HAVE_CORPUS && process.env.ONNXPRESS_REQUIRE_CORPUS) {
  throw new Error(`ONNXPRESS_REQUIRE_CORPUS is set but the corpus is missing at ${CORPUS}`);
}

/** The exported models: models/NAME/ holds model.onnx, test_data_set_0/, ort/ (onnxruntime's conversions), meta.json. */
export const CORPUS_MODELS_DIR = join(CORPUS, 'models');

/** ONNX's backend node tests: onnx-backend/node/NAME/ holds model.onnx and test_data_set_0/. */
export const BACKEND_NODE_DIR = join(CORPUS, 'onnx-backend', 'node');

/** Every .onnx file below a folder. */
export function onnxFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.onnx')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** The models under models/, by name. */
export const CORPUS_MODELS = ['bert_tiny', 'char_gpt', 'digits_cnn', 'marian_tiny', 't5_tiny', 'vit_tiny'];
