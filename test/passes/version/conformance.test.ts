/**
 * Version converter conformance on ONNX's backend node tests (see conformance-harness.ts), at opsets 21 and
 * 23: every test of an older opset whose op changed on the way is upgraded and must still produce its
 * expected outputs. Asserts a floor on the pass count, that nothing fails, and that docs/conformance.md lists
 * every test that cannot be checked.
 *
 * ONNXPRESS_WRITE_UPGRADE_CONFORMANCE=1 rewrites the version converter's tables of docs/conformance.md from
 * this run instead (scripts/upgrade-conformance.mjs does that).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_NODE_DIR, HAVE_CORPUS, REPO_ROOT } from '../../helpers/corpus.js';
import { ATOL, RTOL, runAll, type CaseResult } from './conformance-harness.js';

const DOC = join(REPO_ROOT, 'docs', 'conformance.md');
const START = '<!-- upgrade-conformance:start -->';
const END = '<!-- upgrade-conformance:end -->';

/** Lowest pass counts accepted, by target (the counts when these floors were set: 232 and 252). */
const PASS_FLOORS: Record<number, number> = { 21: 232, 23: 252 };

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function byOpset(results: readonly CaseResult[]): string {
  const counts = new Map<number, number>();
  for (const r of results) counts.set(r.opset, (counts.get(r.opset) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => a[0] - b[0])
    .map(([opset, n]) => `${opset}: ${n}`)
    .join(', ');
}

function tables(runs: ReadonlyMap<number, CaseResult[]>): string {
  const lines = [START];
  for (const [target, results] of runs) {
    const pass = results.filter((r) => r.status === 'pass');
    const fail = results.filter((r) => r.status === 'fail');
    const na = results.filter((r) => r.status !== 'pass' && r.status !== 'fail');
    lines.push(
      `### Target opset ${target}`,
      '',
      `Tests of an older opset with an op that changed: ${results.length} (by opset: ${byOpset(results)}). ` +
        `**Pass: ${pass.length}**, fail: ${fail.length}, cannot be checked: ${na.length}.`,
      '',
      '| test | opset | status | reason |',
      '|---|---|---|---|',
      ...[...fail, ...na].map(
        (r) => `| ${r.name} | ${r.opset} | ${r.status === 'fail' ? `fail (${r.category})` : 'cannot be checked'} | ${escapeCell(r.reason ?? '')} |`,
      ),
      '',
    );
  }
  lines.push(`Tolerance: |got - expected| <= ${ATOL} * max(1, max |expected|) + ${RTOL} * |expected| for float outputs; other outputs exact.`, END);
  return lines.join('\n');
}

describe.skipIf(!HAVE_CORPUS)('version converter conformance on ONNX backend node tests', () => {
  it('upgrades every old-opset test whose op changed, and the upgraded model still computes the expected outputs', { timeout: 600_000 }, async () => {
    const runs = new Map<number, CaseResult[]>();
    for (const target of [21, 23]) runs.set(target, await runAll(BACKEND_NODE_DIR, target));

    if (process.env.ONNXPRESS_WRITE_UPGRADE_CONFORMANCE) {
      const doc = readFileSync(DOC, 'utf8');
      const a = doc.indexOf(START);
      const b = doc.indexOf(END);
      if (a < 0 || b < a) throw new Error(`${DOC} has no ${START} ... ${END} block`);
      writeFileSync(DOC, doc.slice(0, a) + tables(runs) + doc.slice(b + END.length));
    }

    const doc = readFileSync(DOC, 'utf8');
    const block = doc.slice(doc.indexOf(START), doc.indexOf(END));
    for (const [target, results] of runs) {
      expect(results.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
      expect(results.filter((r) => r.status === 'pass').length, `target ${target}`).toBeGreaterThanOrEqual(PASS_FLOORS[target]!);
      // The old opsets are in the run: Scan 8, Upsample 9, Scatter 10, Dropout 11 (and more).
      for (const name of ['test_scan_sum', 'test_upsample_nearest', 'test_scatter_with_axis', 'test_dropout_default_old']) {
        expect(results.find((r) => r.name === name)?.status, `${name} at ${target}`).toBe('pass');
      }
      const section = block.slice(block.indexOf(`### Target opset ${target}`));
      const listed = new Set([...section.matchAll(/^\| (test_\S+) \|/gm)].map((m) => m[1]));
      const unlisted = results.filter((r) => r.status !== 'pass' && !listed.has(r.name)).map((r) => `${r.name} (${r.status}): ${r.reason}`);
      expect(unlisted, 'missing from docs/conformance.md (regenerate with scripts/upgrade-conformance.mjs)').toEqual([]);
    }
  });
});
