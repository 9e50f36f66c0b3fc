/**
 * What a new user trips on (issue 11, section 6), as they meet it: through the built CLI. Pipeline file errors one
 * per line; unknown flags, commands and values with a did-you-mean in the words the user typed; a flag of another
 * conversion refused; errors that name their files; the README's pipeline; npm's install settings; report titles
 * that keep the model's name. (Interruption: interrupt.test.ts; the HTML summary: test/pipeline/reports.test.ts.)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import type { ValidationResult } from '../../src/validate/types.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';
import { writeFile } from '../pipeline/helpers.js';

/** y = x @ W, x of `inputType` (cast to float when it is not float). */
function writeModel(file: string, inputType: DataType = DataType.FLOAT): string {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', inputType, ['n', 4]);
  const xf = inputType === DataType.FLOAT ? x : b.node('Cast', [x], { to: DataType.FLOAT });
  const w = b.initializer(
    'w',
    Float32Array.from({ length: 16 }, (_v, i) => Math.sin(i + 1)),
    [4, 4],
  );
  b.output(b.node('MatMul', [xf, w]), DataType.FLOAT, ['n', 4]);
  mkdirSync(path.dirname(file), { recursive: true });
  saveModel(b.build(), file);
  return file;
}

function stderrLines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}

describe('pipeline file errors', () => {
  it('are printed one problem per line; control characters are escaped inside a problem, not between problems', async () => {
    const root = tempDir();
    writeModel(path.join(root, 'm.onnx'));
    const file = writeFile(
      path.join(root, 'p.yaml'),
      `models: [m.onnx]
variants:
  copy: { to: none, perChanel: true }
  "bad\\nname": none
validate:
  latency: maybe
`,
    );
    const r = await runCli(['run', file]);
    expect(r.exitCode).toBe(2);
    const lines = stderrLines(r.stderr);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(new RegExp(`^onnxpress: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
    expect(lines[0]).toMatch(/:3: variants\.copy\.perChanel: unknown key/);
    // The variant name holds a newline: escaped in its own line, which stays one line.
    expect(lines[1]).toMatch(/:4: variants\.bad\\x0aname: /);
    expect(lines[2]).toMatch(/:6: validate\.latency: /);
    expect(r.stderr).not.toMatch(/\\x0aonnxpress/);
  });
});

describe('command-line mistakes', () => {
  const model = () => writeModel(path.join(tempDir(), 'm.onnx'));

  it('an unknown flag gets a did-you-mean in the words the user typed, never yargs camelCase copies', async () => {
    const m = model();
    const out = path.join(path.dirname(m), 'out.onnx');
    const typo = await runCli(['convert', m, '-o', out, '--to', 'fp16', '--keep-io-type']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toBe('onnxpress: unknown flag --keep-io-type (did you mean --keep-io-types?)');
    const camel = await runCli(['convert', m, '-o', out, '--to', 'fp16', '--keepIoTyp', '--frobnicate']);
    expect(camel.exitCode).toBe(2);
    expect(camel.stderr).toBe(
      'onnxpress: unknown flag --keepIoTyp (did you mean --keep-io-types?); unknown flag --frobnicate (onnxpress convert --help lists what it takes)',
    );
    for (const r of [typo, camel]) expect(r.stderr).not.toMatch(/keepIoType\b|fooBar|Unknown argument/);
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown command or value, and a missing flag, say what was meant', async () => {
    const m = model();
    const command = await runCli(['inspekt', m]);
    expect(command.stderr).toBe("onnxpress: unknown command 'inspekt' (did you mean inspect?)");
    const sub = await runCli(['report', 'comp', 'a.json', 'b.json']);
    expect(sub.stderr).toBe("onnxpress: unknown command 'report comp' (did you mean report compare?)");
    const value = await runCli(['convert', m, '-o', 'x.onnx', '--to', 'fp17']);
    expect(value.stderr).toMatch(/^onnxpress: --to fp17: expected one of none, fp16, int8, [^\n]* \(did you mean fp16\?\)$/);
    const missing = await runCli(['convert', m, '-o', 'x.onnx']);
    expect(missing.stderr).toBe('onnxpress: missing --to');
    for (const r of [command, sub, value, missing]) expect(r.exitCode).toBe(2);
  });

  it('a flag of another conversion is an error naming the flag and the conversion it belongs to', async () => {
    const m = model();
    const out = path.join(path.dirname(m), 'out.onnx');
    const r = await runCli(['convert', m, '-o', out, '--to', 'fp16', '--per-channel']);
    expect(r.exitCode).toBe(2);
    expect(stderrLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^onnxpress: --per-channel is an option of --to int8, not of --to fp16 \(--to fp16 takes --keep-io-types, /);
    expect(existsSync(out)).toBe(false);
    // Spelt in camelCase or negated, it is still that flag; the conversion's own flags are fine.
    const camel = await runCli(['convert', m, '-o', out, '--to', 'none', '--keepIoTypes']);
    expect(camel.stderr).toMatch(
      /^onnxpress: --keep-io-types is an option of --to fp16( and --to [^,]+)*, not of --to none \(--to none takes no options\)$/,
    );
    const own = await runCli(['convert', m, '-o', out, '--to', 'int8', '--per-channel']);
    expect(own.stderr).toBe('');
    expect(own.exitCode).toBe(0);
  });
});

describe('errors name the file they are about', () => {
  it('inputs that differ between baseline and candidate: the candidate leads the message, the baseline is named in it', async () => {
    const dir = tempDir();
    const baseline = writeModel(path.join(dir, 'base.onnx'));
    const candidate = writeModel(path.join(dir, 'cand.onnx'), DataType.INT64);
    const r = await runCli(['validate', '--baseline', baseline, '--candidate', candidate]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`onnxpress: ${candidate}: input 'x' is float32 in the baseline (${baseline}) but int64 in the candidate`);
  });
});

describe('the README', () => {
  it('names pipeline files that exist, and the one it runs works as shown', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const pipelines = [...readme.matchAll(/onnxpress run (\S+\.ya?ml)/g)].map((m) => m[1]!);
    expect(pipelines.length).toBeGreaterThan(0);
    for (const p of pipelines) expect(existsSync(path.join(REPO_ROOT, p)), p).toBe(true);
    const reports = tempDir();
    const r = await runCli(['run', pipelines[0]!, '--only', 'digits_cnn,int8', '--report', reports]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^pass {2}digits_cnn\/int8 /);
    expect(readdirSync(reports).sort()).toEqual(['digits_cnn', 'junit.xml', 'report.html', 'report.json', 'report.md']);
  });
});

const run = promisify(execFile);

describe("npm's install settings", () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };

  it("skip onnxruntime-node's CUDA download under npm 10 (.npmrc) and npm 11 (allowScripts), as documented", async () => {
    // npm 10 ignores allowScripts and passes .npmrc's line to the script as npm_config_onnxruntime_node_install.
    expect(readFileSync(path.join(REPO_ROOT, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
    const script = path.join(REPO_ROOT, 'node_modules/onnxruntime-node/script/install.js');
    const skipped = await run(process.execPath, [script], {
      cwd: path.dirname(script),
      env: { PATH: process.env.PATH ?? '', npm_config_onnxruntime_node_install: 'skip' },
      timeout: 20_000,
    });
    expect(skipped.stdout + skipped.stderr).toBe('');
    // npm 11 runs no denied install script, and then prints no install-scripts notice about it.
    expect(pkg.allowScripts).toMatchObject({ 'onnxruntime-node': false });
    const guide = readFileSync(path.join(REPO_ROOT, 'docs/getting-started.md'), 'utf8');
    expect(guide).toContain('npm warn Unknown project config "onnxruntime-node-install"');
    expect(guide).toContain('allowScripts');
  });

  it('npm install-scripts lists neither onnxruntime-node nor protobufjs as unreviewed (npm 11 with allowScripts)', async (context) => {
    const npm = await run('npm', ['--version'], { cwd: REPO_ROOT }).catch(() => undefined);
    const [major = 0, minor = 0] = (npm?.stdout.trim() ?? '0.0').split('.').map(Number);
    if (major < 11 || (major === 11 && minor < 19)) context.skip();
    const listed = await run('npm', ['install-scripts', 'ls'], { cwd: REPO_ROOT, timeout: 60_000 });
    expect(listed.stdout + listed.stderr).not.toMatch(/onnxruntime-node@|protobufjs@/);
  });
});

describe('single-model report titles', () => {
  it('keep the model name: the folder of a model.onnx, or --name', async () => {
    const dir = path.join(tempDir(), 'resnet50');
    const baseline = writeModel(path.join(dir, 'model.onnx'));
    const candidate = path.join(dir, 'fp16.onnx');
    expect((await runCli(['convert', baseline, '-o', candidate, '--to', 'fp16'])).exitCode).toBe(0);

    const reports = path.join(dir, 'report');
    const r = await runCli(['validate', '--baseline', baseline, '--candidate', candidate, '--report', reports]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('PASS  resnet50: model.onnx -> fp16.onnx (fp16)');
    expect(readFileSync(path.join(reports, 'report.html'), 'utf8')).toContain('<title>resnet50: model.onnx → fp16.onnx (fp16)</title>');
    expect(readFileSync(path.join(reports, 'report.md'), 'utf8')).toContain('resnet50: model.onnx → fp16.onnx (fp16)');

    const named = await runCli([
      'validate',
      '--baseline',
      baseline,
      '--candidate',
      candidate,
      '--name',
      'ResNet-50 v1.5',
      '--report',
      reports,
      '--json',
    ]);
    expect(named.exitCode).toBe(0);
    const result = JSON.parse(named.stdout) as ValidationResult;
    expect(result.name).toBe('ResNet-50 v1.5');
    expect(readFileSync(path.join(reports, 'report.html'), 'utf8')).toContain('<title>ResNet-50 v1.5: model.onnx → fp16.onnx (fp16)</title>');
    expect(JSON.parse(readFileSync(path.join(reports, 'report.json'), 'utf8'))).toMatchObject({ kind: 'fp16', name: 'ResNet-50 v1.5' });
  });
});
