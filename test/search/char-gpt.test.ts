/**
 * Accuracy-guided q4 of char_gpt through the CLI, checked with validate() on the whole test set, on Python source
 * the search never saw (test/fixtures/python-text), and against its own reproduction flags.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/ir/dtypes.js';
import { validate } from '../../src/validate/validate.js';
import { runCli } from '../helpers/cli.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS, REPO_ROOT } from '../helpers/corpus.js';
import { encodeTensor } from '../helpers/onnx-proto.js';
import { tempDir } from '../helpers/temp.js';

const MODEL_DIR = join(CORPUS_MODELS_DIR, 'char_gpt');
const MODEL = join(MODEL_DIR, 'model.onnx');
const TEST_SET = join(MODEL_DIR, 'test_data_set_0');
const LABELS = join(MODEL_DIR, 'labels.pb');

/** Rows of 129 bytes of the fixture: input_ids [rows, 128] and labels [rows, 128] (the next byte), as .pb files. */
function unseenText(dir: string): { inputs: string; labels: string } {
  const text = readFileSync(join(REPO_ROOT, 'test/fixtures/python-text/textwrap.py'));
  const rows = Math.floor(text.length / 129);
  const ids: number[] = [];
  const next: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < 128; i++) {
      ids.push(text[r * 129 + i]!);
      next.push(text[r * 129 + i + 1]!);
    }
  }
  const inputs = join(dir, 'unseen');
  const set = join(inputs, 'test_data_set_0');
  mkdirSync(set, { recursive: true });
  writeFileSync(join(set, 'input_0.pb'), encodeTensor({ name: 'input_ids', dims: [rows, 128], dataType: DataType.INT64, int64Data: ids }));
  const labels = join(dir, 'unseen-labels.pb');
  writeFileSync(labels, encodeTensor({ dims: [rows, 128], dataType: DataType.INT64, int64Data: next }));
  return { inputs, labels };
}

async function accuracyDrop(candidate: string, inputs: string, labels: string): Promise<number> {
  const r = await validate({ baseline: MODEL, candidate, inputs: [inputs], labels, thresholds: ['accuracy-drop=1'], defaultThresholds: false });
  return r.accuracy!.baseline.accuracy - r.accuracy!.candidate.accuracy;
}

interface SearchJson {
  passed: boolean;
  outputBytes: number;
  inputBytes: number;
  validations: number;
  budget: number;
  steps: unknown[];
  reproduce: { flag: string; file: string }[];
}

describe.skipIf(!HAVE_CORPUS)('convert --to q4 --threshold on char_gpt', () => {
  it('accuracy-drop=0.002: met on the test set at <= 0.25x the float32 size, no worse than plain q4 on unseen text, reproducible', async () => {
    const dir = tempDir();
    const out = join(dir, 'model_q4.onnx');
    const run = await runCli([
      'convert',
      MODEL,
      '-o',
      out,
      '--to',
      'q4',
      '--threshold',
      'accuracy-drop=0.002',
      '--inputs',
      TEST_SET,
      '--labels',
      LABELS,
      '--json',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SearchJson;
    expect(result.passed).toBe(true);
    expect(result.validations).toBeLessThanOrEqual(20);
    expect(statSync(out).size / statSync(MODEL).size).toBeLessThanOrEqual(0.25);

    // The whole test set (the search saw 3/4 of its rows), measured by validate on its own.
    expect(await accuracyDrop(out, TEST_SET, LABELS)).toBeLessThanOrEqual(0.002);

    const plain = join(dir, 'plain_q4.onnx');
    expect((await runCli(['convert', MODEL, '-o', plain, '--to', 'q4'])).exitCode).toBe(0);
    const unseen = unseenText(dir);
    const searchedDrop = await accuracyDrop(out, unseen.inputs, unseen.labels);
    const plainDrop = await accuracyDrop(plain, unseen.inputs, unseen.labels);
    expect(searchedDrop, `searched ${searchedDrop} vs plain q4 ${plainDrop}`).toBeLessThanOrEqual(plainDrop);

    // The kept-node lists read back with @FILE give the same model.
    const again = join(dir, 'again.onnx');
    const flags = result.reproduce.flatMap((r) => [`--${r.flag}`, `@${r.file}`]);
    expect(flags.length).toBeGreaterThan(0);
    expect((await runCli(['convert', MODEL, '-o', again, '--to', 'q4', ...flags])).exitCode).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  }, 900_000);

  it('cosine=0.999: met at <= 0.25x the float32 size (embedding tables at 8 bits make the room), checked by validate on the whole test set', async () => {
    const dir = tempDir();
    const out = join(dir, 'model_q4.onnx');
    const run = await runCli(['convert', MODEL, '-o', out, '--to', 'q4', '--threshold', 'cosine=0.999', '--inputs', TEST_SET, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SearchJson & { tables: string[] };
    expect(result.validations).toBeLessThanOrEqual(20);
    expect(statSync(out).size / statSync(MODEL).size).toBeLessThanOrEqual(0.25);
    const r = await validate({ baseline: MODEL, candidate: out, inputs: [TEST_SET], thresholds: ['cosine=0.999'], defaultThresholds: false });
    expect(r.outputs[0]!.metrics.cosine).toBeGreaterThanOrEqual(0.999);
    expect(result.tables.sort()).toEqual(['/pos/Gather', '/tok/Gather']);
  }, 900_000);
});
