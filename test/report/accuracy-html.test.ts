/**
 * diagnose.html and search.html in headless Chromium: the depth chart and the size/metric curve lay out with a
 * size, the inline script runs without error, and every node and step is on the page.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnoseResult, NodeDiagnosis } from '../../src/diagnose/types.js';
import { writeDiagnoseReports } from '../../src/report/diagnose.js';
import { writeSearchReports } from '../../src/report/search.js';
import type { SearchResult } from '../../src/search/search.js';
import { attribute, dumpDom, haveChromium } from './chromium.js';

function node(i: number, introducedDb: number, accumulatedDb: number): NodeDiagnosis {
  const metrics = (db: number) => ({ cosine: 1 - 10 ** (-db / 10) / 2, sqnrDb: db, maxAbs: 10 ** (-db / 20), nonFinite: 0 });
  return {
    name: `/blocks.${i}/fc<${i}>/MatMul`,
    opType: 'MatMul',
    output: `/blocks.${i}/fc/MatMul_output_0`,
    candidateOutput: `/blocks.${i}/fc/MatMul_output_0`,
    matchedBy: 'name',
    index: i * 10,
    introduced: metrics(introducedDb),
    accumulated: metrics(accumulatedDb),
    outputMaxAbs: 5,
    weights: [{ name: `w${i}`, elements: 1024, min: -0.5, max: 0.6, std: 0.05, outlierRatio: 12 }],
    reasons: ['outlier weights: max |w| is 12.0x their standard deviation'],
  };
}

const diagnosis: DiagnoseResult = {
  baseline: '/models/model.onnx',
  candidate: '/models/model_q4.onnx',
  inputs: 'test_data_set_0',
  samples: 1,
  nodes: [node(2, 22.1, 14.6), node(0, 22.4, 21.0), node(1, Infinity, 18.2), node(3, 31.2, Infinity)],
  unmatched: [{ name: '/Cast', opType: 'Cast', output: '/Cast_output_0', reason: 'the candidate has no value' }],
  notFloat: 7,
  notes: [],
};

const step = (i: number, bytes: number, cosine: number) => ({
  step: i,
  tried: i === 0 ? 'the full conversion' : `top ${i} of 17 ranked nodes at eight-bit`,
  kept: [],
  bytes,
  metrics: { 'cosine@logits': cosine },
  failed: cosine >= 0.999 ? 0 : 1,
  passed: cosine >= 0.999,
});
const check = {
  id: 'cosine@logits',
  metric: 'cosine' as const,
  output: 'logits',
  direction: 'min' as const,
  limit: 0.999,
  actual: 0.99905,
  status: 'pass' as const,
  source: 'user' as const,
  message: 'cosine of logits = 0.99905 >= 0.999',
};
const search: SearchResult = {
  input: '/models/model.onnx',
  output: '/models/model_q4.onnx',
  inputBytes: 7_656_344,
  outputBytes: 2_076_180,
  passed: true,
  kept: [{ node: '/head/MatMul', rung: 'eight-bit' }],
  tables: [],
  reproduce: [],
  steps: [
    step(0, 1_521_038, 0.99737),
    step(1, 1_541_000, 0.99774),
    step(2, 1_625_000, 0.99786),
    step(4, 1_751_000, 0.99812),
    step(3, 1_700_000, 0.9991),
  ],
  validations: 8,
  budget: 20,
  ranked: 17,
  holdout: { description: '8 of 32 rows held out', checks: [check], passed: true },
  checks: [check],
};

describe.skipIf(!haveChromium && !process.env.CI)('accuracy reports in headless Chromium', () => {
  let dir = '';
  beforeAll(async () => {
    if (!haveChromium) throw new Error('CI needs chromium on PATH; .ci/run installs it with apt-get');
    dir = await mkdtemp(path.join(os.tmpdir(), 'onnxpress-accuracy-html-'));
    await writeDiagnoseReports(dir, diagnosis);
    await writeSearchReports(dir, search);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('diagnose.html draws the depth chart (a point per node and series) and lists the offenders, escaped', async () => {
    const dom = await dumpDom(path.join(dir, 'profile-diag'), pathToFileURL(path.join(dir, 'diagnose.html')).href);
    expect(attribute(dom, 'data-script-error')).toBeUndefined();
    expect(attribute(dom, 'data-rendered')).toBe('true');
    expect(attribute(dom, 'data-charts-drawn')).toBe('1');
    // 4 accumulated points and 4 introduced ones (the exact one is drawn at the ceiling).
    expect(dom.match(/<circle class="point"/g)?.length).toBe(4 + 4);
    expect(dom).toContain('/blocks.2/fc&lt;2&gt;/MatMul');
    expect(dom).toContain('1 unmatched nodes');
  });

  it('search.html draws the size/metric curve with its Pareto front and the threshold', async () => {
    const dom = await dumpDom(path.join(dir, 'profile-search'), pathToFileURL(path.join(dir, 'search.html')).href);
    expect(attribute(dom, 'data-script-error')).toBeUndefined();
    expect(attribute(dom, 'data-charts-drawn')).toBe('1');
    // Pareto front of (size, cosine): steps 0, 1, 2 and 3 (step 4 is larger and worse than step 3).
    const front = /<path class="series" d="([^"]+)" fill="none" stroke="#f28e2b"/.exec(dom)?.[1] ?? '';
    expect(front.split(/[ML]/).filter((p) => p.trim() !== '').length).toBe(4);
    expect(dom).toContain('8 of 32 rows held out');
  });
});
