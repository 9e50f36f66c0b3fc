/** `convert --to fp16`: the CLI flags (and pipeline keys) of the FP16 pass. */
import type { ConversionDef, ConversionSummary } from '../../conversion-def.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { OnnxpressError } from '../../errors.js';
import { findTestDataSets, loadTestDataSet } from '../../io/tensor-files.js';
import { toFloat16 } from './convert.js';
import { DEFAULT_AUTO_BLOCK_THRESHOLD, splitList, type Fp16Options } from './options.js';

/** Input sets for --auto-block: `dir` holds input_K.pb files, or test_data_set_N folders of them. */
export function loadInputSets(model: Model, dir: string): Map<string, Tensor>[] {
  const inputNames = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
  return findTestDataSets(dir).map((set) => loadTestDataSet(set, inputNames).inputs);
}

/** Pass options from CLI flags / pipeline keys (camelCase). */
export function fp16OptionsFrom(model: Model, options: Record<string, unknown>): Fp16Options {
  const keep = options.keepIoTypes;
  const out: Fp16Options = {
    keepIoTypes: keep === undefined || keep === false ? false : keep === true ? true : splitList(keep as string[] | string),
    blockOps: splitList(options.blockOps as string[] | string | undefined),
    blockNodes: splitList(options.blockNodes as string[] | string | undefined),
    defaultBlockList: options.defaultBlockList !== false,
    flushSubnormals: options.flushSubnormals === true,
  };
  if (options.autoBlock) {
    const dir = options.inputs;
    if (typeof dir !== 'string' || dir === '') throw new OnnxpressError('E_USAGE', '--auto-block needs --inputs DIR (test_data_set_N/input_K.pb files)');
    const threshold = options.autoBlockThreshold;
    out.autoBlock = {
      inputSets: loadInputSets(model, dir),
      ...(typeof threshold === 'number' && Number.isFinite(threshold) ? { threshold } : {}),
    };
  }
  return out;
}

export const fp16Conversion: ConversionDef = {
  name: 'fp16',
  describe: 'float32 -> float16 weights and activations; ops that need float32 stay float32 between Casts',
  options: {
    'keep-io-types': {
      type: 'array',
      describe: 'Keep graph inputs/outputs float32 with a Cast at each boundary: all of them, or the names given (comma-separated)',
    },
    'block-ops': { type: 'array', describe: 'More operators to keep float32: Op or domain:Op (comma-separated)' },
    'block-nodes': { type: 'array', describe: 'Names of nodes to keep float32 (comma-separated)' },
    'auto-block': {
      type: 'boolean',
      describe: 'Run the float32 model in ONNX Runtime on --inputs and keep float32 the nodes whose values would overflow float16',
    },
    inputs: { type: 'string', describe: 'For --auto-block: a folder of input_K.pb files, or of test_data_set_N folders' },
    'auto-block-threshold': {
      type: 'number',
      describe: `For --auto-block: keep a node float32 when a value it makes or reads passes this |x| (default ${DEFAULT_AUTO_BLOCK_THRESHOLD})`,
    },
    'flush-subnormals': { type: 'boolean', describe: 'Write weights below float16\'s normal range (|x| < 2^-14) as zero instead of rounding them' },
    'default-block-list': { type: 'boolean', describe: 'Apply the default block list (on unless --no-default-block-list)' },
  },
  run(model: Model, options: Record<string, unknown>): ConversionSummary {
    return toFloat16(model, fp16OptionsFrom(model, options)).summary;
  },
};
