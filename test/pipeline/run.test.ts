/**
 * Runs real pipelines: worker processes convert tiny models, and onnxpress's own validator checks them (without
 * latency, to stay fast). Conversion 'none' re-saves a model unchanged, so its outputs must equal the original's
 * exactly: cosine 1 and max-abs 0 are known without running anything.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/pipeline/normalize.js';
import { planPipeline } from '../../src/pipeline/plan.js';
import { runWorkerTask } from '../../src/pipeline/pool.js';
import { runPipeline, type PipelineRunResult, type RunEvent } from '../../src/pipeline/run.js';
import type { WorkerEntry } from '../../src/pipeline/task.js';
import type { EntryOutcome } from '../../src/pipeline/types.js';
import { parseReport } from '../../src/report/index.js';
import type { ValidationSummary } from '../../src/validate/types.js';
import { runCli } from '../helpers/cli.js';
import { processesMarked, writeHangingModel } from '../helpers/hanging-model.js';
import { CRASHING_VALIDATOR, tempDir, writeFile, writeTinyModel } from './helpers.js';

function entry(result: PipelineRunResult, model: string, variant: string): EntryOutcome {
  const found = result.entries.find((e) => e.model === model && e.variant === variant);
  if (!found) throw new Error(`no entry ${model}/${variant}`);
  return found;
}

describe('one model failing does not affect the others', () => {
  let root: string;
  let result: PipelineRunResult;
  const events: RunEvent[] = [];

  beforeAll(async () => {
    root = tempDir();
    writeTinyModel(path.join(root, 'models/a/model.onnx'), 1);
    writeTinyModel(path.join(root, 'models/b/model.onnx'), 2);
    // The custom runner aborts the process for a model whose id starts with "crash" (as ONNX Runtime aborts).
    writeTinyModel(path.join(root, 'models/crash/model.onnx'), 3);
    const good = readFileSync(path.join(root, 'models/a/model.onnx'));
    writeFile(path.join(root, 'models/broken/model.onnx'), good.subarray(0, good.length - 40));
    const file = writeFile(
      path.join(root, 'pipeline.yaml'),
      `models: ['models/*/model.onnx']
variants:
  copy: none
  crash-v: none
  twice: { chain: [none, none] }
validate:
  latency: false
  runner: ${JSON.stringify(CRASHING_VALIDATOR)}
