/**
 * Fuzzing the model reader: seeded mutations (mutations.ts) of every corpus
 * model go through load -> inspect -> serialize in process: 40 of each
 * exported model and its onnxruntime conversions, 12 of a sample of the onnx
 * backend models, 2 of every other one. Each must end in success or an
 * OnnxpressError naming the file on one line, within a second; nothing else
 * (no TypeError, RangeError, stack overflow, hang or huge allocation). A
 * failure names the file, the mutation's index and what it did. Fifty more
 * mutated files go through the CLI as child processes, which must exit 0 or 2
 * with a one-line error, no signal, and no output or temporary file left by a
 * failed convert.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeModel } from '../../src/analysis/inspect.js';
import { formatSummary } from '../../src/cli/inspect.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { isOnnxpressError } from '../../src/errors.js';
import { loadModel, parseModel } from '../../src/io/load.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS as corpusDir, HAVE_CORPUS, onnxFilesUnder } from '../helpers/corpus.js';
import { type Mutation, mutate, mutationTarget, seededRandom } from './mutations.js';

const modelsDir = path.join(corpusDir, 'models');
const hasCorpus = HAVE_CORPUS && existsSync(modelsDir);

const SEED = 0x0a11ce;
/** Mutations of each real exported model (models/NAME/model.onnx and its ort/ conversions). */
const PER_CORPUS_MODEL = 40;
/** Mutations of a sample of the small onnx backend models (cheap, and rich in rare features: subgraphs, sequences, functions). */
const PER_SAMPLED_MODEL = 12;
const SAMPLE_STRIDE = 6;
/** Every other corpus file still gets a fuzzed copy or two. */
const PER_OTHER_MODEL = 2;
/** Mutated files of each exported model for the weight-deferring load (each is written to disk first). */
const PER_EXPORTED_MODEL_DEFERRED = 4;
const MIN_MUTATIONS = 5000;
const MAX_MS_PER_CASE = 1000;
const CLI_CASES = 50;

interface FuzzFile {
  file: string;
  mutations: number;
}

function fuzzFiles(): FuzzFile[] {
  const exported = onnxFilesUnder(modelsDir).map((file) => ({ file, mutations: PER_CORPUS_MODEL }));
  const backend = onnxFilesUnder(path.join(corpusDir, 'onnx-backend')).map((file, i) => {
    const rare = /[/\\]test_(if|loop|scan|sequence|optional)/.test(file);
    return { file, mutations: i % SAMPLE_STRIDE === 0 || rare ? PER_SAMPLED_MODEL : PER_OTHER_MODEL };
  });
  return [...exported, ...backend];
}

