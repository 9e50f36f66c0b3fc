/**
 * Replacing a file atomically: the content goes to a temporary file in the target's folder (so the rename stays on
 * one file system), which is renamed over the target only once complete. A reader sees the old file or the new one,
 * never half of one; on failure the target is untouched and the temporary file is removed.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A fresh temporary name beside `target`: `.<name>.<pid>.<random>.tmp`. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/**
 * Removes the temporary files that process `pid` (default: this one) left in `dir`, as an interrupted write does
 * (a process stopped by a signal runs no `finally`). Returns their paths.
 */
export function removeTempFiles(dir: string, pid = process.pid): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const mine = new RegExp(`^\\..+\\.${pid}\\.[0-9a-z]+\\.tmp$`);
  const removed = names.filter((name) => mine.test(name)).map((name) => join(dir, name));
  for (const file of removed) rmSync(file, { force: true });
  return removed;
}

/**
 * Has `fill` create the temporary file (at the path it is given), then renames it over `target`. When `fill` or
 * the rename throws, the temporary file is removed and the error rethrown as it was. Returns what `fill` returns.
 */
export function replaceAtomically<T>(target: string, fill: (tempPath: string) => T): T {
  const temp = tempPathFor(target);
  try {
    const result = fill(temp);
    renameSync(temp, target);
    return result;
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/**
 * Writes `target` atomically: `data`, or whatever `write` writes to the file descriptor it is given, goes to a new
 * temporary file (created exclusively), which is fsynced, closed and renamed over `target`. Returns what `write`
 * returns (undefined for `data`).
 */
export function writeFileAtomically<T = void>(target: string, data: string | Uint8Array | ((fd: number) => T)): T {
  return replaceAtomically(target, (temp) => {
    const fd = openSync(temp, 'wx');
    try {
      const result = typeof data === 'function' ? data(fd) : writeAll(fd, data);
      fsyncSync(fd);
      return result as T;
    } finally {
      closeSync(fd);
    }
  });
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}