report: { title: isolation }
`,
    );
    result = await runPipeline(planPipeline(loadPipeline(file)), { jobs: 2, onEvent: (e) => events.push(e) });
  });

  it('the custom runner receives the validation options of the plan, as they are', () => {
    const plan = planPipeline(loadPipeline(path.join(root, 'pipeline.yaml')));
    const planned = plan.models.find((m) => m.id === 'a')!.variants.find((v) => v.name === 'copy')!;
    expect(JSON.parse(readFileSync(`${planned.output}.options.json`, 'utf8'))).toEqual(planned.validate);
    expect(planned.validate).toMatchObject({ baselineName: 'a', candidateName: 'copy', latency: false, inputs: [], kind: 'other' });
  });

  it('good models pass, with outputs identical to the original', () => {
    for (const model of ['a', 'b']) {
      for (const variant of ['copy', 'twice']) {
        const e = entry(result, model, variant);
        expect(e.status, `${model}/${variant}: ${e.error?.message}`).toBe('pass');
        expect(e.result!.outputs.map((o) => [o.metrics.cosine, o.metrics.maxAbs])).toEqual([[1, 0]]);
        // 'none' is lossless: the variant file is the original, byte for byte.
        expect(readFileSync(e.output!)).toEqual(readFileSync(path.join(root, `models/${model}/model.onnx`)));
        expect(e.outputBytes).toBe(statSync(e.output!).size);
        expect(e.conversion).toEqual(
          variant === 'copy'
            ? [{ kind: 'none', modified: false }]
            : [
                { kind: 'none', modified: false },
                { kind: 'none', modified: false },
              ],
        );
      }
    }
  });

  it('a worker that aborts costs only the variant it was on; the next variant runs in a new worker', () => {
    for (const model of ['a', 'b']) {
      const crashed = entry(result, model, 'crash-v');
      expect(crashed.status).toBe('error');
      expect(crashed.error).toMatchObject({ stage: 'worker' });
      expect(crashed.error!.message).toMatch(/^the worker process was killed by SIGABRT while validating/);
      // It crashed after converting: the converted file is there and reported.
      expect(crashed.output).toBe(path.join(root, 'out/pipeline', model, 'crash-v.onnx'));
      expect(crashed.outputBytes).toBe(statSync(crashed.output!).size);
      expect(crashed.conversion).toEqual([{ kind: 'none', modified: false }]);
    }
    for (const variant of ['copy', 'crash-v', 'twice']) {
      expect(entry(result, 'crash', variant).error!.message).toMatch(/killed by SIGABRT while validating/);
    }
  });

  it('a model that does not parse is a conversion error with its reason', () => {
    for (const variant of ['copy', 'crash-v', 'twice']) {
      const e = entry(result, 'broken', variant);
      expect(e.status).toBe('error');
      expect(e.error).toMatchObject({ stage: 'convert', code: 'E_PARSE' });
      expect(e.error!.message).toContain(path.join(root, 'models/broken/model.onnx'));
      expect(e.output).toBeUndefined();
    }
  });

  it('the exit code is 2 and the summary lists every entry, every failure with its reason', () => {
    expect(result.exitCode).toBe(2);
    expect(result.entries.map((e) => `${e.model}/${e.variant}`)).toEqual(
      ['a', 'b', 'broken', 'crash'].flatMap((m) => ['copy', 'crash-v', 'twice'].map((v) => `${m}/${v}`)),
    );
    const dir = path.join(root, 'out/pipeline');
    expect(result.reports.files).toEqual(['report.json', 'report.md', 'report.html', 'junit.xml'].map((f) => path.join(dir, f)));
    const summary = parseReport(readFileSync(path.join(dir, 'report.json'), 'utf8')) as ValidationSummary;
    expect(summary.title).toBe('isolation');
    expect(summary.entries.map((e) => e.status)).toEqual(result.entries.map((e) => e.status));
    expect(summary.entries.filter((e) => e.status === 'pass')).toHaveLength(4);
    const markdown = readFileSync(path.join(dir, 'report.md'), 'utf8');
    for (const e of result.entries.filter((x) => x.status === 'error')) {
      const reason = e.error!.stage === 'convert' ? 'conversion failed' : 'the worker process was killed by SIGABRT';
      expect(summary.entries.find((s) => s.model === e.model && s.variant === e.variant)!.error!.message).toContain(reason);
    }
    expect(markdown).toContain('conversion failed: ');
    expect(markdown).toContain('killed by SIGABRT while validating');
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('SIGABRT');
  });

  it('writes a report per model, and progress events for every entry', () => {
    for (const model of ['a', 'b', 'broken', 'crash']) {
      const files = result.reports.models[model]!;
      expect(files.map((f) => path.relative(path.join(root, 'out/pipeline'), f))).toEqual(
        ['report.json', 'report.md', 'report.html', 'junit.xml'].map((f) => path.join(model, f)),
      );
      const own = parseReport(readFileSync(files[0]!, 'utf8')) as ValidationSummary;
      expect(own.entries.map((e) => e.variant)).toEqual(['copy', 'crash-v', 'twice']);
    }
    expect(events[0]).toEqual({ type: 'start', models: 4, entries: 12, jobs: 2 });
    expect(events.filter((e) => e.type === 'entry')).toHaveLength(12);
    expect(events.filter((e) => e.type === 'model-end')).toHaveLength(4);
    expect(events.some((e) => e.type === 'stage' && e.stage === 'validate')).toBe(true);
  });
});

describe('the cache', () => {
  it('reuses unchanged outcomes, and recomputes what a changed model, variant or setting affects', async () => {
    const root = tempDir();
    writeTinyModel(path.join(root, 'models/a.onnx'), 1);
    writeTinyModel(path.join(root, 'models/b.onnx'), 2);
    const pipeline = (copy: string, cosine = '0.99') =>
      writeFile(
        path.join(root, 'p.yaml'),
        `models: ['models/*.onnx']
variants:
  copy: ${copy}
  twice: { chain: [none, none] }
validate:
  latency: false
  thresholds: { twice: { cosine: ${cosine} } }
