/**
 * FP16 conformance on ONNX's backend node tests (see conformance-harness.ts).
 * Asserts a floor on the pass count, that no failure is a crash or an invalid
 * model, and that docs/conformance.md lists every failure and every 'n/a' test.
 *
 * ONNXPRESS_WRITE_CONFORMANCE=1 rewrites the FP16 tables of docs/conformance.md
 * from this run instead (scripts/fp16-conformance.mjs does that).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_NODE_DIR, HAVE_CORPUS, REPO_ROOT } from '../../helpers/corpus.js';
import { ATOL, RTOL, runAll, type CaseResult } from './conformance-harness.js';

const DOC = join(REPO_ROOT, 'docs', 'conformance.md');
const START = '<!-- fp16-conformance:start -->';
const END = '<!-- fp16-conformance:end -->';

/** Lowest pass count accepted (the count when this floor was set: 1152). */
const PASS_FLOOR = 1150;

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function conformanceTables(results: CaseResult[]): string {
  const pass = results.filter((r) => r.status === 'pass');
  const fail = results.filter((r) => r.status === 'fail');
  const na = results.filter((r) => r.status === 'n/a');
  const lines = [
    START,
    `Float32-input tests: ${results.length}. **Pass: ${pass.length}**, fail: ${fail.length}, not applicable: ${na.length}.`,
    `Tolerance: |got - expected| <= ${ATOL} * max(1, max |expected|) + ${RTOL} * |expected| for float outputs; other outputs exact.`,
    '',
    '### Failures',
    '',
    '| test | category | reason |',
    '|---|---|---|',
    ...fail.map((r) => `| ${r.name} | ${r.category} | ${escapeCell(r.reason ?? '')} |`),
    '',
    '### Not applicable',
    '',
    'The float32 model cannot be checked here, so neither can its conversion.',
    '',
    '| test | reason |',
    '|---|---|',
    ...na.map((r) => `| ${r.name} | ${escapeCell(r.reason ?? '')} |`),
    END,
  ];
  return lines.join('\n');
}

describe.skipIf(!HAVE_CORPUS)('FP16 conformance on ONNX backend node tests', () => {
  it('converts every float32-input test into a valid model; failures are float16 limits, all documented', { timeout: 600_000 }, async () => {
    const results = await runAll(BACKEND_NODE_DIR);
    const fail = results.filter((r) => r.status === 'fail');
    const pass = results.filter((r) => r.status === 'pass');

    if (process.env.ONNXPRESS_WRITE_CONFORMANCE) {
      const doc = readFileSync(DOC, 'utf8');
      const a = doc.indexOf(START);
      const b = doc.indexOf(END);
      if (a < 0 || b < a) throw new Error(`${DOC} has no ${START} ... ${END} block`);
      writeFileSync(DOC, doc.slice(0, a) + conformanceTables(results) + doc.slice(b + END.length));
    }

    // Never a crash, a refusal or a model ONNX Runtime cannot load or run.
    expect(fail.filter((r) => r.category !== 'precision' && r.category !== 'range')).toEqual([]);
    expect(pass.length).toBeGreaterThanOrEqual(PASS_FLOOR);

    const doc = readFileSync(DOC, 'utf8');
    const block = doc.slice(doc.indexOf(START), doc.indexOf(END));
    const listed = new Set([...block.matchAll(/^\| (test_\S+) \|/gm)].map((m) => m[1]));
    const unlisted = results.filter((r) => r.status !== 'pass' && !listed.has(r.name)).map((r) => `${r.name} (${r.status}): ${r.reason}`);
    expect(unlisted, 'missing from docs/conformance.md (regenerate with scripts/fp16-conformance.mjs)').toEqual([]);
  });
});
