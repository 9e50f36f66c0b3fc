/** External tensor data: safe resolution of locations, lazy reads. */
import { statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep, win32 } from 'node:path';
import type { ExternalLocation } from '../ir/tensor.js';
import { OnnxpressError } from './errors.js';
import { readRange, systemMessage } from './read-bytes.js';

/**
 * The file an external-data location names, inside the model's folder.
 * Like ONNX Runtime, refuses absolute paths and any `..` step out of it.
 */
export function resolveExternalPath(modelPath: string, modelDir: string, location: string): string {
  const bad = (why: string): never => {
    throw new OnnxpressError('E_EXTERNAL_DATA', `external data location '${location}' ${why}`, { file: modelPath });
  };
  if (location === '') bad('is empty');
  if (location.includes('\0')) bad('contains a NUL character');
  if (isAbsolute(location) || win32.isAbsolute(location)) bad('is an absolute path; it must be relative to the model folder');
  const parts = location.split(/[\\/]+/);
  if (parts.includes('..')) bad("leaves the model folder ('..')");
  return join(modelDir, normalize(parts.join(sep)));
}

/** A loader that reads the tensor's bytes on first use, checking them against the file's size. */
export function externalLoader(modelPath: string, modelDir: string, ref: ExternalLocation, tensorName: string | undefined): () => Uint8Array {
  const file = resolveExternalPath(modelPath, modelDir, ref.location);
  return () => {
    const what = `tensor '${tensorName ?? ''}' (external data ${ref.location})`;
    let size: number;
    try {
      size = statSync(file).size;
    } catch (e) {
      throw new OnnxpressError('E_EXTERNAL_DATA', `${what}: ${systemMessage(e)}`, { file: modelPath, cause: e });
    }
    const length = ref.length ?? size - ref.offset;
    if (ref.offset > size || length < 0 || ref.offset + length > size) {
      throw new OnnxpressError('E_EXTERNAL_DATA', `${what}: bytes ${ref.offset}..${ref.offset + length} lie past the end of the ${size}-byte file`, {
        file: modelPath,
      });
    }
    return readRange(file, ref.offset, length);
  };
}
