/** Converting model files: load, run the requested conversion, save next to nothing it read. */
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ConversionDef, ConversionSummary } from './conversion-def.js';
import type { Model } from './ir/model.js';
import { OnnxpressError } from './errors.js';
import { loadModel } from './io/load.js';
import { saveModel, type SaveResult } from './io/save.js';

const NONE: ConversionDef = {
  name: 'none',
  describe: 're-save the model unchanged (lossless)',
  options: {},
  run: () => ({ kind: 'none', modified: false }),
};

const conversions = new Map<string, ConversionDef>([[NONE.name, NONE]]);

/** Makes a conversion available to `convert --to NAME` and pipelines. */
export function registerConversion(def: ConversionDef): void {
  conversions.set(def.name, def);
}

export function conversionNames(): string[] {
  return [...conversions.keys()];
}

export function conversionDefs(): ConversionDef[] {
  return [...conversions.values()];
}

export function convertModel(model: Model, to: string, options: Record<string, unknown> = {}): ConversionSummary {
  const conversion = conversions.get(to);
  if (!conversion) throw new OnnxpressError('E_USAGE', `unknown conversion '${to}' (known: ${conversionNames().join(', ')})`);
  return conversion.run(model, options);
}

export interface ConvertFileResult {
  input: string;
  output: string;
  inputBytes: number;
  save: SaveResult;
  summary: ConversionSummary;
}

export function convertFile(
  input: string,
  output: string,
  to: string,
  options: Record<string, unknown> = {},
  protect: readonly string[] = [],
): ConvertFileResult {
  const model = loadModel(input);
  const summary = convertModel(model, to, options);
  const save = saveModel(model, output, { protect: [input, ...protect] });
  return { input, output: save.path, inputBytes: statSync(input).size, save, summary };
}

/** Output paths for inputs: `-o` for exactly one input, or the same file names in `--out-dir`. */
export function outputPaths(inputs: readonly string[], out: string | undefined, outDir: string | undefined): string[] {
  if (out && outDir) throw new OnnxpressError('E_USAGE', 'give either -o/--out or --out-dir, not both');
  if (out) {
    if (inputs.length !== 1) throw new OnnxpressError('E_USAGE', `-o names one output but ${inputs.length} models were given; use --out-dir`);
    return [resolve(out)];
  }
  if (!outDir) throw new OnnxpressError('E_USAGE', 'say where to write: -o FILE (one model) or --out-dir DIR');
  const names = new Set<string>();
  return inputs.map((input) => {
    const name = basename(input);
    if (names.has(name)) throw new OnnxpressError('E_USAGE', `two inputs are named ${name}; they would write the same file in ${outDir}`);
    names.add(name);
    return join(resolve(outDir), name);
  });
}
