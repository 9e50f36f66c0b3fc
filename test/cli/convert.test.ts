import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';

function writeModel(path: string, externalThreshold?: number): void {
  const b = new ModelBuilder();
  const x = b.input('x', DataType.FLOAT, ['n', 32]);
  const w = b.initializer(
    'w',
    Float32Array.from({ length: 32 * 32 }, (_, i) => i / 1024),
    [32, 32],
  );
  b.output(b.node('MatMul', [x, w]), DataType.FLOAT, ['n', 32]);
  saveModel(b.build(), path, { externalThreshold });
}

describe('convert --to none', () => {
  it('converts several models in one process into --out-dir, keeping names and external data', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onnxpress-cli-src-'));
    const out = join(mkdtempSync(join(tmpdir(), 'onnxpress-cli-out-')), 'nested');
    writeModel(join(src, 'a.onnx'));
    writeModel(join(src, 'b.onnx'), 1024);
    const r = await runCli(['convert', join(src, 'a.onnx'), join(src, 'b.onnx'), '--out-dir', out, '--to', 'none']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['a.onnx', 'b.onnx', 'b.onnx.data']);
    for (const name of ['a.onnx', 'b.onnx', 'b.onnx.data']) expect(readFileSync(join(out, name))).toEqual(readFileSync(join(src, name)));
  });

  it('refuses -o with several inputs, and two inputs of the same name in one --out-dir', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onnxpress-cli-src-'));
    const other = mkdtempSync(join(tmpdir(), 'onnxpress-cli-src2-'));
    writeModel(join(src, 'a.onnx'));
    writeModel(join(other, 'a.onnx'));
    const many = await runCli(['convert', join(src, 'a.onnx'), join(other, 'a.onnx'), '-o', join(src, 'x.onnx'), '--to', 'none']);
    expect(many.exitCode).toBe(2);
    expect(many.stderr).toMatch(/-o names one output but 2 models were given/);
    const clash = await runCli(['convert', join(src, 'a.onnx'), join(other, 'a.onnx'), '--out-dir', join(src, 'out'), '--to', 'none']);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/two inputs are named a\.onnx/);
  });

  it('writes JSON results with sizes', async () => {
    const src = mkdtempSync(join(tmpdir(), 'onnxpress-cli-src-'));
    writeModel(join(src, 'a.onnx'));
    const r = await runCli(['convert', join(src, 'a.onnx'), '-o', join(src, 'copy.onnx'), '--to', 'none', '--json']);
    expect(r.exitCode).toBe(0);
    const [result] = JSON.parse(r.stdout) as [{ inputBytes: number; outputBytes: number }];
    expect(result.outputBytes).toBe(readFileSync(join(src, 'a.onnx')).length);
    expect(result.inputBytes).toBe(result.outputBytes);
  });
});
