/** `convert --to fp16`: the FP16 pass's flags (and pipeline keys), and the options it is made with. */
import { usageError } from '../errors.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { findTestDataSets, loadTestInputs } from '../io/tensor-files.js';
import { DEFAULT_AUTO_BLOCK_THRESHOLD, splitList, type Fp16Options } from '../passes/fp16/options.js';
import type { ConversionDef } from './types.js';

/** Input sets for --auto-block: `dir` holds input_K.pb files, or test_data_set_N folders of them. */
export function loadInputSets(model: Model, dir: string): Map<string, Tensor>[] {
  const inputNames = model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name);
  return findTestDataSets(dir).map((set) => loadTestInputs(set, inputNames));
}

/** Pass options from CLI flags / pipeline keys (camelCase). */
export async function fp16OptionsFrom(model: Model, options: Record<string, unknown>): Promise<Fp16Options> {
  const keep = options.keepIoTypes;
  const out: Fp16Options = {
    keepIoTypes: keep === undefined || keep === false ? false : keep === true ? true : splitList(keep as string[] | string),
    blockOps: splitList(options.blockOps as string[] | string | undefined),
    blockNodes: splitList(options.blockNodes as string[] | string | undefined),
    defaultBlockList: options.defaultBlockList !== false,
    guardConstants: options.guardConstants !== false,
    flushSubnormals: options.flushSubnormals === true,
  };
  if (options.autoBlock) {
    const dir = options.inputs;
    if (typeof dir !== 'string' || dir === '') throw usageError('--auto-block needs --inputs DIR (test_data_set_N/input_K.pb files)');
    const threshold = options.autoBlockThreshold;
    const { measureForAutoBlock } = await import('../runtime/activations.js');
    out.autoBlock = await measureForAutoBlock(
      model,
      loadInputSets(model, dir),
      typeof threshold === 'number' && Number.isFinite(threshold) ? threshold : undefined,
    );
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
    'flush-subnormals': { type: 'boolean', describe: "Write weights below float16's normal range (|x| < 2^-14) as zero instead of rounding them" },
    'default-block-list': { type: 'boolean', describe: 'Apply the default block list (on unless --no-default-block-list)' },
    'guard-constants': {
      type: 'boolean',
      describe:
        'Keep float32 the nodes that compute from constants float16 cannot hold: values beyond +-65504, divisors and ' +
        'variances it changes, epsilons it turns into 0 (on unless --no-guard-constants, which clamps them as before)',
    },
  },
  kind: 'fp16',
  async passes(options, { model }) {
    const fp16Options = await fp16OptionsFrom(model, options);
    const { Fp16Pass } = await import('../passes/fp16/convert.js');
    return [new Fp16Pass(fp16Options)];
  },
};