`,
      );
    const run = (options: { force?: boolean; workerEntry?: string } = {}) => runPipeline(planPipeline(loadPipeline(pipeline('none'))), options);
    const cachedOf = (r: PipelineRunResult) => r.entries.map((e) => `${e.model}/${e.variant}:${e.cached ? 'cached' : 'ran'}`);

    const first = await run();
    expect(first.exitCode).toBe(0);
    expect(cachedOf(first)).toEqual(['a/copy:ran', 'a/twice:ran', 'b/copy:ran', 'b/twice:ran']);
    const mtime = statSync(path.join(root, 'out/p/a/copy.onnx')).mtimeMs;

    // A worker that cannot start would turn any cache miss into an error: a clean run proves none was spawned.
    const second = await run({ workerEntry: path.join(root, 'no-such-worker.js') });
    expect(second.exitCode).toBe(0);
    expect(cachedOf(second)).toEqual(['a/copy:cached', 'a/twice:cached', 'b/copy:cached', 'b/twice:cached']);
    expect(second.entries.map((e) => e.result)).toEqual(first.entries.map((e) => e.result));
    expect(statSync(path.join(root, 'out/p/a/copy.onnx')).mtimeMs).toBe(mtime);
    expect(second.seconds).toBeLessThan(first.seconds);

    // A changed model: only its entries run again.
    writeTinyModel(path.join(root, 'models/b.onnx'), 5);
    expect(cachedOf(await run())).toEqual(['a/copy:cached', 'a/twice:cached', 'b/copy:ran', 'b/twice:ran']);

    // A changed variant: only that variant runs again.
    // (`{ chain: [none] }` would be the same passes as `none`, and hit the cache.)
    const changedVariant = await runPipeline(planPipeline(loadPipeline(pipeline('{ chain: [none, none, none] }'))));
    expect(cachedOf(changedVariant)).toEqual(['a/copy:ran', 'a/twice:cached', 'b/copy:ran', 'b/twice:cached']);

    // A changed threshold of one variant.
    const changedThreshold = await runPipeline(planPipeline(loadPipeline(pipeline('{ chain: [none, none, none] }', '0.98'))));
    expect(cachedOf(changedThreshold)).toEqual(['a/copy:cached', 'a/twice:ran', 'b/copy:cached', 'b/twice:ran']);

    // A deleted output is converted again.
    writeFileSync(path.join(root, 'out/p/a/twice.onnx'), '');
    const repaired = await runPipeline(planPipeline(loadPipeline(pipeline('{ chain: [none, none, none] }', '0.98'))));
    expect(cachedOf(repaired)).toEqual(['a/copy:cached', 'a/twice:ran', 'b/copy:cached', 'b/twice:cached']);

    // --force
    const forced = await runPipeline(planPipeline(loadPipeline(pipeline('{ chain: [none, none, none] }', '0.98'))), { force: true });
    expect(forced.entries.every((e) => !e.cached)).toBe(true);
  });
});

describe('a worker that cannot start', () => {
  it('gives every variant an error saying so, once', async () => {
    const root = tempDir();
    const entries: WorkerEntry[] = [];
    const variant = (name: string) => ({
      variant: name,
      passes: [],
      output: path.join(root, `${name}.onnx`),
      options: {} as never,
    });
    await runWorkerTask(
      { model: 'm', input: 'm.onnx', variants: [variant('x'), variant('y')] },
      { stage: () => {}, entry: (e) => entries.push(e) },
      { workerEntry: path.join(root, 'missing.js') },
    );
    expect(entries.map((e) => [e.variant, e.status, e.error!.stage, e.cacheable])).toEqual([
      ['x', 'error', 'worker', false],
      ['y', 'error', 'worker', false],
    ]);
    expect(entries[0]!.error!.message).toMatch(/^the worker process exited with code 1 while starting \(stderr: .*Cannot find module/);
  });
});

describe('a variant past the timeout', () => {
  it('is an error of the stage it was in; the worker and its ONNX Runtime processes are stopped, other models unaffected', async () => {
    const root = tempDir();
    writeTinyModel(path.join(root, 'models/tiny/model.onnx'));
    mkdirSync(path.join(root, 'models/hang'), { recursive: true });
    writeHangingModel(path.join(root, 'models/hang'));
    // The pipeline's own timeout (600 s) would let the run hang for ten minutes: --timeout overrides it.
    const file = writeFile(
      path.join(root, 'pipeline.yaml'),
      `models: ['models/*/*.onnx']\nvariants: { copy: none }\nvalidate: { latency: false }\ntimeout: 600\n`,
    );
    const marker = `ONNXPRESS_TIMEOUT_TEST=${process.pid}-${Date.now()}`;
    const [name, value] = marker.split('=') as [string, string];
    const r = await runCli(['run', file, '--timeout', '6', '--jobs', '2', '--json'], { env: { [name]: value } });
    expect(r.exitCode).toBe(2);
    // Nothing the run started is left: not the worker, not the session process stuck in ONNX Runtime's Loop.
    await new Promise((done) => setTimeout(done, 500));
    expect(processesMarked(marker)).toEqual([]);
    const { entries } = JSON.parse(r.stdout) as { entries: { model: string; status: string; error?: { stage: string; message: string } }[] };
    expect(entries.find((e) => e.model === 'tiny')?.status).toBe('pass');
    expect(entries.find((e) => e.model === 'hang')).toMatchObject({
      status: 'error',
      error: { stage: 'validate', message: 'did not finish within the 6 s timeout; stopped' },
    });
  });
});
