/**
 * Micro-benchmark of the float16/bfloat16 array conversions.
 * Run after a build: `node dist/bench/float16-bench.js [count]` (default 50M floats).
 * Throughput is reported in MB/s of float32 data (4 bytes per element) either way.
 */
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16, float32ToFloat16Clamped } from '../ir/float16.js';

const count = Number(process.argv[2] ?? 50_000_000);
const repeats = 3;

/** Weight-like data: roughly normal values of varied scale, with a few zeros and outliers. */
function weightLikeData(n: number): Float32Array {
  const data = new Float32Array(n);
  let state = 0x12345678;
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const u = (state >>> 0) / 4294967296;
    const scale = i % 1024 === 0 ? 1e5 : 0.05;
    data[i] = (u - 0.5) * (u - 0.5) * (u < 0.5 ? -scale : scale) * 4;
  }
  return data;
}

function measure(label: string, run: () => void): void {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.min(best, seconds);
  }
  const megabytes = (count * 4) / 1e6;
  console.log(`${label.padEnd(28)} ${(megabytes / best).toFixed(0).padStart(6)} MB/s  (${(best * 1000).toFixed(0)} ms best of ${repeats})`);
}

const source = weightLikeData(count);
const halves = new Uint16Array(count);
const floats = new Float32Array(count);

console.log(`${count.toLocaleString('en-US')} floats, ${((count * 4) / 1e6).toFixed(0)} MB of float32`);
measure('float32ToFloat16', () => float32ToFloat16(source, halves));
measure('float16ToFloat32', () => float16ToFloat32(halves, floats));
measure('float32ToFloat16Clamped', () => float32ToFloat16Clamped(source, { flushSubnormals: true }, halves));
measure('float32ToBfloat16', () => float32ToBfloat16(source, halves));
measure('bfloat16ToFloat32', () => bfloat16ToFloat32(halves, floats));
