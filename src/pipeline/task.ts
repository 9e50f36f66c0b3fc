/**
 * What the run sends a worker (one model, its variants) and what the worker sends back: JSON, one message
 * per line on stdout, each line marked so that anything else a library prints there is ignored.
 */
import type { ConversionSummary } from '../conversions/types.js';
import type { ValidationResult } from '../validate/types.js';
import type { EntryError, EntryStatus, PassSpec } from './types.js';
import type { NormalizedValidateOptions } from '../validate/options.js';

export interface VariantTask {
  variant: string;
  passes: PassSpec[];
  output: string;
  /** What the validator module receives. */
  options: NormalizedValidateOptions;
}

export interface WorkerTask {
  model: string;
  input: string;
  /** A validator module path; absent: onnxpress's own runner. */
  validator?: string;
  /** Modules of extra conversions to load (ConversionRegistry.withModules). */
  plugins?: string[];
  variants: VariantTask[];
}

export interface WorkerEntry {
  variant: string;
  status: EntryStatus;
  outputBytes?: number;
  /** The converted model file and its external data file, when written. */
  outputFiles?: string[];
  conversion?: ConversionSummary[];
  result?: ValidationResult;
  error?: EntryError;
  seconds: number;
  /** Whether the same inputs would give the same outcome: not for a missing runner or a system error (ENOMEM...). */
  cacheable: boolean;
}

export interface ConvertedVariant {
  outputBytes: number;
  outputFiles: string[];
  conversion: ConversionSummary[];
}

export type WorkerMessage =
  | { type: 'stage'; variant: string; stage: 'convert' }
  /** Validation starts: the conversion is done (and survives a crash during validation). */
  | { type: 'stage'; variant: string; stage: 'validate'; converted: ConvertedVariant }
  | { type: 'entry'; entry: WorkerEntry };

const MARK = '\u001eonnxpress-worker ';

export function encodeMessage(message: WorkerMessage): string {
  return `${MARK}${stringifyLossless(message)}\n`;
}

export function decodeMessageLine(line: string): WorkerMessage | undefined {
  const at = line.indexOf(MARK);
  return at < 0 ? undefined : (parseLossless(line.slice(at + MARK.length)) as WorkerMessage);
}

/** JSON that keeps Infinity, -Infinity and NaN (SNR of identical outputs is +Infinity) and writes bigints as strings. */
export function stringifyLossless(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    indent,
  );
}

export function parseLossless(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') return Number((v as { $number: string }).$number);
    }
    return v;
  });
}

export function encodeTask(task: WorkerTask): string {
  return stringifyLossless(task);
}

export function decodeTask(text: string): WorkerTask {
  return parseLossless(text) as WorkerTask;
}
