/**
 * report.md: GitHub-flavoured Markdown compact enough for $GITHUB_STEP_SUMMARY or a PR comment.
 * A single result gets its key numbers and checks; a summary gets one row per model and variant.
 */
import type { ReportDocument, SummaryEntry, ThresholdCheck, ValidationResult } from '../validate/types.js';
import { documentTitle, entriesOf, isSummary, keyFigures, runtimesText, statusLabel } from './document.js';
import { escapeMarkdown as md } from './escape.js';
import {
  formatBytes,
  formatCosine,
  formatDb,
  formatFraction,
  formatMetricValue,
  formatMs,
  formatNumber,
  formatPercent,
  formatRatio,
  formatSigned,
} from './format.js';

const ICON = { pass: '✅', fail: '❌', error: '⚠️', skipped: '➖' } as const;

export function renderMarkdown(doc: ReportDocument): string {
  const lines = isSummary(doc) ? summaryMarkdown(doc.title, doc.passed, entriesOf(doc)) : resultMarkdown(doc);
  return `${lines.join('\n')}\n`;
}

function resultMarkdown(result: ValidationResult): string[] {
  const env = result.environment;
  const k = keyFigures(result);
  const lines = [
    `### ${ICON[result.passed ? 'pass' : 'fail']} ${md(documentTitle(result))}: ${result.passed ? 'passed' : 'FAILED'}`,
    '',
    `Execution provider **${md(env.executionProvider)}** · onnxruntime ${md(env.onnxruntimeVersion)} · ` +
      `${env.intraOpNumThreads} intra-op threads · inputs: ${md(result.inputs.source)}`,
    ...(runtimesText(result) !== undefined ? ['', `Runtime: ${md(runtimesText(result)!)}`] : []),
    '',
    '| | baseline | candidate | change |',
    '|:--|--:|--:|--:|',
    `| size on disk | ${formatBytes(result.baseline.fileBytes)} | ${formatBytes(result.candidate.fileBytes)} | ${formatRatio(k.sizeRatio)} |`,
  ];
  const latency = result.latency;
  if (latency) {
    const ci = `${formatNumber(latency.speedup.ci[0])}–${formatNumber(latency.speedup.ci[1])}${latency.interval?.tooWide ? ', ⚠️ too wide to conclude' : ''}`;
    const rounds = `${latency.rounds} rounds${latency.roundsRule === 'fast-model' ? ' (fast model: more rounds)' : ''}`;
    lines.push(
      `| latency p50 | ${formatMs(latency.baseline.p50)} | ${formatMs(latency.candidate.p50)} | speedup ${formatRatio(latency.speedup.median)} (95% CI ${ci}) |`,
      `| latency p90 / p99 | ${formatMs(latency.baseline.p90)} / ${formatMs(latency.baseline.p99)} | ${formatMs(latency.candidate.p90)} / ${formatMs(latency.candidate.p99)} | ${rounds} |`,
    );
  }
  const b = result.baseline.session;
  const c = result.candidate.session;
  if (b && c) {
    lines.push(
      `| peak RSS | ${formatBytes(b.peakRssBytes)} | ${formatBytes(c.peakRssBytes)} | ${formatRatio(c.peakRssBytes / b.peakRssBytes)} |`,
      `| session creation | ${formatMs(b.createMs)} | ${formatMs(c.createMs)} | ${formatRatio(c.createMs / b.createMs)} |`,
    );
  }
  if (result.accuracy) {
    const a = result.accuracy;
    lines.push(
      `| accuracy (${md(a.output)}) | ${formatFraction(a.baseline.accuracy)} | ${formatFraction(a.candidate.accuracy)} | ${formatSigned(-a.drop, formatFraction)} |`,
    );
  }
  if (result.outputs.length > 0) {
    lines.push('', '| output | cosine | max abs | RMSE | SNR | top-1 | top-5 | NaN/Inf b→c |', '|:--|--:|--:|--:|--:|--:|--:|--:|');
    for (const o of result.outputs) {
      const m = o.metrics;
      const nonFinite = `${m.nan.baseline + m.inf.baseline}→${m.nan.candidate + m.inf.candidate}`;
      // Top-1 of an output that is not class scores is shown for information; no default checks it.
      const info = o.role !== undefined && o.role !== 'class-scores' && !result.checks.some((c) => c.metric === 'top1' && c.output === o.name);
      lines.push(
        `| ${md(o.name)} | ${formatCosine(m.cosine)} | ${formatNumber(m.maxAbs)} | ${formatNumber(m.rmse)} | ${formatDb(m.snrDb)} | ` +
          `${m.top1 !== undefined ? `${formatPercent(m.top1)}${info ? ' (info)' : ''}` : '—'} | ${m.top5 !== undefined ? formatPercent(m.top5) : '—'} | ${nonFinite} |`,
      );
    }
  }
  if (result.opDiff.length > 0) {
    const shown = result.opDiff.slice(0, 8).map((d) => `${md(d.op)} ${formatSigned(d.delta, String)}`);
    const more = result.opDiff.length > shown.length ? `, and ${result.opDiff.length - shown.length} more` : '';
    lines.push('', `Op changes: ${shown.join(', ')}${more}`);
  }
  lines.push('', ...checksMarkdown(result.checks));
  for (const note of result.notes) lines.push('', `> ${md(note)}`);
  return lines;
}

