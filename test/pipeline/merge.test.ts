/**
 * `onnxpress report merge`: a pipeline run in two shards (`run --shard 1/2` and `2/2`, each with its own report
 * folder), merged, gives the entries of an unsharded run, in its order, and gates with its exit code; reports of
 * another pipeline, a missing or repeated shard, or a single validation result are refused (exit 2).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePipeline } from '../../src/pipeline/normalize.js';
import type { SummaryEntry, ValidationSummary } from '../../src/validate/types.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { tempDir, writeFile, writeTinyModel } from './helpers.js';

const PIPELINE = `# three models, three variants; 'strict' fails on purpose
name: shards
models: ['../models/*.onnx']
out: ../out
variants:
  copy: none
  half: { to: fp16, keepIoTypes: true }
  strict: none
validate:
  latency: false
  thresholds: { strict: { max-abs: -1 } }
`;

function readSummary(dir: string): ValidationSummary {
  return JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as ValidationSummary;
}

/** What must be the same in a merged and an unsharded run (not times, not the run environment). */
function essentials(entries: readonly SummaryEntry[]) {
  return entries.map((e) => ({
    model: e.model,
    variant: e.variant,
    status: e.status,
    kind: e.result?.kind,
    bytes: [e.result?.baseline.fileBytes, e.result?.candidate.fileBytes],
    outputs: e.result?.outputs.map((o) => [o.name, o.metrics.cosine, o.metrics.maxAbs]),
    checks: e.result?.checks.map((c) => [c.id, c.status, c.actual]),
  }));
}

