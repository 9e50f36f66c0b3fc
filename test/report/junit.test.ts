import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/report/junit.js';
import { findAll, parseXml } from './xml.js';
import { HOSTILE_NAME, sampleResult, sampleSummary } from './sample.js';

describe('the test XML parser', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x=1/>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml('<a>1 < 2</a>')).toThrow();
    expect(() => parseXml('<a>R&D</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(parseXml('<a t="&lt;&amp;&#10;">x &gt; y</a>')).toEqual({ name: 'a', attributes: { t: '<&\n' }, children: [], text: 'x > y' });
  });
});

describe('junit.xml', () => {
  it('has one test case per threshold check, failures with messages', () => {
    const result = sampleResult({ thresholds: ['latency-ratio=0.5', 'top5=0.999', 'rmse@missing=1'] });
    const root = parseXml(renderJUnit(result));
    expect(root.name).toBe('testsuites');
    const cases = findAll(root, 'testcase');
    expect(cases).toHaveLength(result.checks.length);
    const failed = result.checks.filter((c) => c.status === 'fail');
    const skipped = result.checks.filter((c) => c.status === 'skipped');
    expect(failed.length).toBeGreaterThan(0);
    expect(skipped.length).toBe(1);
    expect(root.attributes).toMatchObject({ tests: String(result.checks.length), failures: String(failed.length), errors: '0', skipped: '1' });
    const failures = findAll(root, 'failure');
    expect(failures.map((f) => f.attributes.message)).toEqual(failed.map((c) => c.message));
    expect(failures[0]!.text).toContain('actual:');
    const [suite] = findAll(root, 'testsuite');
    expect(suite!.attributes.failures).toBe(String(failed.length));
    const props = Object.fromEntries(findAll(root, 'property').map((p) => [p.attributes.name!, p.attributes.value] as const));
    expect(props).toMatchObject({ executionProvider: 'cpu', intraOpNumThreads: '2', kind: 'int8' });
  });

  it('keeps hostile names intact through escaping', () => {
    const root = parseXml(renderJUnit(sampleResult({ name: HOSTILE_NAME })));
    const [suite] = findAll(root, 'testsuite');
    expect(suite!.attributes.name).toContain(HOSTILE_NAME);
    expect(findAll(root, 'testcase')[0]!.attributes.classname).toContain(HOSTILE_NAME);
  });

  it('writes a suite per summary entry and an error case for a run that failed', () => {
    const summary = sampleSummary();
    const root = parseXml(renderJUnit(summary));
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(summary.entries.length);
    const errors = findAll(root, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.attributes).toEqual({ message: 'session failed: <invalid> & "broken"', type: 'ORT_FAIL' });
    expect(root.attributes.errors).toBe('1');
    const total = summary.entries.reduce((n, e) => n + (e.result ? e.result.checks.length : 1), 0);
    expect(findAll(root, 'testcase')).toHaveLength(total);
    expect(root.attributes.tests).toBe(String(total));
  });

  it('drops characters XML cannot hold', () => {
    const result = sampleResult({ name: 'bad\u0001name\u0000' });
    const root = parseXml(renderJUnit(result));
    expect(findAll(root, 'testsuite')[0]!.attributes.name).toContain('badname');
  });
});
