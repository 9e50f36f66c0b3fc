/**
 * Writing models: IR -> protobuf messages -> a streamed file, through a
 * temporary file renamed into place, with optional external data.
 */
import { copyFileSync, mkdirSync, realpathSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { constantTensors } from '../ir/constants.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { encodedSize, encodeTo } from '../proto/codec.js';
import { serializeModel, type SerializeContext } from '../proto/serde.js';
import type { ByteSink } from '../proto/wire.js';
import { isOnnxpressError, modelError, tooLargeError, writeError } from '../errors.js';
import { replaceAtomically, writeFileAtomically } from './atomic-write.js';
import { resolveExternalPath } from './external-data.js';
import { systemMessage } from './read-bytes.js';

/** Protobuf's hard limit for one message. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Tensors at least this large go to the data file when a model must be split. */
export const DEFAULT_EXTERNAL_THRESHOLD = 1024;

const ALIGNMENT = 64;

export interface SaveOptions {
  /**
   * Put every tensor of at least this many bytes into one external data file.
   * Without it, tensors that were external stay external, and everything is
   * split out automatically when the model would pass protobuf's 2 GiB limit.
   */
  externalThreshold?: number;
  /** Name of the external data file, beside the model (default: `<model file name>.data`). */
  externalFileName?: string;
  /** Files that must never be written over (the CLI passes its inputs). */
  protect?: readonly string[];
  /** The size above which weights are split out automatically (protobuf's limit; lower in tests). */
  protobufLimit?: number;
}

export interface SaveResult {
  path: string;
  bytes: number;
  externalDataFile?: string;
  externalBytes?: number;
}

class FileSink implements ByteSink {
  written = 0;
  constructor(readonly fd: number) {}
  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) at += writeSync(this.fd, chunk, at, chunk.length - at);
    this.written += chunk.length;
  }
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Writes through a temporary file, renamed over `target` only once complete. */
function writeAtomically(target: string, write: (sink: FileSink) => void): number {
  try {
    mkdirSync(dirname(target), { recursive: true });
    return writeFileAtomically(target, (fd) => {
      const sink = new FileSink(fd);
      write(sink);
      return sink.written;
    });
  } catch (e) {
    if (isOnnxpressError(e)) throw e;
    throw writeError(`cannot write: ${systemMessage(e)}`, { file: target, cause: e });
  }
}

/** Tensors to write into the new data file, with their offsets. */
type ExternalPlan = Map<Tensor, number>;

export function saveModel(model: Model, outPath: string, options: SaveOptions = {}): SaveResult {
  const target = resolve(outPath);
  const protect = new Set([...(options.protect ?? []), ...(model.sourcePath ? [model.sourcePath] : [])].map(realOrResolved));
  const tensors = [...new Set(constantTensors(model).map((c) => c.tensor))];
  const sourceDir = model.sourcePath ? dirname(model.sourcePath) : undefined;
  const externalTensors = tensors.filter((t) => t.storage.kind === 'external');
  if (sourceDir) {
    const locations = new Set(externalTensors.flatMap((t) => (t.storage.kind === 'external' ? [t.storage.ref.location] : [])));
    for (const location of locations) protect.add(realOrResolved(resolveExternalPath(model.sourcePath!, sourceDir, location)));
  }
  if (protect.has(realOrResolved(target))) {
    throw writeError('refusing to write over an input file; choose another output path', { file: outPath });
  }

  const dataName = options.externalFileName ?? `${basename(target)}.data`;
  const dataPath = join(dirname(target), dataName);

  // Lossless path: every external tensor is untouched and they share one source file.
  const keepOriginal = options.externalThreshold === undefined ? sameExternalSource(externalTensors) : undefined;

  let plan: ExternalPlan | undefined;
  if (options.externalThreshold !== undefined) {
    plan = planExternal(tensors, options.externalThreshold);
  } else if (externalTensors.length > 0 && !keepOriginal) {
    plan = planExternal(externalTensors, 0);
  }

  const context = (p: ExternalPlan | undefined): SerializeContext => ({
    placeTensor: (tensor) => {
      if (p) {
        const offset = p.get(tensor);
        if (offset === undefined) return undefined;
        return [
          ['location', dataName],
          ['offset', String(offset)],
          ['length', String(tensor.byteSize)],
        ];
      }
      if (keepOriginal && tensor.storage.kind === 'external') return tensor.storage.ref.entries;
      return undefined;
    },
  });

  const limit = options.protobufLimit ?? PROTOBUF_LIMIT;
  let msg = serializeModel(model, context(plan));
  let size = encodedSize(msg);
  if (!plan && size > limit) {
    plan = planExternal(tensors, DEFAULT_EXTERNAL_THRESHOLD);
    msg = serializeModel(model, context(plan));
    size = encodedSize(msg);
  }
  if (size > limit) {
    throw tooLargeError('the model graph alone passes protobuf 2 GiB limit even with weights stored externally', { file: outPath });
  }

  const result: SaveResult = { path: target, bytes: 0 };
  if (plan && plan.size > 0) {
    if (protect.has(realOrResolved(dataPath))) {
      throw writeError(`refusing to write external data over an input file (${dataName}); choose another output name`, {
        file: outPath,
      });
    }
    result.externalBytes = writeAtomically(dataPath, (sink) => writeExternal(sink, plan, model.sourcePath ?? outPath));
    result.externalDataFile = dataPath;
  } else if (keepOriginal && sourceDir) {
    const source = resolveExternalPath(model.sourcePath!, sourceDir, keepOriginal);
    const copy = resolveExternalPath(target, dirname(target), keepOriginal);
    if (realOrResolved(source) !== realOrResolved(copy)) {
      if (protect.has(realOrResolved(copy))) {
        throw writeError(`refusing to write external data over an input file (${keepOriginal})`, { file: outPath });
      }
      copyAtomically(source, copy);
    }
    result.externalDataFile = copy;
  }
  result.bytes = writeAtomically(target, (sink) => {
    encodeTo(msg, sink);
  });
  return result;
}

/** The one location all external tensors come from, when none was changed; else undefined. */
function sameExternalSource(tensors: Tensor[]): string | undefined {
  let location: string | undefined;
  for (const t of tensors) {
    if (t.storage.kind !== 'external') return undefined;
    const loc = t.storage.ref.location;
    if (location !== undefined && loc !== location) return undefined;
    location = loc;
  }
  return location;
}

function planExternal(tensors: Tensor[], threshold: number): ExternalPlan {
  const layout: ExternalPlan = new Map();
  let end = 0;
  for (const t of tensors) {
    if (t.byteSize < threshold || t.byteSize === 0) continue;
    end = Math.ceil(end / ALIGNMENT) * ALIGNMENT;
    layout.set(t, end);
    end += t.byteSize;
  }
  return layout;
}

function writeExternal(sink: FileSink, plan: ExternalPlan, file: string): void {
  const pad = new Uint8Array(ALIGNMENT);
  for (const [tensor, offset] of plan) {
    if (sink.written < offset) sink.write(pad.subarray(0, offset - sink.written));
    const bytes = tensor.rawBytes();
    if (bytes.length !== tensor.byteSize) {
      throw modelError(`tensor '${tensor.name ?? ''}' holds ${bytes.length} bytes, its shape says ${tensor.byteSize}`, { file });
    }
    sink.write(bytes);
  }
}

function copyAtomically(source: string, target: string): void {
  try {
    replaceAtomically(target, (temp) => copyFileSync(source, temp));
  } catch (e) {
    throw writeError(`cannot copy external data from ${source}: ${systemMessage(e)}`, { file: target, cause: e });
  }
}