describe('report merge', () => {
  const root = tempDir();
  const file = path.join(root, 'pipelines/shards.yaml');
  const dir = (name: string) => path.join(root, name);

  beforeAll(async () => {
    for (const [name, seed] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      writeTinyModel(path.join(root, 'models', `${name}.onnx`), seed);
    writeFile(file, PIPELINE);
    // The shards convert and validate again (--force), as on machines of their own.
    for (const args of [
      ['--report', dir('whole')],
      ['--shard', '1/2', '--report', dir('shard1'), '--force'],
      ['--shard', '2/2', '--report', dir('shard2'), '--force'],
    ]) {
      const r = await runCli(['run', file, '--jobs', '2', ...args]);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(1); // 'strict' fails
    }
  });

  it('joins the shards into the entries of an unsharded run, and exits with their code', async () => {
    const whole = readSummary(dir('whole'));
    const [one, two] = [readSummary(dir('shard1')), readSummary(dir('shard2'))];
    expect(one.pipeline).toMatchObject({ name: 'shards', hash: whole.pipeline!.hash, shard: { index: 1, count: 2 } });
    expect(two.pipeline?.shard).toEqual({ index: 2, count: 2 });
    expect(one.entries.length + two.entries.length).toBe(9);

    // Shard 2 first: the order of the arguments does not matter.
    const r = await runCli([
      'report',
      'merge',
      path.join(dir('shard2'), 'report.json'),
      path.join(dir('shard1'), 'report.json'),
      '--out',
      dir('merged'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^pass {2}a\/copy /);
    expect(r.stdout).toMatch(/6 passed, 3 failed, 0 errors \(9 entries from 2 reports of pipeline 'shards'\)\nreports: /);
    expect(readdirSync(dir('merged')).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);

    const merged = readSummary(dir('merged'));
    expect(merged.pipeline).toEqual(whole.pipeline);
    expect(merged.title).toBe(whole.title);
    expect(merged.passed).toBe(false);
    expect(essentials(merged.entries)).toEqual(essentials(whole.entries));
    expect(merged.entries.map((e) => `${e.model}/${e.variant}`)).toEqual(
      ['a', 'b', 'c'].flatMap((m) => ['copy', 'half', 'strict'].map((v) => `${m}/${v}`)),
    );
    expect(readFileSync(path.join(dir('merged'), 'report.html'), 'utf8')).toContain('9 runs: 6 passed, 3 failed, 0 errors');

    const md = await runCli([
      'report',
      'merge',
      path.join(dir('shard1'), 'report.json'),
      path.join(dir('shard2'), 'report.json'),
      '-o',
      dir('md'),
      '--format',
      'md',
      '--json',
    ]);
    expect(md.exitCode).toBe(1);
    expect(readdirSync(dir('md'))).toEqual(['report.md']);
    expect((JSON.parse(md.stdout) as ValidationSummary).entries).toHaveLength(9);
  });

  it('refuses reports of another pipeline, a missing or repeated shard, and a single result (exit 2)', async () => {
    const other = path.join(root, 'pipelines/other.yaml');
    writeFile(other, PIPELINE.replace('name: shards', 'name: other'));
    const otherRun = await runCli(['run', other, '--shard', '2/2', '--report', dir('other2')]);
    expect(otherRun.exitCode).toBe(1);
    const shard1 = path.join(dir('shard1'), 'report.json');
    const other2 = path.join(dir('other2'), 'report.json');

    const differ = await runCli(['report', 'merge', shard1, other2, '--out', dir('refused')]);
    expect(differ.exitCode).toBe(2);
    expect(differ.stderr).toMatch(
      new RegExp(
        `^onnxpress: ${other2.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a report of pipeline 'other' \\([0-9a-f]{12}\\) but .* is of pipeline 'shards'`,
      ),
    );

    const missing = await runCli(['report', 'merge', shard1, '--out', dir('refused')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^onnxpress: shard 2\/2 of pipeline 'shards' \([0-9a-f]{12}\) missing \(give the report\.json of all 2 shards\)$/);

    const twice = await runCli(['report', 'merge', shard1, shard1, '--out', dir('refused')]);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toMatch(/: is shard 1\/2, as is /);

    const single = path.join(root, 'single');
    const model = path.join(root, 'models/a.onnx');
    expect((await runCli(['validate', '--baseline', model, '--candidate', model, '--report', single])).exitCode).toBe(0);
    const notSummary = await runCli(['report', 'merge', path.join(single, 'report.json'), shard1, '--out', dir('refused')]);
    expect(notSummary.exitCode).toBe(2);
    expect(notSummary.stderr).toMatch(/report\.json: is a single validation result; report merge joins the summary report\.json of pipeline runs/);
    expect(existsSync(dir('refused'))).toBe(false);
  });

  it('identifies a pipeline by its content: formatting, comments and key order do not change the hash; a value does', () => {
    const hash = (text: string) => parsePipeline(text, file).identity.hash;
    const reordered = `name: shards
variants: { strict: none, half: { keepIoTypes: true, to: fp16 }, copy: none }
out: ../out
validate: { thresholds: { strict: { max-abs: -1 } }, latency: false }
models: ['../models/*.onnx']
`;
    expect(hash(reordered)).toBe(hash(PIPELINE));
    expect(hash(PIPELINE.replace('max-abs: -1', 'max-abs: -2'))).not.toBe(hash(PIPELINE));
  });
});

describe('docs/ci-recipe.md', () => {
  it("ends the matrix with a job that merges every shard's report and gates on the merged exit code", () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/ci-recipe.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Many models: a matrix'), doc.indexOf('## Test results'));
    const workflow = parseYaml(/```yaml\n([\s\S]*?)```/.exec(section)![1]!) as {
      jobs: Record<string, { needs?: string; if?: string; strategy?: unknown; steps: { run?: string; with?: Record<string, string> }[] }>;
    };
    const [shards, merge] = Object.entries(workflow.jobs);
    expect(shards![1].strategy).toBeDefined();
    const shardRun = shards![1].steps.map((s) => s.run ?? '').join('\n');
    expect(shardRun).toMatch(/onnxpress run \S+ --shard \$\{\{ matrix\.shard \}\}\/4 --report shard\b/);
    expect(merge![1].needs).toBe(shards![0]);
    expect(merge![1].if).toContain('!cancelled()');
    // The gate is the merge step itself: no `|| true`, no continue-on-error.
    const gate = merge![1].steps.find((s) => s.run?.includes('onnxpress report merge'))!;
    expect(gate.run).toMatch(/^npx onnxpress report merge shards\/\*\/report\.json --out \S+$/);
    expect(gate).not.toHaveProperty('continue-on-error');
  });
});
