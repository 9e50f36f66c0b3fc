/**
 * junit.xml: one <testsuite> per model and variant, one <testcase> per threshold check, so CI test reporters
 * list every check. A failed check is a <failure>; a skipped one <skipped>; a run that could not complete
 * is a single test case with an <error>.
 */
import type { ReportDocument, SummaryEntry, ThresholdCheck } from '../validate/types.js';
import { describeRuntime, entriesOf } from './document.js';
import { escapeXml, escapeXmlAttribute as attr } from './escape.js';
import { formatMetricValue } from './format.js';

export function renderJUnit(doc: ReportDocument): string {
  const suites = entriesOf(doc).map(suiteFor);
  const totals = suites.reduce(
    (sum, s) => ({
      tests: sum.tests + s.tests,
      failures: sum.failures + s.failures,
      errors: sum.errors + s.errors,
      skipped: sum.skipped + s.skipped,
    }),
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="onnxpress" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="0">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

interface Suite {
  xml: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suiteFor(entry: SummaryEntry): Suite {
  const name = `${entry.model} / ${entry.variant}`;
  const className = `onnxpress.${entry.model}.${entry.variant}`;
  const result = entry.result;
  if (!result) {
    const message = entry.error?.message ?? 'no result';
    const testcase =
      `    <testcase classname="${attr(className)}" name="run" time="0">\n` +
      `      <error message="${attr(message)}" type="${attr(entry.error?.code ?? 'error')}">${escapeXml(message)}</error>\n` +
      '    </testcase>';
    return { xml: suiteXml(name, [], [testcase], { tests: 1, failures: 0, errors: 1, skipped: 0 }), tests: 1, failures: 0, errors: 1, skipped: 0 };
  }
  const counts = {
    tests: result.checks.length,
    failures: result.checks.filter((c) => c.status === 'fail').length,
    errors: 0,
    skipped: result.checks.filter((c) => c.status === 'skipped').length,
  };
  const properties: [string, string][] = [
    ['kind', result.kind],
    ['baseline', result.baseline.path],
    ['candidate', result.candidate.path],
    ['executionProvider', result.environment.executionProvider],
    ['onnxruntimeVersion', result.environment.onnxruntimeVersion],
    ['intraOpNumThreads', String(result.environment.intraOpNumThreads)],
    ...(result.baseline.runtime ? [['baselineRuntime', describeRuntime(result.baseline.runtime)] as [string, string]] : []),
    ...(result.candidate.runtime ? [['candidateRuntime', describeRuntime(result.candidate.runtime)] as [string, string]] : []),
  ];
  const cases = result.checks.map((c) => testcaseXml(className, c));
  return { xml: suiteXml(name, properties, cases, counts, result.createdAt), ...counts };
}

function suiteXml(
  name: string,
  properties: readonly [string, string][],
  cases: readonly string[],
  counts: Omit<Suite, 'xml'>,
  timestamp?: string,
): string {
  const attrs =
    `name="${attr(name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" ` +
    `skipped="${counts.skipped}" time="0"${timestamp ? ` timestamp="${attr(timestamp)}"` : ''}`;
  const props =
    properties.length > 0
      ? ['    <properties>', ...properties.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`), '    </properties>']
      : [];
  return [`  <testsuite ${attrs}>`, ...props, ...cases, '  </testsuite>'].join('\n');
}

function testcaseXml(className: string, c: ThresholdCheck): string {
  const name = `${c.id} ${c.direction === 'min' ? '>=' : '<='} ${formatMetricValue(c.metric, c.limit)}`;
  const open = `    <testcase classname="${attr(className)}" name="${attr(name)}" time="0"`;
  if (c.status === 'pass') return `${open}/>`;
  const inner =
    c.status === 'fail'
      ? `      <failure message="${attr(c.message)}" type="threshold">${escapeXml(
          `${c.message}\nactual: ${formatMetricValue(c.metric, c.actual)}\nlimit: ${c.direction} ${formatMetricValue(c.metric, c.limit)}`,
        )}</failure>`
      : `      <skipped message="${attr(c.message)}"/>`;
  return `${open}>\n${inner}\n    </testcase>`;
}
