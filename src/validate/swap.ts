/**
 * Which conversion a candidate looks like, and whether the two files look the wrong way round (the float32
 * original given as the candidate). Drift metrics are symmetric, so swapped files pass the drift checks, and an
 * inferred kind of 'other' leaves only the NaN check: a swap must be said out loud.
 */
import { formatBytes } from '../report/format.js';
import type { ConversionKind, ModelReport, SuspectedSwap } from './types.js';

const INT8_TYPES = ['int8', 'uint8'];
const FLOAT16_TYPES = ['float16'];
/** com.microsoft ops whose weights are quantized in blocks (see ModelReport.blockQuantizedNodes). */
export const BLOCK_QUANTIZED_OPS: readonly string[] = ['MatMulNBits', 'GatherBlockQuantized', 'MatMulBnb4'];

function parameterBytes(report: ModelReport, types: readonly string[]): number {
  return report.parameters.filter((p) => types.includes(p.dtype)).reduce((sum, p) => sum + p.bytes, 0);
}

/** Nodes with block-quantized weights (reports written before `blockQuantizedNodes` existed: from their ops). */
function blockQuantized(report: ModelReport): number {
  return report.blockQuantizedNodes ?? BLOCK_QUANTIZED_OPS.reduce((n, op) => n + (report.ops[`com.microsoft::${op}`] ?? 0), 0);
}

/**
 * The conversion a candidate most likely is: 'q4' when it has more nodes with block-quantized weights than the
 * baseline (MatMulNBits, GatherBlockQuantized, blocked DequantizeLinear; q4f16 files too), else 'int8' when it
 * stores more int8/uint8 parameters, 'fp16' when it stores more float16 ones, else 'other'.
 */
export function inferKind(baseline: ModelReport, candidate: ModelReport): ConversionKind {
  if (blockQuantized(candidate) > blockQuantized(baseline)) return 'q4';
  if (parameterBytes(candidate, INT8_TYPES) > parameterBytes(baseline, INT8_TYPES)) return 'int8';
  if (parameterBytes(candidate, FLOAT16_TYPES) > parameterBytes(baseline, FLOAT16_TYPES)) return 'fp16';
  return 'other';
}

/** The candidate is larger than the baseline by more than this fraction... */
export const SWAP_SIZE_RATIO = 1.1;
/** ...and by at least this many bytes (tiny models grow by a few Cast nodes when converted). */
export const SWAP_SIZE_BYTES = 64 * 1024;

/**
 * Signs that the baseline and the candidate are swapped: the candidate file is larger (by more than 10% and
 * 64 KiB), or the kind inferred is 'other' while the files differ in precision the other way round (the baseline
 * stores more int8/uint8 or float16 parameters than the candidate: it looks like the conversion).
 */
export function detectSwap(baseline: ModelReport, candidate: ModelReport): SuspectedSwap | undefined {
  const reasons: string[] = [];
  if (candidate.fileBytes > baseline.fileBytes * SWAP_SIZE_RATIO && candidate.fileBytes - baseline.fileBytes >= SWAP_SIZE_BYTES) {
    reasons.push(
      `the candidate ${candidate.name} (${formatBytes(candidate.fileBytes)}) is larger than the baseline ${baseline.name} (${formatBytes(baseline.fileBytes)})`,
    );
  }
  const reverse = inferKind(candidate, baseline);
  if (inferKind(baseline, candidate) === 'other' && reverse !== 'other') {
    const types = reverse === 'int8' ? INT8_TYPES : FLOAT16_TYPES;
    reasons.push(
      reverse === 'q4'
        ? `the baseline ${baseline.name} has ${blockQuantized(baseline)} node(s) with block-quantized weights and the candidate ` +
            `${candidate.name} ${blockQuantized(candidate)}: it looks like the q4 conversion`
        : `the baseline ${baseline.name} stores more ${types.join('/')} parameters (${formatBytes(parameterBytes(baseline, types))}) than the ` +
            `candidate ${candidate.name} (${formatBytes(parameterBytes(candidate, types))}): it looks like the ${reverse} conversion`,
    );
  }
  return reasons.length > 0 ? { baseline: baseline.path, candidate: candidate.path, reasons } : undefined;
}

/**
 * The kind whose default thresholds apply when none is given: inferKind, or, when the files look swapped, the kind
 * the baseline would be as a conversion of the candidate (drift metrics are symmetric, so its defaults still apply).
 */
export function inferKindOrSwapped(baseline: ModelReport, candidate: ModelReport): ConversionKind {
  const kind = inferKind(baseline, candidate);
  return kind === 'other' && detectSwap(baseline, candidate) ? inferKind(candidate, baseline) : kind;
}

/** The warning a report carries for a suspected swap, naming both files. */
export function swapNote(swap: SuspectedSwap): string {
  return (
    `Warning: baseline and candidate look swapped: ${swap.reasons.join('; ')}. The baseline should be the original model and the ` +
    `candidate its conversion: check the order of ${swap.baseline} (given as the baseline) and ${swap.candidate} (given as the candidate).`
  );
}