/** A seed per file that depends on its path, not on which other files are in the list. */
function fileSeed(file: string): number {
  let h = SEED;
  for (const ch of path.relative(corpusDir, file)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

interface Failure {
  file: string;
  index: number;
  mutation: string;
  error: string;
}

/** Load, summarize and serialize one mutated model; returns the failure, if it is one. */
function runInProcess(bytes: Uint8Array, file: string): { ok: boolean; failure?: string } {
  try {
    const model = parseModel(bytes, { path: file });
    formatSummary(file, summarizeModel(model));
    modelToBytes(model);
    return { ok: true };
  } catch (e) {
    if (isOnnxpressError(e) && e.message.startsWith(`${file}: `) && !e.message.includes('\n')) return { ok: false };
    const text = e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 6).join('\n') : String(e);
    return { ok: false, failure: isOnnxpressError(e) ? `badly formed OnnxpressError: ${JSON.stringify(e.message)}` : text };
  }
}

/**
 * A case's time, measured again (best of three) when over half the limit: a
 * slow input stays slow, a pause of a busy machine does not repeat.
 */
function retimed(firstMs: number, again: () => void): number {
  let best = firstMs;
  for (let attempt = 0; attempt < 2 && best > MAX_MS_PER_CASE / 2; attempt++) {
    const t0 = performance.now();
    again();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function inPool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

describe.skipIf(!hasCorpus)('fuzzing the model reader over the corpus', () => {
  const files = hasCorpus ? fuzzFiles() : [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'onnxpress-fuzz-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it(`survives ${MIN_MUTATIONS}+ mutations in process: success or an OnnxpressError naming the file, each within ${MAX_MS_PER_CASE} ms`, () => {
    const failures: Failure[] = [];
    const byKind = new Map<string, { count: number; errors: number }>();
    let total = 0;
    let slowest = { ms: 0, what: '' };
    const started = performance.now();
    const cpuStarted = process.cpuUsage();

    for (const { file, mutations } of files) {
      const target = mutationTarget(new Uint8Array(readFileSync(file)));
      const rnd = seededRandom(fileSeed(file));
      for (let i = 0; i < mutations; i++) {
        const m: Mutation = mutate(target, rnd);
        const t0 = performance.now();
        const result = runInProcess(m.bytes, file);
        const ms = retimed(performance.now() - t0, () => runInProcess(m.bytes, file));
        total++;
        const stats = byKind.get(m.kind) ?? { count: 0, errors: 0 };
        stats.count++;
        if (!result.ok) stats.errors++;
        byKind.set(m.kind, stats);
        if (ms > slowest.ms) slowest = { ms, what: `${path.relative(corpusDir, file)} #${i} ${m.kind} ${m.detail}` };
        if (result.failure) failures.push({ file, index: i, mutation: `${m.kind} ${m.detail}`, error: result.failure });
      }
    }

    const kinds = [...byKind].map(([k, s]) => `${k} ${s.count} (${s.errors} rejected)`).join(', ');
    console.log(
      `fuzz: ${total} mutations of ${files.length} models in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(${(process.cpuUsage(cpuStarted).user / 1e6).toFixed(1)} s CPU); ` +
        `slowest ${slowest.ms.toFixed(1)} ms (${slowest.what}); ${kinds}`,
    );
    const report = failures
      .slice(0, 10)
      .map((f) => `${path.relative(corpusDir, f.file)} #${f.index} [${f.mutation}]:\n${f.error}`)
      .join('\n\n');
    expect(failures.length, `${failures.length} mutations crashed:\n${report}`).toBe(0);
    expect(total).toBeGreaterThanOrEqual(MIN_MUTATIONS);
    expect(slowest.ms, slowest.what).toBeLessThan(MAX_MS_PER_CASE);
  });

  it(`the weight-deferring load that inspect uses survives ${PER_EXPORTED_MODEL_DEFERRED} mutated files of each exported model`, () => {
    // This path reads the file itself (structure first, large raw_data on demand), so the mutations go through files.
    const rnd = seededRandom(SEED + 2);
    const failures: string[] = [];
    let slowest = { ms: 0, what: '' };
    const file = path.join(tmp, 'deferred.onnx');
    for (const source of files.filter((f) => f.mutations === PER_CORPUS_MODEL)) {
      const target = mutationTarget(new Uint8Array(readFileSync(source.file)));
      for (let i = 0; i < PER_EXPORTED_MODEL_DEFERRED; i++) {
        const m = mutate(target, rnd);
        writeFileSync(file, m.bytes);
        const run = (): string | undefined => {
          try {
            const model = loadModel(file, { deferWeights: true });
            formatSummary(file, summarizeModel(model));
            modelToBytes(model);
          } catch (e) {
            if (!(isOnnxpressError(e) && e.message.startsWith(`${file}: `) && !e.message.includes('\n'))) {
              return `${path.relative(corpusDir, source.file)} ${m.kind} ${m.detail}: ${e instanceof Error ? e.stack : String(e)}`;
            }
          }
          return undefined;
        };
        const t0 = performance.now();
        const failure = run();
        const ms = retimed(performance.now() - t0, run);
        if (failure) failures.push(failure);
        if (ms > slowest.ms) slowest = { ms, what: `${path.relative(corpusDir, source.file)} ${m.kind} ${m.detail}` };
      }
    }
    expect(failures, failures.slice(0, 5).join('\n\n')).toEqual([]);
    expect(slowest.ms, slowest.what).toBeLessThan(MAX_MS_PER_CASE);
  });

  it(`the CLI exits 0 or 2 on ${CLI_CASES} mutated models, with one line on stderr, no crash and no file left behind`, async () => {
    // Small models only (process start-up dominates anyway), mutated with their own seed.
    const small = files.filter((f) => f.mutations === PER_SAMPLED_MODEL);
    const rnd = seededRandom(SEED + 1);
    const outDir = path.join(tmp, 'out');
    const cases = Array.from({ length: CLI_CASES }, (_, i) => {
      const source = small[Math.floor((i * small.length) / CLI_CASES)]!.file;
      const m = mutate(mutationTarget(new Uint8Array(readFileSync(source))), rnd);
      const file = path.join(tmp, `case${i}.onnx`);
      writeFileSync(file, m.bytes);
      return { file, convert: i % 5 === 0, what: `${path.relative(corpusDir, source)} ${m.kind} ${m.detail}` };
    });
    const results = await inPool(cases, 2, async (c) => {
      const t0 = performance.now();
      const args = c.convert ? ['convert', '--to', 'none', c.file, '-o', path.join(outDir, path.basename(c.file))] : ['inspect', c.file];
      const r = await runCli(args);
      return { c, r, ms: performance.now() - t0 };
    });
    const problems: string[] = [];
    for (const { c, r } of results) {
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const ok =
        !r.signal &&
        (r.exitCode === 0 ? lines.length === 0 : r.exitCode === 2 && lines.length === 1 && lines[0]!.startsWith(`onnxpress: ${c.file}: `));
      if (!ok) problems.push(`${c.what}: exit ${r.exitCode} signal ${r.signal}\n${r.stderr}`);
    }
    // Converted outputs exist exactly for the runs that succeeded; no temporary files anywhere.
    const written = existsSync(outDir) ? readdirSync(outDir).sort() : [];
    const succeeded = results.filter(({ c, r }) => c.convert && r.exitCode === 0).map(({ c }) => path.basename(c.file));
    expect(written).toEqual(succeeded.sort());
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const rejected = results.filter(({ r }) => r.exitCode === 2).length;
    console.log(`fuzz CLI: ${results.length} runs, ${rejected} rejected, slowest ${Math.max(...results.map(({ ms }) => ms)).toFixed(0)} ms`);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

describe.runIf(!hasCorpus && process.env.ONNXPRESS_REQUIRE_CORPUS)('fuzz corpus required', () => {
  it('has the corpus models', () => {
    expect.fail(`ONNXPRESS_REQUIRE_CORPUS is set but ${modelsDir} does not exist`);
  });
});
