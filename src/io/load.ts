/** Reading models: bytes -> protobuf messages -> IR, with clear errors for anything that is not a model. */
import { dirname, resolve } from 'node:path';
import { decode } from '../proto/codec.js';
import { deserializeModel } from '../proto/serde.js';
import { WireError } from '../proto/wire.js';
import type { Model } from '../ir/model.js';
import { OnnxpressError, isOnnxpressError, messageOf } from './errors.js';
import { externalLoader } from './external-data.js';
import { readBytes } from './read-bytes.js';

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
      externalLoader: dir ? (ref, name) => externalLoader(file, dir, ref, name) : undefined,
    });
  } catch (e) {
    if (isOnnxpressError(e)) throw e;
    if (e instanceof WireError) {
      throw new OnnxpressError('E_PARSE', `not a valid ONNX model: ${e.message}`, { file, offset: e.offset, cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new OnnxpressError('E_PARSE', 'not a valid ONNX model: nested too deeply', { file, cause: e });
    }
    throw new OnnxpressError('E_PARSE', `not a valid ONNX model: ${messageOf(e)}`, { file, cause: e });
  }
  model.sourcePath = path ? resolve(path) : undefined;
  return model;
}

export function loadModel(path: string): Model {
  return parseModel(readBytes(path), { path });
}
