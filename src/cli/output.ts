/** How the CLI talks: results on stdout, errors on stderr (one line per problem), exit codes 0 / 1 / 2. */
import { isOnnxpressError, messageOf, oneLine } from '../errors.js';
import { formatIssue, PipelineError } from '../pipeline/errors.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_ERROR = 2;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/**
 * The lines an error prints: one, or one per problem for an error that lists several (a pipeline file's). Control
 * characters are escaped inside each line, so a problem never spans lines and the lines stay one per problem.
 */
export function errorLines(e: unknown): string[] {
  const problems =
    e instanceof PipelineError
      ? e.issues.map((issue) => formatIssue(e.pipelineFile, issue))
      : [isOnnxpressError(e) ? e.message : `internal error: ${messageOf(e)}`];
  const hint = isOnnxpressError(e) && e.hint ? ` (${e.hint})` : '';
  return problems.map((problem, i) => `onnxpress: ${oneLine(problem)}${i === problems.length - 1 ? oneLine(hint) : ''}`);
}

/** Prints an error (one line per problem; the stack only when verbose) and returns the exit code for it. */
export function reportError(e: unknown, verbose: boolean): number {
  process.stderr.write(`${errorLines(e).join('\n')}\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!isOnnxpressError(e)) process.stderr.write('(run with --verbose for the stack trace)\n');
  return EXIT_ERROR;
}
