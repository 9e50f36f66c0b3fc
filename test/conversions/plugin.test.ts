/** A conversion defined outside src/ (test/conversions/fixtures/strip-identity.mjs), loaded by module path. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInConversions } from '../../src/conversions/builtins.js';
import { applyConversions } from '../../src/convert.js';
import { DataType } from '../../src/ir/dtypes.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { loadPipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { tempDir, writeFile } from '../pipeline/helpers.js';

const PLUGIN = path.resolve(import.meta.dirname, 'fixtures/strip-identity.mjs');

/** x -> Identity -> MatMul -> Identity -> Identity 'keepme' -> Relu -> y: three Identity nodes, none making y. */
function writeModel(file: string, seed: number): string {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [2, 4]);
  const w = b.initializer(
    'w',
    Float32Array.from({ length: 16 }, (_v, i) => Math.cos(i * seed)),
    [4, 4],
  );
  const a = b.node('Identity', [x], {}, { name: 'first' });
  const m = b.node('MatMul', [a, w], {}, { name: 'mm' });
  const c = b.node('Identity', [m], {}, { name: 'second' });
  const k = b.node('Identity', [c], {}, { name: 'keepme' });
  b.output(b.node('Relu', [k], {}, { name: 'relu' }), DataType.FLOAT, [2, 4]);
  mkdirSync(path.dirname(file), { recursive: true });
  saveModel(b.build(), file);
  return file;
}

const opsOf = (file: string) => [...loadModel(file).graph.nodes].map((n) => n.name ?? n.opType);

describe('a conversion from a module outside src/', () => {
  it('works through `convert --plugin`: its flags parse, its pass runs, the output computes the same', async () => {
    const dir = tempDir('onnxpress-plugin-');
    const input = writeModel(path.join(dir, 'm.onnx'), 1);
    const output = path.join(dir, 'stripped.onnx');
    const r = await runCli(['convert', input, '-o', output, '--plugin', PLUGIN, '--to', 'strip-identity', '--keep-nodes', 'keepme']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('removed 2 Identity node(s)');
    expect(opsOf(output)).toEqual(['mm', 'keepme', 'relu']);
    const v = await runCli(['validate', '--baseline', input, '--candidate', output, '--threshold', 'max-abs=0']);
    expect(v.exitCode).toBe(0);
  });

  it('is unknown without --plugin, and its flags are refused', async () => {
    const dir = tempDir('onnxpress-plugin-');
    const input = writeModel(path.join(dir, 'm.onnx'), 1);
    const r = await runCli(['convert', input, '-o', path.join(dir, 'o.onnx'), '--to', 'strip-identity']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/strip-identity/);
  });

  it('works through a pipeline file with --jobs 2: workers load the module', async () => {
    const root = tempDir('onnxpress-plugin-');
    writeModel(path.join(root, 'models/a.onnx'), 1);
    writeModel(path.join(root, 'models/b.onnx'), 2);
    const pipeline = writeFile(
      path.join(root, 'p.yaml'),
      `models: ['models/*.onnx']
out: out
variants:
  stripped: { to: strip-identity, keepNodes: [keepme] }
  then-fp16: { chain: [strip-identity, { to: fp16, keepIoTypes: true }] }
validate:
  latency: false
`,
    );
    const r = await runCli(['run', pipeline, '--plugin', PLUGIN, '--jobs', '2']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^4 passed, 0 failed, 0 errors/m);
    expect(opsOf(path.join(root, 'out/a/stripped.onnx'))).toEqual(['mm', 'keepme', 'relu']);
    expect(opsOf(path.join(root, 'out/b/then-fp16.onnx')).filter((n) => n === 'first' || n === 'second' || n === 'keepme')).toEqual([]);
  });

  it('a pipeline refuses a conversion registered only in memory: worker processes could not have it', async () => {
    const root = tempDir('onnxpress-plugin-');
    writeModel(path.join(root, 'models/a.onnx'), 1);
    const pipeline = writeFile(path.join(root, 'p.yaml'), `models: ['models/a.onnx']\nout: out\nvariants:\n  x: in-memory\n`);
    const registry = builtInConversions().with([{ name: 'in-memory', describe: 'nothing', options: {}, passes: () => [] }]);
    const plan = planPipeline(loadPipeline(pipeline, { conversions: registry }));
    await expect(runPipeline(plan, { conversions: registry, jobs: 1 })).rejects.toThrow(/'in-memory' was registered in memory/);
  });

  it('a chain names the passes that ran before the one that failed', async () => {
    const dir = tempDir('onnxpress-plugin-');
    const model = loadModel(writeModel(path.join(dir, 'm.onnx'), 1));
    const registry = (await builtInConversions().withModules([PLUGIN])).with([
      {
        name: 'explode',
        describe: 'fails',
        options: {},
        passes: () => [
          {
            name: 'explode',
            inPlace: true,
            requires: [],
            ensures: [],
            run: () => {
              throw new Error('boom');
            },
          },
        ],
      },
    ]);
    await expect(applyConversions(model, [{ to: 'strip-identity' }, { to: 'fp16' }, { to: 'explode' }], registry)).rejects.toThrow(
      /boom \[pass explode, after strip-identity, fp16\]/,
    );
  });

  it('module errors name the file', async () => {
    const dir = tempDir('onnxpress-plugin-');
    const empty = path.join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const nothing = 1;\n');
    await expect(builtInConversions().withModules([empty])).rejects.toThrow(`${empty}: exports no conversions`);
    const clash = path.join(dir, 'clash.mjs');
    writeFileSync(clash, "export default { name: 'fp16', describe: 'x', options: {}, passes: () => [] };\n");
    await expect(builtInConversions().withModules([clash])).rejects.toThrow(/two conversions are named 'fp16'/);
    const r = await runCli(['convert', 'x.onnx', '-o', 'y.onnx', '--to', 'none', '--plugin', empty]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`onnxpress: ${empty}: exports no conversions (export \`conversions\`, an array, or a default export)`);
  });

  it('is the walk-through of docs/architecture.md, word for word', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Write a new conversion in an afternoon'));
    const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(PLUGIN, 'utf8'));
  });
});
