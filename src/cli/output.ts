/** How the CLI talks: results on stdout, one-line errors on stderr, exit codes 0 / 1 / 2. */
import { isOnnxpressError, messageOf, oneLine } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_ERROR = 2;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/** Prints an error as one line (the stack only when verbose) and returns the exit code for it. */
export function reportError(e: unknown, verbose: boolean): number {
  const message = isOnnxpressError(e) ? e.message : `internal error: ${messageOf(e)}`;
  const hint = isOnnxpressError(e) && e.hint ? ` (${e.hint})` : '';
  process.stderr.write(`onnxpress: ${oneLine(message)}${oneLine(hint)}\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!isOnnxpressError(e)) process.stderr.write('(run with --verbose for the stack trace)\n');
  return EXIT_ERROR;
}
