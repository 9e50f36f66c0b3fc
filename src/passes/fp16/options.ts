/** Options of the FP16 pass, and their normalized form. */

export interface Fp16Options {
  /** Keep graph inputs/outputs float32 (with one Cast at each boundary): true for all, or the names to keep. */
  keepIoTypes?: boolean | readonly string[];
  /** More operators to keep float32: `Op` (any domain) or `domain:Op`. */
  blockOps?: readonly string[];
  /** Names of nodes to keep float32. */
  blockNodes?: readonly string[];
  /** Apply the default block list (DEFAULT_BLOCK_RULES); default true. */
  defaultBlockList?: boolean;
  /**
   * Keep float32 the float math done on integers and read back as integers
   * (index computations such as T5's position buckets); default true.
   */
  keepIndexMath?: boolean;
  /**
   * Keep float32 the nodes that compute from constants float16 cannot hold (values beyond +-65504, divisors and
   * BatchNormalization variances that float16 moves, epsilons it turns into 0), with no inputs needed; default
   * true. False gives the old behaviour: such values are clamped or rounded like any other (see constants.ts).
   */
  guardConstants?: boolean;
  /** Write float16-subnormal values (0 < |x| < 2^-14) of converted tensors as zero; default false (rounded, kept). */
  flushSubnormals?: boolean;
  /**
   * Keep float32 the nodes whose values would overflow float16, judged by the activations of the float32 model
   * as measured in ONNX Runtime (measureForAutoBlock).
   */
  autoBlock?: AutoBlockOptions;
}

/** How large a value of the float32 model gets, over every input set it was measured on. */
export interface ActivationStats {
  /** Largest finite |x|. */
  maxAbs: number;
  /** NaN and +-Inf elements (in float32 already). */
  nonFinite: number;
}

/**
 * What auto-block decides from: the measured activations of the float32 model (measureForAutoBlock in
 * src/runtime/activations.ts makes these options).
 */
export interface AutoBlockOptions {
  /**
   * By value name: the float32 node outputs of the main graph (see valuesToMeasure) and its float32 graph inputs
   * (see graphInputStats; an input missing here counts as 0).
   */
  activations: ReadonlyMap<string, ActivationStats>;
  /** Block a node when |activation| exceeds this (default 65504 / 2: room for later growth). */
  threshold?: number;
}

export const DEFAULT_AUTO_BLOCK_THRESHOLD = 65504 / 2;

export interface NormalizedFp16Options {
  keepIo: (name: string) => boolean;
  keepIoNames: ReadonlySet<string> | 'all' | 'none';
  blockOps: ReadonlySet<string>;
  blockNodes: ReadonlySet<string>;
  defaultBlockList: boolean;
  keepIndexMath: boolean;
  guardConstants: boolean;
  flushSubnormals: boolean;
  autoBlock: AutoBlockOptions | undefined;
}

/** Splits `a,b` list items (the CLI accepts both repeated flags and comma lists). */
export function splitList(items: readonly string[] | string | undefined): string[] {
  if (items === undefined) return [];
  const list = typeof items === 'string' ? [items] : items;
  return list
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function normalizeFp16Options(options: Fp16Options): NormalizedFp16Options {
  const keep = options.keepIoTypes;
  let keepIoNames: NormalizedFp16Options['keepIoNames'];
  if (keep === true) keepIoNames = 'all';
  else if (!keep) keepIoNames = 'none';
  else {
    const names = splitList(keep);
    keepIoNames = names.length === 0 ? 'all' : new Set(names);
  }
  const keepIo = (name: string): boolean => keepIoNames === 'all' || (keepIoNames !== 'none' && keepIoNames.has(name));
  return {
    keepIo,
    keepIoNames,
    blockOps: new Set(splitList(options.blockOps)),
    blockNodes: new Set(splitList(options.blockNodes)),
    defaultBlockList: options.defaultBlockList ?? true,
    keepIndexMath: options.keepIndexMath ?? true,
    guardConstants: options.guardConstants ?? true,
    flushSubnormals: options.flushSubnormals ?? false,
    autoBlock: options.autoBlock,
  };
}
