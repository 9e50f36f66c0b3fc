/** Float32 constant data for passes that read many large weights once each. */
import type { Tensor } from '../ir/tensor.js';

/**
 * Reads float32 tensor data for conversion without a fresh copy per tensor:
 * raw bytes at an offset that is not a multiple of 4 (most of them, in a file
 * read into one buffer) are copied into one reused buffer. Writing fresh
 * memory costs as much as converting it, so this halves the pass's time on
 * large models.
 */
export class Float32Reader {
  private scratch = new ArrayBuffer(0);

  /** The data; a view of the reader's buffer is valid only until the next call. */
  read(tensor: Tensor): Float32Array {
    const s = tensor.storage;
    if (s.kind !== 'raw' && s.kind !== 'external' && s.kind !== 'deferred') return tensor.toTypedArray() as Float32Array;
    const bytes = tensor.rawBytes();
    const n = bytes.byteLength >> 2;
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    if (this.scratch.byteLength < n * 4) this.scratch = new ArrayBuffer(n * 4);
    new Uint8Array(this.scratch, 0, n * 4).set(bytes.subarray(0, n * 4));
    return new Float32Array(this.scratch, 0, n);
  }
}