function checksMarkdown(checks: readonly ThresholdCheck[]): string[] {
  if (checks.length === 0) return ['No thresholds were checked.'];
  const failed = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  const passed = checks.length - failed - skipped;
  const counts = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  return [
    `<details${failed > 0 ? ' open' : ''}><summary>Thresholds: ${counts}</summary>`,
    '',
    '| check | actual | limit | result |',
    '|:--|--:|--:|:--|',
    ...checks.map(
      (c) =>
        `| ${md(c.id)} | ${formatMetricValue(c.metric, c.actual)} | ${c.direction === 'min' ? '≥' : '≤'} ${formatMetricValue(c.metric, c.limit)} | ` +
        `${ICON[c.status]} ${c.status}${c.status === 'skipped' ? `: ${md(c.message)}` : ''} |`,
    ),
    '',
    '</details>',
  ];
}

function summaryMarkdown(title: string, passed: boolean, entries: readonly SummaryEntry[]): string[] {
  const counts = { pass: 0, fail: 0, error: 0 };
  for (const e of entries) counts[e.status]++;
  const lines = [
    `### ${ICON[passed ? 'pass' : counts.error > 0 ? 'error' : 'fail']} ${md(title)}: ${counts.pass} passed, ${counts.fail} failed, ${counts.error} ${counts.error === 1 ? 'error' : 'errors'}`,
    '',
    '| model | variant | result | size | worst cosine | top-1 | accuracy drop | latency ratio | failed checks |',
    '|:--|:--|:--|--:|--:|--:|--:|--:|:--|',
  ];
  for (const e of entries) {
    const head = `| ${md(e.model)} | ${md(e.variant)} | ${ICON[e.status]} ${statusLabel(e.status)} |`;
    if (!e.result) {
      lines.push(`${head} | | | | | ${md(e.error?.message ?? 'no result')} |`);
      continue;
    }
    const k = keyFigures(e.result);
    lines.push(
      `${head} ${formatRatio(k.sizeRatio)} | ${k.worstCosine ? formatCosine(k.worstCosine.value) : '—'} | ` +
        `${k.worstTop1 ? formatPercent(k.worstTop1.value) : '—'} | ${k.accuracyDrop !== undefined ? formatSigned(k.accuracyDrop, formatFraction) : '—'} | ` +
        `${k.latencyRatio ? `${formatRatio(k.latencyRatio.median)}${e.result.latency?.interval?.tooWide ? ' (too wide)' : ''}` : '—'} | ${k.failed.map((c) => md(c.id)).join(', ') || '—'} |`,
    );
  }
  // Which runtime (and WebGPU adapter) each row ran on: one line when they all ran alike.
  const runtimes = entries.flatMap((e) => {
    const text = e.result && runtimesText(e.result);
    return text ? [{ row: `${md(e.model)} / ${md(e.variant)}`, text }] : [];
  });
  if (runtimes.length > 0 && new Set(runtimes.map((r) => r.text)).size === 1) lines.push('', `Runtime: ${md(runtimes[0]!.text)}`);
  else if (runtimes.length > 0) lines.push('', ...runtimes.map((r) => `- ${r.row}: ${md(r.text)}`));
  const failures = entries.flatMap((e) =>
    (e.result?.checks ?? []).filter((c) => c.status === 'fail').map((c) => `- ${md(e.model)} / ${md(e.variant)}: ${md(c.message)}`),
  );
  if (failures.length > 0) lines.push('', '<details open><summary>Failed checks</summary>', '', ...failures, '', '</details>');
  const notes = [...new Set(entries.flatMap((e) => e.result?.notes ?? []))];
  for (const note of notes) lines.push('', `> ${md(note)}`);
  lines.push('', 'size and latency are candidate / baseline; accuracy drop is baseline − candidate.');
  return lines;
}
