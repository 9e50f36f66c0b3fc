/** The benchmark's model file: BERT-base, generated on first use and reused while its size is right. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { saveModel } from '../io/save.js';
import { encodedSize } from '../proto/codec.js';
import { serializeModel } from '../proto/serde.js';
import { generateBertBase } from '../testing/bert-base.js';

export interface BenchModel {
  path: string;
  bytes: number;
  /** Seconds spent generating and writing it; undefined when the existing file was reused. */
  generatedIn: number | undefined;
}

/** The file size the generator produces, worked out without drawing the weights. */
function expectedSize(): number {
  return encodedSize(serializeModel(generateBertBase({ fillWeights: false })));
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

export function ensureBertBase(path: string, options: { regenerate?: boolean } = {}): BenchModel {
  const want = expectedSize();
  if (!options.regenerate && sizeOf(path) === want) return { path, bytes: want, generatedIn: undefined };
  mkdirSync(dirname(path), { recursive: true });
  const start = process.hrtime.bigint();
  const saved = saveModel(generateBertBase(), path);
  const generatedIn = Number(process.hrtime.bigint() - start) / 1e9;
  if (saved.bytes !== want) throw new Error(`generated ${saved.bytes} bytes, expected ${want}`);
  return { path, bytes: saved.bytes, generatedIn };
}
