/** What the FP16 pass reports: converted, kept, clamped, inserted. */
import type { KeepReason } from './plan.js';

export interface TensorCount {
  tensor: string;
  count: number;
  /** For clamped values: the tensor's values beyond +-65504 stand in for infinity (a mask fill), so clamping keeps their meaning. */
  standIn?: boolean;
}

export interface KeptNode {
  name: string | undefined;
  op: string;
  domain: string | undefined;
  reason: KeepReason;
  /** The block rule's reason, or the auto-block measurement. */
  detail?: string;
}

/** A type alias (not an interface) so that it is a ConversionSummary as is. */
export type Fp16Summary = {
  kind: 'fp16';
  modified: boolean;
  notes: string[];
  converted: {
    /** Float32 initializers written as float16. */
    initializers: number;
    /** Bytes of float32 initializer data before, and of their float16 replacement after. */
    initializerBytes: { before: number; after: number };
    /** Constant / ConstantOfShape values written as float16. */
    constants: number;
    /** Cast(to=FLOAT) nodes now casting to FLOAT16. */
    castTargets: number;
    /** dtype / output_datatype / Optional type attributes set to float16. */
    dtypeAttributes: number;
    graphInputs: string[];
    graphOutputs: string[];
    /** Declared types (value_info, inputs and outputs of all graphs) changed to float16. */
    declaredTypes: number;
  };
  kept: {
    /** Nodes that run float32 and touch float data. */
    nodes: KeptNode[];
    /** Float32 initializers kept float32 (every reader needs float32). */
    initializers: string[];
    /** Graph inputs and outputs kept float32 (--keep-io-types). */
    io: string[];
  };
  /** Per tensor: finite values beyond +-65504 written as +-65504. */
  clamped: TensorCount[];
  /** Per tensor: float16-subnormal values written as zero (with flushSubnormals). */
  flushed: TensorCount[];
  inserted: {
    /** Casts added at precision boundaries (after cleanup). */
    casts: number;
    /** Float32 copies of constants read by both float16 and float32 nodes. */
    constantCopies: number;
  };
  removed: {
    /** Casts removed as redundant (the model's own, and the pass's). */
    casts: number;
  };
  autoBlock?: {
    /** Float values measured. */
    measured: number;
    /** Values over the threshold, largest first. */
    overflowing: { value: string; maxAbs: number }[];
    threshold: number;
  };
};

export function emptySummary(): Fp16Summary {
  return {
    kind: 'fp16',
    modified: false,
    notes: [],
    converted: {
      initializers: 0,
      initializerBytes: { before: 0, after: 0 },
      constants: 0,
      castTargets: 0,
      dtypeAttributes: 0,
      graphInputs: [],
      graphOutputs: [],
      declaredTypes: 0,
    },
    kept: { nodes: [], initializers: [], io: [] },
    clamped: [],
    flushed: [],
    inserted: { casts: 0, constantCopies: 0 },
    removed: { casts: 0 },
  };
}
