/** Every report says which runtime, provider, browser and WebGPU adapter ran each model (browser.md). */
import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/validate/result.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { RuntimeReport, ValidationResult } from '../../src/validate/types.js';
import { sampleResult } from './sample.js';

const NODE: RuntimeReport = { name: 'onnxruntime-node', version: '1.30.0', provider: 'cpu', host: 'Node 20.19.0' };
const WEBGPU: RuntimeReport = {
  name: 'onnxruntime-web',
  version: '1.31.0',
  provider: 'webgpu',
  host: 'Chromium 156.0',
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', features: ['subgroups'], software: true },
};

function ranOn(baseline: RuntimeReport, candidate: RuntimeReport): ValidationResult {
  const result = sampleResult();
  return { ...result, baseline: { ...result.baseline, runtime: baseline }, candidate: { ...result.candidate, runtime: candidate } };
}

describe('runtime in reports', () => {
  it('a single result names both sides when they ran apart, in Markdown, HTML and JUnit', () => {
    const result = ranOn(NODE, WEBGPU);
    const expected =
      'baseline: onnxruntime-node 1.30.0 (cpu); candidate: onnxruntime-web 1.31.0 (webgpu) in Chromium 156.0 on google swiftshader (software adapter, no shader-f16)';
    expect(renderMarkdown(result)).toContain(`Runtime: ${expected}`);
    expect(renderHtml(result)).toContain(`Runtime: ${expected}`);
    expect(renderJUnit(result)).toContain('name="candidateRuntime" value="onnxruntime-web 1.31.0 (webgpu) in Chromium 156.0 on google swiftshader');
  });

  it('a summary says once what every row ran on, or row by row when they differ', () => {
    const same = buildSummary([
      { model: 'a', variant: 'q4', result: ranOn(WEBGPU, WEBGPU) },
      { model: 'b', variant: 'q4', result: ranOn(WEBGPU, WEBGPU) },
    ]);
    expect(renderMarkdown(same)).toContain('Runtime: onnxruntime-web 1.31.0 (webgpu) in Chromium 156.0 on google swiftshader');
    const mixed = buildSummary([
      { model: 'a', variant: 'q4', result: ranOn(WEBGPU, WEBGPU) },
      { model: 'b', variant: 'int8', result: ranOn(NODE, NODE) },
    ]);
    expect(renderMarkdown(mixed)).toContain('- b / int8: onnxruntime-node 1.30.0 (cpu)');
  });
});
