/** Reads a whole file into one buffer, in chunks, so files past readFile's 2 GiB limit work too. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:buffer';
import { messageOf, readError, tooLargeError } from '../errors.js';

const CHUNK = 64 * 1024 * 1024;

export function readBytes(path: string, chunkSize = CHUNK): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw readError(`cannot open: ${systemMessage(e)}`, { file: path, cause: e });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw readError('is a directory, not a model file', { file: path });
    if (stat.size > constants.MAX_LENGTH) {
      throw tooLargeError(`file is ${stat.size} bytes, more than one buffer can hold; store its weights as external data`, {
        file: path,
      });
    }
    const buf = Buffer.allocUnsafe(stat.size);
    let at = 0;
    while (at < stat.size) {
      const n = readSync(fd, buf, at, Math.min(chunkSize, stat.size - at), at);
      if (n === 0) break;
      at += n;
    }
    return at === stat.size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `offset` of a file. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    let at = 0;
    while (at < length) {
      const n = readSync(fd, buf, at, Math.min(CHUNK, length - at), offset + at);
      if (n === 0) break;
      at += n;
    }
    if (at !== length) throw new Error(`only ${at} of ${length} bytes at offset ${offset}`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export function systemMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return messageOf(e);
}
