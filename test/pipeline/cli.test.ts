/** `onnxpress run` as a user runs it: exit codes, output without a terminal, errors before any work. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/cli/run.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { tempDir, writeFile, writeTinyModel } from './helpers.js';

function project(variants: string, extraModels: Record<string, Uint8Array> = {}) {
  const root = tempDir();
  writeTinyModel(path.join(root, 'models/a.onnx'), 1);
  writeTinyModel(path.join(root, 'models/b.onnx'), 2);
  for (const [name, bytes] of Object.entries(extraModels)) writeFile(path.join(root, 'models', name), bytes);
  writeFile(
    path.join(root, 'pipelines/p.yaml'),
    `models: ['../models/*.onnx']
out: ../out
variants:
${variants}
validate:
  latency: false
`,
  );
  return root;
}

describe('onnxpress run', () => {
  it('exit 0 when every threshold holds; only result lines without a terminal; paths relative to the pipeline file', async () => {
    const root = project('  copy: none\n  twice: { chain: [none, none] }');
    // Run from another folder: the pipeline's own paths still resolve from pipelines/.
    const r = await runCli(['run', path.join(root, 'pipelines/p.yaml'), '--jobs', '2'], { cwd: tempDir() });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'pass a/copy',
      'pass a/twice',
      'pass b/copy',
      'pass b/twice',
    ]);
    expect(lines[4]).toMatch(/^4 passed, 0 failed, 0 errors \(4 entries\) in [\d.]+ s$/);
    expect(lines[5]).toBe(`reports: ${['report.json', 'report.md', 'report.html', 'junit.xml'].map((f) => path.join(root, 'out', f)).join(', ')}`);
    expect(r.stdout).not.toContain('\u001b[');
    expect(existsSync(path.join(root, 'out/a/twice.onnx'))).toBe(true);

    const again = await runCli(['run', path.join(root, 'pipelines/p.yaml')]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/\(4 entries, 4 from cache\)/);
  });

  it('exit 1 when a threshold fails, naming the check', async () => {
    const root = project('  copy: none\n  strict: none');
    writeFile(
      path.join(root, 'pipelines/p.yaml'),
      `models: ['../models/a.onnx']
variants: { copy: none, strict: none }
validate:
  latency: false
  thresholds: { strict: { max-abs: -1 } }
`,
    );
    const r = await runCli(['run', path.join(root, 'pipelines/p.yaml')]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^pass {2}a\/copy /m);
    // Identical outputs have a max abs error of exactly 0, which is not <= -1 (matmul_0 is the builder's output name).
    expect(r.stdout).toMatch(/^FAIL {2}a\/strict .*\n {6}max abs error of matmul_0 = 0 \(limit <= -1\)$/m);
  });

  it('exit 2 when a model cannot be converted, with the others still done; --json', async () => {
    const root = project('  copy: none', { 'broken.onnx': Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) });
    const r = await runCli(['run', path.join(root, 'pipelines/p.yaml'), '--json']);
    expect(r.exitCode).toBe(2);
    const out = JSON.parse(r.stdout) as { exitCode: number; entries: { model: string; status: string; error?: { reason: string } }[] };
    expect(out.exitCode).toBe(2);
    expect(out.entries.map((e) => [e.model, e.status])).toEqual([
      ['a', 'pass'],
      ['b', 'pass'],
      ['broken', 'error'],
    ]);
    expect(out.entries[2]!.error!.reason).toBe(`conversion failed: ${path.join(root, 'models/broken.onnx')}: not an ONNX model: this is a PNG image`);
  });

  it('a pipeline file error stops everything before any work, naming file, line and key', async () => {
    const root = project('  copy: { to: none, keepIoTypes: true }');
    const r = await runCli(['run', 'pipelines/p.yaml'], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('onnxpress: pipelines/p.yaml:4: variants.copy.keepIoTypes: unknown key (expected one of: to)');
    expect(existsSync(path.join(root, 'out'))).toBe(false);
  });

  it('--only and --shard pick what runs; bad values are usage errors', async () => {
    const root = project('  copy: none\n  twice: { chain: [none, none] }');
    const file = path.join(root, 'pipelines/p.yaml');
    const only = await runCli(['run', file, '--only', 'b,twice']);
    expect(only.exitCode).toBe(0);
    expect(only.stdout).toMatch(/^pass {2}b\/twice .*\n1 passed/m);
    const shard = await runCli(['run', file, '--shard', '2/2', '--only', 'copy']);
    expect(shard.stdout.split('\n')[0]).toMatch(/^pass {2}b\/copy /);
    for (const args of [
      ['--shard', '3/2'],
      ['--only', 'zz'],
      ['--jobs', '0'],
    ]) {
      const bad = await runCli(['run', file, ...args]);
      expect(bad.exitCode, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(/^onnxpress: (--shard 3\/2|--only zz|--jobs 0)/);
    }
  });

  it('without an argument runs the demo pipeline shipped in pipelines/', async () => {
    expect(DEFAULT_PIPELINE).toBe(path.join(REPO_ROOT, 'pipelines/demo.yaml'));
    expect(existsSync(DEFAULT_PIPELINE)).toBe(true);
    const help = await runCli(['run', '--help']);
    expect(help.exitCode).toBe(0);
    for (const flag of ['--jobs', '--only', '--shard', '--force', '--json']) expect(help.stdout).toContain(flag);
  });
});
