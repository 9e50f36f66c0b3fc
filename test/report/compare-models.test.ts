/** `report compare` refuses reports of two different models (their baselines' graph hashes differ) unless forced. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareReports, DifferentModelsError, renderComparisonMarkdown } from '../../src/report/compare.js';
import { parseReport, renderJson } from '../../src/report/json.js';
import { buildSummary } from '../../src/validate/result.js';
import type { ReportDocument, ValidationResult } from '../../src/validate/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { sampleResult } from './sample.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

function withHash(result: ValidationResult, hash: string | undefined): ValidationResult {
  const copy = parseReport(renderJson(result)) as ValidationResult;
  if (hash === undefined) delete copy.baseline.graphHash;
  else copy.baseline.graphHash = hash;
  return copy;
}

describe('compareReports and the baseline graph hash', () => {
  const base = sampleResult({ kind: 'int8' });

  it('compares reports of the same model without a note', () => {
    const c = compareReports(withHash(base, HASH_A), withHash(base, HASH_A));
    expect(c.notes).toEqual([]);
    expect(c.passed).toBe(true);
  });

  it('refuses reports of different models, naming the entry and both hashes', () => {
    const compare = () => compareReports(withHash(base, HASH_A), withHash(base, HASH_B));
    expect(compare).toThrow(DifferentModelsError);
    expect(compare).toThrow(/^the reports are of different models: the baseline graph of .* differs \(hash aaaaaaaaaaaa before, bbbbbbbbbbbb now\)$/);
  });

  it('compares them anyway with force, and says so', () => {
    const c = compareReports(withHash(base, HASH_A), withHash(base, HASH_B), { force: true });
    expect(c.compared).toBe(1);
    expect(c.notes).toHaveLength(1);
    expect(c.notes[0]).toMatch(/^Compared with --force although the reports are of different models: /);
    expect(renderComparisonMarkdown(c)).toMatch(/^> Compared with --force although/m);
  });

  it('compares old reports without a hash, with a note', () => {
    const c = compareReports(withHash(base, undefined), withHash(base, HASH_A));
    expect(c.passed).toBe(true);
    expect(c.notes).toEqual([
      "The reports lack the baseline's graph hash (written by an older onnxpress), so whether they are of the same model was not checked.",
    ]);
  });

  it('checks each matched entry of a summary', () => {
    const summary = (hashes: (string | undefined)[]): ReportDocument =>
      buildSummary(hashes.map((h, i) => ({ model: `m${i}`, variant: 'int8', result: withHash(base, h) })));
    expect(() => compareReports(summary([HASH_A, HASH_A, HASH_A]), summary([HASH_A, HASH_B, HASH_A]))).toThrow(
      /the baseline graph of m1 \/ int8 differs/,
    );
    const partly = compareReports(summary([HASH_A, undefined]), summary([HASH_A, HASH_A]));
    expect(partly.notes[0]).toMatch(/^1 of the 2 compared entries lack the baseline's graph hash/);
    // An entry new in the later report has nothing to be compared with, so it is not checked.
    expect(compareReports(summary([HASH_A]), summary([HASH_A, HASH_B])).notes).toEqual([]);
  });
});

describe('onnxpress report compare', () => {
  it('exits 2 with one line for reports of different models, and compares them with --force', async () => {
    const dir = tempDir();
    const base = sampleResult({ kind: 'int8' });
    const [a, b] = [join(dir, 'a.json'), join(dir, 'b.json')];
    writeFileSync(a, renderJson(withHash(base, HASH_A)));
    writeFileSync(b, renderJson(withHash(base, HASH_B)));
    const refused = await runCli(['report', 'compare', a, b]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /^onnxpress: .*a\.json and .*b\.json: the reports are of different models: .* \(pass --force to compare them anyway\)$/m,
    );
    const forced = await runCli(['report', 'compare', a, b, '--force']);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain('> Compared with --force although the reports are of different models');
    const json = await runCli(['report', 'compare', a, b, '--force', '--json']);
    expect((JSON.parse(json.stdout) as { notes: string[] }).notes).toHaveLength(1);
  });
});
