/** Coded errors: each factory makes its code; the file leads the message; the CLI prints the hint on the same line. */
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import type { ErrorCode } from '../src/errors.js';

const FACTORIES: [keyof typeof errors, ErrorCode][] = [
  ['readError', 'E_READ'],
  ['writeError', 'E_WRITE'],
  ['parseError', 'E_PARSE'],
  ['modelError', 'E_MODEL'],
  ['externalDataError', 'E_EXTERNAL_DATA'],
  ['tooLargeError', 'E_TOO_LARGE'],
  ['usageError', 'E_USAGE'],
  ['passError', 'E_PASS'],
  ['runtimeError', 'E_RUNTIME'],
  ['timeoutError', 'E_TIMEOUT'],
  ['inputError', 'E_INPUT'],
  ['pipelineError', 'E_PIPELINE'],
];

describe('error factories', () => {
  it.each(FACTORIES)('%s makes %s errors', (name, code) => {
    const make = errors[name] as (message: string, options?: errors.ErrorOptions) => errors.OnnxpressError;
    const cause = new Error('low level');
    const e = make('what is wrong', { file: 'model.onnx', offset: 12, hint: 'try this', cause });
    expect(e).toBeInstanceOf(errors.OnnxpressError);
    expect(e).toMatchObject({ code, file: 'model.onnx', offset: 12, hint: 'try this', message: 'model.onnx: what is wrong', cause });
    expect(make('no file').message).toBe('no file');
  });

  it('every error code has its factory', () => {
    const codes: ErrorCode[] = [
      'E_READ',
      'E_WRITE',
      'E_PARSE',
      'E_MODEL',
      'E_EXTERNAL_DATA',
      'E_TOO_LARGE',
      'E_USAGE',
      'E_PASS',
      'E_RUNTIME',
      'E_TIMEOUT',
      'E_INPUT',
      'E_PIPELINE',
    ];
    expect(FACTORIES.map(([, code]) => code).sort()).toEqual([...codes].sort());
  });
});

describe('the CLI prints a hint after the message, on the same line', () => {
  it('reportError', async () => {
    const { reportError } = await import('../src/cli/output.js');
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => {
      written.push(chunk);
      return true;
    };
    try {
      expect(reportError(errors.usageError('--jobs 0: expected a positive integer', { hint: 'use --jobs 1 or more' }), false)).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).toBe('onnxpress: --jobs 0: expected a positive integer (use --jobs 1 or more)\n');
  });
});
