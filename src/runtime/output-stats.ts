/** Statistics of output data (largest finite |x|, non-finite count), accumulated over samples in the session worker. */
import { float16ToFloat32 } from '../ir/float16.js';
import type { OutputStats } from './protocol.js';

export function emptyStats(): OutputStats {
  return { maxAbs: 0, nonFinite: 0 };
}

/**
 * Adds one output's data to `stats`. `type` is the type as onnxruntime-node names it; float16 data comes as
 * Uint16Array bits. Throws for types without numbers (strings).
 */
export function addToStats(stats: OutputStats, type: string, data: unknown): void {
  switch (type) {
    case 'float32':
    case 'float64':
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'bool':
      addNumbers(stats, data as ArrayLike<number>);
      return;
    case 'float16':
      addNumbers(stats, float16ToFloat32(data as Uint16Array));
      return;
    case 'int64':
    case 'uint64': {
      const values = data as ArrayLike<bigint>;
      let m = stats.maxAbs;
      for (let i = 0; i < values.length; i++) {
        const x = Number(values[i]!);
        if (x > m) m = x;
        else if (-x > m) m = -x;
      }
      stats.maxAbs = m;
      return;
    }
    default:
      throw new Error(`an output of type ${type} has no numeric statistics`);
  }
}

function addNumbers(stats: OutputStats, data: ArrayLike<number>): void {
  let m = stats.maxAbs;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x !== x || x === Infinity || x === -Infinity) nonFinite++;
    else if (x > m) m = x;
    else if (-x > m) m = -x;
  }
  stats.maxAbs = m;
  stats.nonFinite += nonFinite;
}
