/** Small models, pipeline files and temporary folders for the pipeline tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConversionDef } from '../../src/conversions/types.js';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';

/** A custom validator module that aborts for names starting with "crash" and otherwise runs onnxpress's own (see the file). */
export const CRASHING_VALIDATOR = path.resolve(import.meta.dirname, 'fixtures/crashing-validator.mjs');

export { tempDir } from '../helpers/temp.js';

/** y = x @ W with an 8x8 W that depends on `seed`: a model ONNX Runtime runs in milliseconds. */
export function writeTinyModel(file: string, seed = 1): string {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, ['n', 8]);
  const w = b.initializer(
    'w',
    Float32Array.from({ length: 64 }, (_v, i) => Math.sin((i + 1) * seed)),
    [8, 8],
  );
  b.output(b.node('MatMul', [x, w]), DataType.FLOAT, ['n', 8]);
  mkdirSync(path.dirname(file), { recursive: true });
  saveModel(b.build(), file);
  return file;
}

export function writeFile(file: string, text: string | Uint8Array): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Conversions with fixed options, so that schema tests do not depend on how the real ones evolve. */
export const FAKE_CONVERSIONS: ConversionDef[] = [
  { name: 'none', describe: 'copy', options: {}, passes: () => [] },
  {
    name: 'fp16',
    describe: 'half',
    kind: 'fp16',
    options: { 'keep-io-types': { type: 'boolean', describe: 'keep io' }, 'block-ops': { type: 'array', describe: 'ops' } },
    passes: () => [],
  },
  {
    name: 'int8',
    describe: 'quantize',
    kind: 'int8',
    options: {
      'per-channel': { type: 'boolean', describe: 'per channel' },
      format: { type: 'string', choices: ['qoperator', 'qdq'], default: 'qoperator', describe: 'format' },
      'min-elements': { type: 'number', default: 0, describe: 'min' },
    },
    passes: () => [],
  },
];
