/**
 * The diagnosis report: diagnose.json (the result; an SQNR of an exact match is written as null) and
 * diagnose.html (error along the graph's depth as an inline SVG chart, the top offenders, the unmatched nodes).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DiagnoseResult, ErrorMetrics, NodeDiagnosis } from '../diagnose/types.js';
import { writeFileAtomically } from '../io/atomic-write.js';
import { escapeHtml } from './escape.js';
import { formatCosine, formatDb, formatNumber } from './format.js';
import { htmlPage } from './html.js';
import { COLORS, xyChart } from './svg.js';

/** How many offenders the page details. */
const TOP = 15;
/** SQNR shown at the top of the depth chart for nodes whose error is zero. */
const SQNR_CEILING = 140;

export function renderDiagnoseJson(result: DiagnoseResult): string {
  return `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

function metricCells(m: ErrorMetrics | undefined): string {
  if (!m) return '<td>—</td><td>—</td><td>—</td>';
  return `<td>${escapeHtml(formatDb(m.sqnrDb))}</td><td>${formatCosine(m.cosine)}</td><td>${escapeHtml(formatNumber(m.maxAbs))}</td>`;
}

function offenderRow(node: NodeDiagnosis, rank: number): string {
  const weights = node.weights
    .map(
      (w) =>
        `${escapeHtml(w.name)}: [${formatNumber(w.min)}, ${formatNumber(w.max)}], σ ${formatNumber(w.std)}, max/σ ${formatNumber(w.outlierRatio)}`,
    )
    .join('<br>');
  const why = node.reasons.length > 0 ? node.reasons.map(escapeHtml).join('<br>') : '<small>no structural reason found</small>';
  return (
    `<tr><td>${rank}. ${escapeHtml(node.name)}<br><small>${escapeHtml(node.output)}</small></td><td class="text">${escapeHtml(node.opType)}</td>` +
    metricCells(node.introduced) +
    metricCells(node.accumulated) +
    `<td class="text">${weights || '—'}</td><td class="text">${why}</td></tr>`
  );
}

function depthChart(result: DiagnoseResult): string {
  const byIndex = [...result.nodes].sort((a, b) => a.index - b.index);
  const clamp = (db: number) => (db === Infinity ? SQNR_CEILING : db);
  const point = (n: NodeDiagnosis, m: ErrorMetrics) => ({ x: n.index, y: clamp(m.sqnrDb), title: `${n.name} (${n.opType}): ${formatDb(m.sqnrDb)}` });
  const finite = byIndex.flatMap((n) => [n.accumulated.sqnrDb, n.introduced?.sqnrDb ?? Infinity]).filter(Number.isFinite);
  const low = Math.min(0, ...finite.map((v) => Math.floor(v / 10) * 10));
  return xyChart(
    [
      { label: 'accumulated (end to end)', color: COLORS.baseline, line: true, points: byIndex.map((n) => point(n, n.accumulated)) },
      {
        label: 'introduced (own error)',
        color: COLORS.candidate,
        line: false,
        points: byIndex.filter((n) => n.introduced).map((n) => point(n, n.introduced!)),
      },
    ],
    {
      title: 'Error along the graph (SQNR in dB, lower is worse)',
      xLabel: 'node, in graph order',
      yLabel: `SQNR (dB; exact matches drawn at ${SQNR_CEILING})`,
      xFormat: (v) => formatNumber(v),
      yFormat: (v) => formatNumber(v),
      yRange: [low, SQNR_CEILING],
    },
  );
}

export function renderDiagnoseHtml(result: DiagnoseResult): string {
  const title = `Diagnosis: ${path.basename(result.candidate)} against ${path.basename(result.baseline)}`;
  const head =
    '<tr><th>node</th><th>op</th><th>introduced SQNR</th><th>cosine</th><th>max abs</th><th>accumulated SQNR</th><th>cosine</th><th>max abs</th><th>weights</th><th>why it may be sensitive</th></tr>';
  const offenders = result.nodes
    .slice(0, TOP)
    .map((n, i) => offenderRow(n, i + 1))
    .join('\n');
  const unmatched =
    result.unmatched.length === 0
      ? '<p class="meta">Every node with a floating-point output was matched.</p>'
      : `<details><summary>${result.unmatched.length} unmatched nodes</summary><table><tr><th>node</th><th>op</th><th>output</th><th>why</th></tr>${result.unmatched
          .map(
            (u) =>
              `<tr><td>${escapeHtml(u.name)}</td><td class="text">${escapeHtml(u.opType)}</td><td class="text">${escapeHtml(u.output)}</td><td class="text">${escapeHtml(u.reason)}</td></tr>`,
          )
          .join('')}</table></details>`;
  const accuracy = result.accuracy
    ? `<p class="meta">Accuracy of '${escapeHtml(result.accuracy.output)}': baseline ${formatNumber(result.accuracy.baseline, 4)}, candidate ${formatNumber(result.accuracy.candidate, 4)}</p>`
    : '';
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">Baseline ${escapeHtml(result.baseline)}<br>Candidate ${escapeHtml(result.candidate)}<br>Inputs: ${escapeHtml(result.inputs)} (${result.samples} sets)</p>`,
    `<p class="meta">${result.nodes.length} nodes compared, ${result.unmatched.length} unmatched, ${result.notFloat} without a floating-point output.</p>`,
    accuracy,
    ...result.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    '<h2>Error along the graph</h2>',
    "<p class=\"meta\">Accumulated: the candidate's tensor against the baseline's. Introduced: the candidate's computation of the node fed the baseline's inputs, so only its own error shows.</p>",
    depthChart(result),
    `<h2>Top offenders (by introduced error)</h2>`,
    `<div class="scroll"><table class="outputs">${head}\n${offenders}</table></div>`,
    '<h2>Unmatched</h2>',
    unmatched,
  ].join('\n');
  return htmlPage(title, body, 'Generated by onnxpress diagnose');
}

/** Writes diagnose.json and diagnose.html into `dir`; returns their paths. */
export async function writeDiagnoseReports(dir: string, result: DiagnoseResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [path.join(dir, 'diagnose.json'), renderDiagnoseJson(result)],
    [path.join(dir, 'diagnose.html'), renderDiagnoseHtml(result)],
  ];
  for (const [file, text] of files) writeFileAtomically(file, text);
  return files.map(([file]) => file);
}
