/**
 * `onnxpress convert --to int8` through the built CLI: flags reach the pass,
 * and bad input gives a clear message with an honest exit code and never a
 * broken file (unchanged model where nothing could be done).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../src/ir/dtypes.js';
import { loadModel } from '../../../src/io/load.js';
import { saveModel } from '../../../src/io/save.js';
import { ModelBuilder } from '../../../src/testing/builder.js';
import { runCli } from '../../helpers/cli.js';
import { cosine } from '../../helpers/metrics.js';
import { floatTensor, runModel } from '../../helpers/ort.js';
import { opCounts, randomFloats } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'onnxpress-int8-cli-'));

function writeMlp(path: string, options: { opset?: number; slice?: boolean } = {}): string {
  const b = new ModelBuilder({ opset: options.opset ?? 17, irVersion: options.opset && options.opset < 11 ? 4 : 8 });
  const x = b.input('x', DataType.FLOAT, [2, 8]);
  let h = b.node('MatMul', [x, b.initializer('w1', randomFloats(8 * 16, 81, 0.5), [8, 16])], {}, { name: 'mm1' });
  if (options.slice) h = b.node('Slice', [h], { starts: [0], ends: [16], axes: [1] });
  b.output(b.node('MatMul', [h, b.initializer('w2', randomFloats(16 * 4, 82, 0.5), [16, 4])], {}, { name: 'mm2' }), DataType.FLOAT, [2, 4]);
  saveModel(b.build(), path);
  return path;
}

function writeReluOnly(path: string): string {
  const b = new ModelBuilder();
  b.output(b.node('Relu', [b.input('x', DataType.FLOAT, [2, 8])]), DataType.FLOAT, [2, 8]);
  saveModel(b.build(), path);
  return path;
}

interface Summary {
  modified: boolean;
  counts: Record<string, number>;
  notes: string[];
  quantized: { node: string }[];
  [key: string]: unknown;
}

async function convert(input: string, output: string, ...flags: string[]) {
  const r = await runCli(['convert', input, '-o', output, '--to', 'int8', '--json', ...flags]);
  const summary = r.exitCode === 0 ? (JSON.parse(r.stdout) as { summary: Summary }[])[0]!.summary : undefined;
  return { ...r, summary };
}

describe('convert --to int8', () => {
  it('keeps Conv float with int8 weights by default and makes it ConvInteger with --conv-integer', async () => {
    const b = new ModelBuilder();
    const x = b.input('x', DataType.FLOAT, [1, 2, 5, 5]);
    const w = b.initializer('w', randomFloats(3 * 2 * 3 * 3, 84, 0.5), [3, 2, 3, 3]);
    b.output(b.node('Conv', [x, w], { kernel_shape: [3, 3] }, { name: 'conv' }), DataType.FLOAT, [1, 3, 3, 3]);
    const input = join(dir, 'conv.onnx');
    saveModel(b.build(), input);
    const feeds = { x: floatTensor(randomFloats(50, 85), [1, 2, 5, 5]) };

    const plain = await convert(input, join(dir, 'conv-int8.onnx'));
    expect(plain.exitCode).toBe(0);
    expect(opCounts(loadModel(join(dir, 'conv-int8.onnx')))).toEqual({ Cast: 1, Mul: 1, Conv: 1 });
    const integer = await convert(input, join(dir, 'conv-integer.onnx'), '--conv-integer');
    expect(integer.exitCode).toBe(0);
    expect(opCounts(loadModel(join(dir, 'conv-integer.onnx'))).ConvInteger).toBe(1);
    const float = Object.values(await runModel(input, feeds))[0]!.data as Float32Array;
    for (const file of ['conv-int8.onnx', 'conv-integer.onnx']) {
      const quantized = Object.values(await runModel(join(dir, file), feeds))[0]!.data as Float32Array;
      expect(cosine(quantized, float), file).toBeGreaterThan(0.999);
    }

    const refused = await convert(input, join(dir, 'conv-qdq.onnx'), '--conv-integer', '--format', 'qdq');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--conv-integer needs --format qoperator/);
    expect(existsSync(join(dir, 'conv-qdq.onnx'))).toBe(false);
  });

  it('quantizes with the defaults; the output loads and runs', async () => {
    const input = writeMlp(join(dir, 'mlp.onnx'));
    const output = join(dir, 'mlp-int8.onnx');
    const r = await convert(input, output);
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatchObject({ modified: true, counts: { MatMul: 2 }, format: 'qoperator', weightType: 'int8' });
    expect(opCounts(loadModel(output)).MatMulInteger).toBe(2);
    await runModel(output, { x: floatTensor(randomFloats(16, 83), [2, 8]) });
  });

  it('passes every flag to the pass', async () => {
    const input = writeMlp(join(dir, 'flags.onnx'));
    const output = join(dir, 'flags-int8.onnx');
    const r = await convert(
      input,
      output,
      '--weight-type',
      'uint8',
      '--per-channel',
      '--asymmetric',
      '--format',
      'qdq',
      '--op-types',
      'MatMul,Gemm',
      '--exclude-nodes',
      'mm2',
      '--min-elements',
      '10',
    );
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatchObject({ format: 'qdq', weightType: 'uint8', perChannel: true, symmetric: false, opTypes: ['MatMul', 'Gemm'] });
    expect(r.summary!.quantized.map((q) => q.node)).toEqual(['mm1']);
    const model = loadModel(output);
    expect(model.graph.initializers.get('w1_quantized')!.initializer!.dataType).toBe(DataType.UINT8);
    expect(opCounts(model)).toEqual({ DequantizeLinear: 1, MatMul: 2 });
  });

  const unchanged = async (input: string, flags: string[], note: RegExp): Promise<void> => {
    const output = join(dir, `unchanged-${Math.random().toString(36).slice(2)}.onnx`);
    const r = await convert(input, output, ...flags);
    expect(r.exitCode).toBe(0);
    expect(r.summary!.modified).toBe(false);
    expect(r.summary!.notes.join('\n')).toMatch(note);
    expect(readFileSync(output).equals(readFileSync(input))).toBe(true);
  };

  it('nothing to quantize: exit 0, the model unchanged, and a note saying so', async () => {
    await unchanged(writeReluOnly(join(dir, 'relu.onnx')), [], /nothing to quantize/);
  });

  it('a model already quantized: exit 0, unchanged, and a note saying so', async () => {
    const quantized = join(dir, 'once.onnx');
    expect((await convert(writeMlp(join(dir, 'twice.onnx')), quantized)).exitCode).toBe(0);
    await unchanged(quantized, [], /already quantized \(2 DynamicQuantizeLinear, 2 MatMulInteger\)/);
  });

  it('an include list naming no node: exit 0, unchanged, and a note naming the list', async () => {
    await unchanged(
      writeMlp(join(dir, 'include.onnx')),
      ['--include-nodes', 'nope,missing'],
      /--include-nodes names no node of the model \(nope, missing\)/,
    );
  });

  const refused = async (input: string, flags: string[], message: RegExp): Promise<void> => {
    const output = join(dir, `refused-${Math.random().toString(36).slice(2)}.onnx`);
    const r = await convert(input, output, ...flags);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(output)).toBe(false);
  };

  it('refuses bad flags with a one-line message and writes nothing', async () => {
    const input = writeMlp(join(dir, 'bad-flags.onnx'));
    await refused(input, ['--op-types', 'MatMul,Softmax'], /--op-types: 'Softmax' cannot be quantized/);
    await refused(input, ['--symmetric', '--asymmetric'], /either --symmetric or --asymmetric/);
  });

  it('upgrades an old opset by itself (Slice rewritten) and says so', async () => {
    const input = writeMlp(join(dir, 'old.onnx'), { opset: 9, slice: true });
    const r = await convert(input, join(dir, 'old.int8.onnx'));
    expect(r.exitCode).toBe(0);
    expect(r.summary!.notes.join('\n')).toMatch(/the quantized ops need opset 11: upgraded from opset 9 to 11: rewrote Slice 1 \(opset 10\)/);
    expect(loadModel(join(dir, 'old.int8.onnx')).opsetVersion('')).toBe(11);
  });
});
