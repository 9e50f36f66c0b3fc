/**
 * The contract between a pipeline and the code that validates one converted model against its original.
 * Workers load the validator by module path (a function cannot cross into a child process), so a run can
 * use onnxpress's own runner or any module with the same `validate` export.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConversionKind, Threshold, ValidationResult } from '../validate/types.js';
import type { PlannedInputs } from './plan.js';

export interface ValidateRequest {
  /** The original model, and its name in reports (the model id). */
  baseline: { path: string; name: string };
  /** The converted model, and its name in reports (the variant name). */
  candidate: { path: string; name: string };
  kind: ConversionKind;
  /** The thresholds in force, defaults already merged: pass them to buildValidationResult as they are. */
  thresholds: Threshold[];
  /** A test_data_set folder (input_N.pb), or random inputs from a seed. */
  inputs: PlannedInputs;
  /** Values for symbolic input dimensions (used for random inputs). */
  dims: Record<string, number>;
  /** A labels.pb file: accuracy of the first output's argmax over its last axis. */
  labels?: string;
  /** false: do not measure latency; otherwise settings, missing ones at the runner's defaults. */
  latency: false | { warmup?: number; rounds?: number };
  executionProvider: string;
}

/** Validates one candidate; throws (preferably an OnnxpressError with a code) when it cannot. */
export type ValidateFn = (request: ValidateRequest) => Promise<ValidationResult>;

/** The export name a validator module must provide. */
export const VALIDATE_EXPORT = 'validate';

/** onnxpress's own validation runner, relative to this file (src/pipeline or dist/pipeline). */
export function defaultValidatorModule(): string {
  return fileURLToPath(new URL('../validate/run.js', import.meta.url));
}

export class ValidatorUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidatorUnavailableError';
  }
}

export async function loadValidator(modulePath: string = defaultValidatorModule()): Promise<ValidateFn> {
  if (!existsSync(modulePath)) throw new ValidatorUnavailableError(`the validation runner ${modulePath} does not exist`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (e) {
    throw new ValidatorUnavailableError(`cannot load the validation runner ${modulePath}: ${(e as Error).message}`);
  }
  const fn = loaded[VALIDATE_EXPORT];
  if (typeof fn !== 'function') throw new ValidatorUnavailableError(`${modulePath} has no '${VALIDATE_EXPORT}' function export`);
  return fn as ValidateFn;
}
