/**
 * Errors users see: one line naming the file and what is wrong, with an optional hint of what to do. The CLI
 * prints `message` (and the hint) and exits 2; the stack is shown only with --verbose. Make them with the factory
 * of their code (`usageError`, `inputError`, ...), so every error of a kind is built the same way.
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

export interface ErrorOptions {
  /** The file the error is about: it leads the message. */
  file?: string;
  /** Byte offset in the file, where that is known. */
  offset?: number;
  /** What the user can do about it (one sentence); printed after the message. */
  hint?: string;
  cause?: unknown;
}

export class OnnxpressError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    const where = options.file ? `${options.file}: ` : '';
    super(`${where}${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnnxpressError';
    this.code = code;
    this.file = options.file;
    this.offset = options.offset;
    this.hint = options.hint;
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
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are escaped
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

type Factory = (message: string, options?: ErrorOptions) => OnnxpressError;
const factory =
  (code: ErrorCode): Factory =>
  (message, options) =>
    new OnnxpressError(code, message, options);

/** A file could not be read. */
export const readError = factory('E_READ');
/** A file could not be written. */
export const writeError = factory('E_WRITE');
/** A file is not a well-formed ONNX (protobuf) file. */
export const parseError = factory('E_PARSE');
/** The model is well-formed but wrong or unsupported (a missing value, an opset the pass cannot handle). */
export const modelError = factory('E_MODEL');
/** External data is missing, outside the model folder, or too short. */
export const externalDataError = factory('E_EXTERNAL_DATA');
/** Past a size limit (protobuf's 2 GiB, a typed array's length). */
export const tooLargeError = factory('E_TOO_LARGE');
/** The command line, options or API arguments are wrong. */
export const usageError = factory('E_USAGE');
/** A pass failed or broke its contract. */
export const passError = factory('E_PASS');
/** ONNX Runtime refused or crashed. */
export const runtimeError = factory('E_RUNTIME');
/** A time limit ran out. */
export const timeoutError = factory('E_TIMEOUT');
/** Input data (tensors, labels) is wrong for the model. */
export const inputError = factory('E_INPUT');
/** A pipeline file is wrong. */
export const pipelineError = factory('E_PIPELINE');
