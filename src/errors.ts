/**
 * Errors users see: one line naming the file and what is wrong. The CLI
 * prints `message` and exits 2; the stack is shown only with --verbose.
 */
export type ErrorCode =
  | 'E_READ'
  | 'E_WRITE'
  | 'E_PARSE'
  | 'E_MODEL'
  | 'E_EXTERNAL_DATA'
  | 'E_TOO_LARGE'
  | 'E_USAGE'
  | 'E_PASS'
  | 'E_RUNTIME'
  | 'E_TIMEOUT'
  | 'E_INPUT'
  | 'E_PIPELINE';

export class OnnxpressError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly offset: number | undefined;

  constructor(code: ErrorCode, message: string, options: { file?: string; offset?: number; cause?: unknown } = {}) {
    const where = options.file ? `${options.file}: ` : '';
    super(`${where}${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnnxpressError';
    this.code = code;
    this.file = options.file;
    this.offset = options.offset;
  }
}

export function isOnnxpressError(e: unknown): e is OnnxpressError {
  return e instanceof OnnxpressError;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Names from a model file may hold newlines or other control characters; an error stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
