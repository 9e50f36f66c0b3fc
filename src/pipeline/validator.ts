/**
 * The contract between a pipeline and the code that validates one converted model against its original: a
 * module whose `validate` export takes the variant's NormalizedValidateOptions (src/validate/options.ts) and
 * returns a ValidationResult. Workers load the validator by module path (a function cannot cross into a child
 * process), so a run can use onnxpress's own (src/validate/validate.ts) or any module with the same export.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NormalizedValidateOptions } from '../validate/options.js';
import type { ValidationResult } from '../validate/types.js';

/** Validates one candidate; throws (preferably an OnnxpressError with a code) when it cannot. */
export type ValidateFn = (options: NormalizedValidateOptions) => Promise<ValidationResult>;

/** The export name a validator module must provide. */
export const VALIDATE_EXPORT = 'validate';

/** onnxpress's own validation, relative to this file (src/pipeline or dist/pipeline). */
export function defaultValidatorModule(): string {
  return fileURLToPath(new URL('../validate/validate.js', import.meta.url));
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
