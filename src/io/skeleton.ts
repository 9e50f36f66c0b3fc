/**
 * Reads a model file without its large tensor payloads: the structure is
 * walked with positioned reads, every `raw_data` of at least `holeAbove`
 * bytes is left unread, and the rest lands at its own offset in a zero-filled
 * buffer of the file's size (untouched pages of which cost no memory). The
 * decoder then runs on that buffer as usual; the holes are read on demand.
 *
 * For commands that look at a model without its weights (inspect): they need
 * a few megabytes of a model of hundreds.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { messageDef } from '../proto/schema.js';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WindowWireReader, WireError } from '../proto/wire.js';

export interface Hole {
  start: number;
  end: number;
}

export interface Skeleton {
  bytes: Buffer;
  /** Sorted, non-overlapping byte ranges left unread. */
  holes: Hole[];
}

const MAX_DEPTH = 64;

class NotScannable extends Error {}

/** Walks the fields of the `type` message at [start, end): recurses into large submessages, records large raw_data. */
function scan(reader: WindowWireReader, type: string, start: number, end: number, holeAbove: number, holes: Hole[], depth: number): void {
  if (depth > MAX_DEPTH) throw new NotScannable();
  const def = messageDef(type);
  reader.pos = start;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    let next: number;
    if (wt === WIRE_VARINT) {
      reader.skipVarint();
      next = reader.pos;
    } else if (wt === WIRE_FIXED64) {
      next = reader.pos + 8;
    } else if (wt === WIRE_FIXED32) {
      next = reader.pos + 4;
    } else if (wt === WIRE_LEN) {
      const len = reader.uint32();
      const payload = reader.pos;
      next = payload + len;
      if (next > end) throw new NotScannable();
      const field = def.byNumber.get(no);
      if (len >= holeAbove && field) {
        if (type === 'TensorProto' && field.name === 'raw_data') holes.push({ start: payload, end: next });
        else if (field.kind === 'message') scan(reader, field.message!, payload, next, holeAbove, holes, depth + 1);
      }
    } else {
      throw new NotScannable();
    }
    if (next > end) throw new NotScannable();
    reader.pos = next;
  }
}

/**
 * The skeleton of a model file, or undefined when the file is not a
 * well-formed model (the caller then reads it whole, and the full parser says
 * what is wrong).
 */
export function readSkeleton(path: string, holeAbove = 64 * 1024): Skeleton | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const holes: Hole[] = [];
    try {
      const reader = new WindowWireReader((into, position) => readSync(fd, into, 0, into.length, position), size);
      scan(reader, 'ModelProto', 0, size, holeAbove, holes, 0);
    } catch (e) {
      if (e instanceof NotScannable || e instanceof WireError) return undefined;
      throw e;
    }
    const bytes = Buffer.alloc(size);
    let at = 0;
    const fill = (from: number, to: number): void => {
      while (from < to) {
        const n = readSync(fd, bytes, from, Math.min(64 * 1024 * 1024, to - from), from);
        if (n <= 0) throw new Error(`short read at byte ${from}`);
        from += n;
      }
    };
    for (const hole of holes) {
      fill(at, hole.start);
      at = hole.end;
    }
    fill(at, size);
    return { bytes, holes };
  } finally {
    closeSync(fd);
  }
}

/** Whether a view of the skeleton's buffer lies inside one of its holes. */
export function holeOf(skeleton: Skeleton, view: Uint8Array): Hole | undefined {
  if (view.buffer !== skeleton.bytes.buffer || view.length === 0) return undefined;
  const start = view.byteOffset - skeleton.bytes.byteOffset;
  let lo = 0;
  let hi = skeleton.holes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const h = skeleton.holes[mid]!;
    if (start < h.start) hi = mid - 1;
    else if (start >= h.end) lo = mid + 1;
    else return h;
  }
  return undefined;
}
