/**
 * `convert --target node|web|webgpu`: choices that follow where the model will run, as defaults for options the
 * user did not give. The lint of the output against the target's kernels is runtime/op-support/lint.ts.
 */
import type { Target } from '../runtime/op-support/lint.js';

/** What a target changes, said once for --help, the docs and the notes. */
export const TARGET_CHOICES: Readonly<Record<Target, string>> = {
  node: 'no changes',
  web: 'int8 weights as transformers.js q8 makes them (--weight-type auto: uint8 where the model has Conv)',
  webgpu: 'int8 as for web; fp16 and q4f16 keep float32 graph inputs and outputs (--keep-io-types), which WebGPU pipelines read as logits',
};

/**
 * Options `target` sets for conversion `to`, among those the user did not give (`given`: the flags on the command
 * line, in camelCase).
 */
export function targetDefaults(target: Target, to: string, given: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ((target === 'web' || target === 'webgpu') && to === 'int8' && !given.has('weightType')) out.weightType = 'auto';
  if (target === 'webgpu' && (to === 'fp16' || to === 'q4f16') && !given.has('keepIoTypes')) out.keepIoTypes = true;
  return out;
}
