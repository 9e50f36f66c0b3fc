/** Reading models: bytes -> protobuf messages -> IR, with clear errors for anything that is not a model. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decode } from '../proto/codec.js';
import { deserializeModel } from '../proto/serde.js';
import { WireError } from '../proto/wire.js';
import type { Model } from '../ir/model.js';
import type { ExternalLocation } from '../ir/tensor.js';
import { OnnxpressError, isOnnxpressError, messageOf, oneLine } from './errors.js';
import { externalLoader, resolveExternalPath } from './external-data.js';
import { readBytes, readRange, systemMessage } from './read-bytes.js';
import { holeOf, readSkeleton, type Skeleton } from './skeleton.js';

const MAGIC: [Uint8Array, string][] = [
  [Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), 'a PNG image'],
  [Uint8Array.from([0xff, 0xd8, 0xff]), 'a JPEG image'],
  [Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), 'a ZIP archive (a PyTorch checkpoint?)'],
  [Uint8Array.from([0x1f, 0x8b]), 'a gzip file'],
  [Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]), 'an ELF binary'],
  [Uint8Array.from([0x25, 0x50, 0x44, 0x46]), 'a PDF document'],
];

function recognizeOtherFormat(bytes: Uint8Array): string | undefined {
  for (const [magic, what] of MAGIC) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return what;
  }
  return undefined;
}

export interface ParseOptions {
  /** The file the bytes came from: named in errors, and the base for external data. */
  path?: string;
  /** Raw data that was left unread (see skeleton.ts), with its loader. */
  deferredRawData?: (view: Uint8Array) => (() => Uint8Array) | undefined;
  /** The bytes are a buffer only this model uses: passes may then convert weights in place. */
  privateBytes?: boolean;
}

export interface LoadOptions {
  /**
   * Leave large inline weights unread until something asks for them (for
   * commands that only look at the structure, such as inspect).
   */
  deferWeights?: boolean;
}

/** Decodes a model from bytes. Tensor data stays a view of `bytes`. */
export function parseModel(bytes: Uint8Array, options: ParseOptions = {}): Model {
  const path = options.path;
  const file = path ?? '<memory>';
  if (bytes.length === 0) throw new OnnxpressError('E_PARSE', 'file is empty', { file });
  const other = recognizeOtherFormat(bytes);
  if (other) throw new OnnxpressError('E_PARSE', `not an ONNX model: this is ${other}`, { file });
  let model: Model;
  try {
    const msg = decode(bytes, 'ModelProto');
    if (msg.ir_version === undefined && msg.graph === undefined) {
      throw new OnnxpressError('E_PARSE', 'not an ONNX model: no ir_version and no graph', { file });
    }
    const dir = path ? dirname(resolve(path)) : undefined;
    model = deserializeModel(msg, {
      externalLoader: dir ? checkedExternalLoader(file, dir) : undefined,
      deferredRawData: options.deferredRawData,
      privateBytes: options.privateBytes,
    });
  } catch (e) {
    if (isOnnxpressError(e)) throw e;
    if (e instanceof WireError) {
      throw new OnnxpressError('E_PARSE', `not a valid ONNX model: ${e.message}`, { file, offset: e.offset, cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new OnnxpressError('E_PARSE', 'not a valid ONNX model: nested too deeply', { file, cause: e });
    }
    throw new OnnxpressError('E_PARSE', `not a valid ONNX model: ${oneLine(messageOf(e))}`, { file, cause: e });
  }
  model.sourcePath = path ? resolve(path) : undefined;
  return model;
}

export function loadModel(path: string, options: LoadOptions = {}): Model {
  if (options.deferWeights) {
    const skeleton = safeSkeleton(path);
    if (skeleton) {
      return parseModel(skeleton.bytes, {
        path,
        deferredRawData: (view) => {
          const hole = holeOf(skeleton, view);
          if (!hole) return undefined;
          return () => readRange(path, hole.start, hole.end - hole.start);
        },
      });
    }
  }
  return parseModel(readBytes(path), { path, privateBytes: true });
}

/** The skeleton, or undefined when the file cannot be walked (the full read then reports why). */
function safeSkeleton(path: string): Skeleton | undefined {
  try {
    return readSkeleton(path);
  } catch {
    return undefined;
  }
}


/**
 * External data references, checked when the model is read (a stat per data
 * file, no reads): a missing file, a folder, or bytes past the end of the file
 * make the model invalid for every command, not only for those that read the
 * weights. The data itself is still read on first use.
 */
function checkedExternalLoader(file: string, dir: string): (ref: ExternalLocation, name: string | undefined) => () => Uint8Array {
  const sizes = new Map<string, number>();
  return (ref, name) => {
    const what = `tensor '${oneLine(name ?? '')}' (external data ${oneLine(ref.location)})`;
    const fail = (why: string, cause?: unknown): never => {
      throw new OnnxpressError('E_EXTERNAL_DATA', `${what}: ${why}`, { file, cause });
    };
    if (/[\u0000-\u001f\u007f]/.test(ref.location)) fail('the location holds a control character');
    const load = externalLoader(file, dir, ref, name);
    const dataPath = resolveExternalPath(file, dir, ref.location);
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
        return load();
      } catch (e) {
        if (isOnnxpressError(e)) throw e;
        return fail(oneLine(systemMessage(e)), e);
      }
    };
  };
}
