/** Reading models: bytes -> protobuf messages -> IR, with clear errors for anything that is not a model. */
import { dirname, resolve } from 'node:path';
import { decode } from '../proto/codec.js';
import { deserializeModel } from '../proto/serde.js';
import { WireError } from '../proto/wire.js';
import type { Model } from '../ir/model.js';
import { isOnnxpressError, messageOf, oneLine, parseError } from '../errors.js';
import { externalLoaders } from './external-data.js';
import { readBytes, readRange } from './read-bytes.js';
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
  if (bytes.length === 0) throw parseError('file is empty', { file });
  const other = recognizeOtherFormat(bytes);
  if (other) throw parseError(`not an ONNX model: this is ${other}`, { file });
  let model: Model;
  try {
    const msg = decode(bytes, 'ModelProto');
    if (msg.ir_version === undefined && msg.graph === undefined) {
      throw parseError('not an ONNX model: no ir_version and no graph', { file });
    }
    const dir = path ? dirname(resolve(path)) : undefined;
    model = deserializeModel(msg, {
      externalLoader: dir ? externalLoaders(file, dir) : undefined,
      deferredRawData: options.deferredRawData,
      privateBytes: options.privateBytes,
    });
  } catch (e) {
    if (isOnnxpressError(e)) throw e;
    if (e instanceof WireError) {
      throw parseError(`not a valid ONNX model: ${e.message}`, { file, offset: e.offset, cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw parseError('not a valid ONNX model: nested too deeply', { file, cause: e });
    }
    throw parseError(`not a valid ONNX model: ${oneLine(messageOf(e))}`, { file, cause: e });
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
