/**
 * `onnxpress convert --to q4` through the built CLI: every flag reaches the pass, the output loads and runs,
 * and options it cannot honour give exit code 2 with a message and no file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import type { Value } from '../../src/ir/graph.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';
import { cosine } from '../helpers/metrics.js';
import { floatTensor, runModel } from '../helpers/ort.js';
import { tempDir } from '../helpers/temp.js';
import { opCounts, randomFloats } from '../passes/quantize/helpers.js';

const dir = tempDir('onnxpress-q4-cli-');

/** An embedding (Gather), then MatMul mm1 -> Relu -> MatMul mm2. */
function writeModel(path: string): string {
  const b = new ModelBuilder();
  const ids = b.input('ids', DataType.INT64, [2, 4]);
  let h: Value = b.node('Gather', [b.initializer('embed', randomFloats(100 * 64, 1, 0.5), [100, 64]), ids], {}, { name: 'embed_gather' });
  h = b.node('Relu', [b.node('MatMul', [h, b.initializer('w1', randomFloats(64 * 128, 2, 0.2), [64, 128])], {}, { name: 'mm1' })]);
  h = b.node('MatMul', [h, b.initializer('w2', randomFloats(128 * 64, 3, 0.2), [128, 64])], {}, { name: 'mm2' });
  b.output(h, DataType.FLOAT, [2, 4, 64]);
  saveModel(b.build(), path);
  return path;
}

interface Summary {
  kind: string;
  modified: boolean;
  bits: number;
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
  format: string;
  opTypes: string[];
  counts: Record<string, number>;
  quantized: { node: string }[];
  notes: string[];
}

async function convert(input: string, output: string, ...flags: string[]) {
  const r = await runCli(['convert', input, '-o', output, '--to', 'q4', '--json', ...flags]);
  const summary = r.exitCode === 0 ? (JSON.parse(r.stdout) as { summary: Summary }[])[0]!.summary : undefined;
  return { ...r, summary };
}

const feeds = {
  ids: new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: 8 }, (_, i) => BigInt((i * 13) % 100)),
    [2, 4],
  ),
};
const first = (out: Record<string, ort.Tensor>): Float32Array => Object.values(out)[0]!.data as Float32Array;

describe('convert --to q4', () => {
  it('with the defaults: 4-bit symmetric MatMulNBits, block 32; the output runs close to float32', async () => {
    const input = writeModel(join(dir, 'model.onnx'));
    const output = join(dir, 'model-q4.onnx');
    const r = await convert(input, output);
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatchObject({
      kind: 'q4',
      modified: true,
      bits: 4,
      blockSize: 32,
      symmetric: true,
      accuracyLevel: 0,
      format: 'qoperator',
      opTypes: ['MatMul', 'Gemm'],
    });
    expect(r.summary!.counts).toEqual({ MatMul: 2 });
    const model = loadModel(output);
    expect(opCounts(model)).toEqual({ Gather: 1, MatMulNBits: 2, Relu: 1 });
    expect(model.opsetVersion('com.microsoft')).toBe(1);
    expect(readFileSync(output).length).toBeLessThan(readFileSync(input).length * 0.7);
    expect(cosine(first(await runModel(output, feeds)), first(await runModel(input, feeds)))).toBeGreaterThan(0.99);
  });

  it('passes every flag to the pass', async () => {
    const input = writeModel(join(dir, 'flags.onnx'));
    const output = join(dir, 'flags-q4.onnx');
    const r = await convert(
      input,
      output,
      '--bits',
      '8',
      '--block-size',
      '64',
      '--asymmetric',
      '--accuracy-level',
      '4',
      '--op-types',
      'MatMul,Gather',
      '--exclude-nodes',
      'mm2',
    );
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatchObject({ bits: 8, blockSize: 64, symmetric: false, accuracyLevel: 4, opTypes: ['MatMul', 'Gather'] });
    expect(r.summary!.quantized.map((q) => q.node)).toEqual(['embed_gather', 'mm1']);
    const model = loadModel(output);
    expect(opCounts(model)).toEqual({ GatherBlockQuantized: 1, MatMulNBits: 1, MatMul: 1, Relu: 1 });
    const nbits = [...model.graph.nodes].find((n) => n.opType === 'MatMulNBits')!;
    expect(['bits', 'block_size', 'accuracy_level'].map((k) => nbits.attr(k)!.asNumber())).toEqual([8, 64, 4]);
    expect(nbits.input(3)?.name).toBe('w1_zero_points');
    expect(cosine(first(await runModel(output, feeds)), first(await runModel(input, feeds)))).toBeGreaterThan(0.999);

    const only = join(dir, 'include-q4.onnx');
    const included = await convert(input, only, '--include-nodes', 'mm2', '--symmetric');
    expect(included.summary!.quantized.map((q) => q.node)).toEqual(['mm2']);
    expect(included.summary!.symmetric).toBe(true);
  });

  it('--format qdq writes INT4 weights and blocked DequantizeLinear at opset 21', async () => {
    const input = writeModel(join(dir, 'qdq.onnx'));
    const output = join(dir, 'qdq-q4.onnx');
    const r = await convert(input, output, '--format', 'qdq', '--op-types', 'MatMul,Gather');
    expect(r.exitCode).toBe(0);
    expect(r.summary!.notes.join('\n')).toMatch(/DequantizeLinear's block_size needs opset 21: upgraded from opset 17 to 21/);
    const model = loadModel(output);
    expect(opCounts(model)).toEqual({ DequantizeLinear: 3, Gather: 1, MatMul: 2, Relu: 1 });
    expect(model.graph.initializers.get('w1_DQ_Q4')!.initializer!.dataType).toBe(DataType.INT4);
    expect(cosine(first(await runModel(output, feeds)), first(await runModel(input, feeds)))).toBeGreaterThan(0.99);
  });

  it('refuses options it cannot honour: exit 2, a message, no file', async () => {
    const input = writeModel(join(dir, 'bad.onnx'));
    for (const [flags, message] of [
      [['--bits', '3'], /--bits must be 4 or 8/],
      [['--block-size', '48'], /--block-size must be a power of two of at least 16/],
      [['--accuracy-level', '7'], /--accuracy-level must be 0 to 4/],
      [['--op-types', 'Conv'], /'Conv' cannot be block-quantized/],
      [['--symmetric', '--asymmetric'], /either --symmetric or --asymmetric/],
    ] as const) {
      const output = join(dir, `bad-${flags.join('')}.onnx`);
      const r = await convert(input, output, ...flags);
      expect(r.exitCode, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(output)).toBe(false);
    }
  });

  it('a model with nothing to quantize is written unchanged, with a note', async () => {
    const b = new ModelBuilder();
    b.output(b.node('Relu', [b.input('x', DataType.FLOAT, [2, 8])]), DataType.FLOAT, [2, 8]);
    const input = join(dir, 'relu.onnx');
    saveModel(b.build(), input);
    const output = join(dir, 'relu-q4.onnx');
    const r = await convert(input, output);
    expect(r.exitCode).toBe(0);
    expect(r.summary!.modified).toBe(false);
    expect(r.summary!.notes).toEqual(['nothing to quantize: no MatMul/Gemm node with a float32 constant weight']);
    expect(readFileSync(output).equals(readFileSync(input))).toBe(true);
    await runModel(output, { x: floatTensor(randomFloats(16, 4), [2, 8]) });
  });
});
