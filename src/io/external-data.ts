/** External tensor data: safe resolution of locations, lazy reads. */
import { statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep, win32 } from 'node:path';
import type { ExternalLocation } from '../ir/tensor.js';
import { externalDataError, oneLine } from '../errors.js';
import { readRange, systemMessage } from './read-bytes.js';

/**
 * The file an external-data location names, inside the model's folder.
 * Like ONNX Runtime, refuses absolute paths and any `..` step out of it.
 */
export function resolveExternalPath(modelPath: string, modelDir: string, location: string): string {
  const bad = (why: string): never => {
    throw externalDataError(`external data location '${location}' ${why}`, { file: modelPath });
  };
  if (location === '') bad('is empty');
  if (location.includes('\0')) bad('contains a NUL character');
  if (isAbsolute(location) || win32.isAbsolute(location)) bad('is an absolute path; it must be relative to the model folder');
  const parts = location.split(/[\\/]+/);
  if (parts.includes('..')) bad("leaves the model folder ('..')");
  return join(modelDir, normalize(parts.join(sep)));
}

/**
 * Loaders for a model's external tensors. Each reference is checked when the
 * model is read (one stat per data file): a missing file, a folder, or bytes
 * past the end of the file make the model invalid for every command, not only
 * for those that read the weights. The bytes themselves are read on first use.
 */
export function externalLoaders(modelPath: string, modelDir: string): (ref: ExternalLocation, tensorName: string | undefined) => () => Uint8Array {
  const sizes = new Map<string, number>();
  return (ref, tensorName) => {
    const what = `tensor '${oneLine(tensorName ?? '')}' (external data ${oneLine(ref.location)})`;
    const fail = (why: string, cause?: unknown): never => {
      throw externalDataError(`${what}: ${why}`, { file: modelPath, cause });
    };
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: a location must hold none
    if (/[\u0000-\u001f\u007f]/.test(ref.location)) fail('the location holds a control character');
    const dataPath = resolveExternalPath(modelPath, modelDir, ref.location);
    let size = sizes.get(dataPath);
    if (size === undefined) {
      let stat;
      try {
        stat = statSync(dataPath);
      } catch (e) {
        return fail(systemMessage(e), e);
      }
      if (!stat.isFile()) fail('not a regular file');
      size = stat.size;
      sizes.set(dataPath, size);
    }
    const length = ref.length ?? size - ref.offset;
    if (ref.offset > size || length < 0 || ref.offset + length > size) {
      fail(`bytes ${ref.offset}..${ref.offset + length} lie past the end of the ${size}-byte file`);
    }
    return () => {
      try {
        return readRange(dataPath, ref.offset, length);
      } catch (e) {
        return fail(oneLine(systemMessage(e)), e);
      }
    };
  };
}
