/** What `onnxpress diagnose` does; loaded only when that command runs. */
import { diagnose } from '../diagnose/diagnose.js';
import type { DiagnoseResult, ErrorMetrics } from '../diagnose/types.js';
import { usageError } from '../errors.js';
import { renderDiagnoseJson, writeDiagnoseReports } from '../report/diagnose.js';
import { formatCosine, formatDb, formatNumber } from '../report/format.js';
import type { DiagnoseArgs } from './diagnose.js';
import { EXIT_OK } from './output.js';

function list(values: readonly string[] | undefined): string[] | undefined {
  const items = (values ?? [])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}

export async function runDiagnose(args: DiagnoseArgs): Promise<number> {
  if (!Number.isInteger(args.top) || args.top < 1) throw usageError(`--top must be a positive integer, not ${args.top}`);
  const nodes = list(args.nodes);
  const result = await diagnose({
    baseline: args.baseline,
    candidate: args.candidate,
    ...(args.inputs ? { inputs: list(args.inputs) ?? [] } : {}),
    ...(args.labels !== undefined ? { labels: args.labels } : {}),
    ...(nodes ? { nodes } : {}),
    ...(args.samples !== undefined ? { samples: args.samples } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
  });
  const written = args.report !== undefined ? await writeDiagnoseReports(args.report, result) : [];
  process.stdout.write(args.json ? renderDiagnoseJson(result) : formatDiagnosis(result, args.top, written));
  return EXIT_OK;
}

function metrics(m: ErrorMetrics | undefined): string {
  return m ? `${formatDb(m.sqnrDb).padStart(14)}  cos ${formatCosine(m.cosine)}  max ${formatNumber(m.maxAbs)}` : '  (not isolated)';
}

export function formatDiagnosis(result: DiagnoseResult, top: number, written: readonly string[]): string {
  const lines = [
    `Diagnosis of ${result.candidate}`,
    `  against ${result.baseline}, on ${result.inputs} (${result.samples} sets)`,
    `  ${result.nodes.length} nodes compared, ${result.unmatched.length} unmatched, ${result.notFloat} without a floating-point output`,
  ];
  if (result.accuracy) {
    lines.push(
      `  accuracy of '${result.accuracy.output}': baseline ${formatNumber(result.accuracy.baseline, 4)}, candidate ${formatNumber(result.accuracy.candidate, 4)}`,
    );
  }
  lines.push('', `Worst introduced error (SQNR, lower is worse) — top ${Math.min(top, result.nodes.length)}:`);
  result.nodes.slice(0, top).forEach((n, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${n.name} (${n.opType})`);
    lines.push(`     introduced  ${metrics(n.introduced)}${n.introducedSkipped ? ` — ${n.introducedSkipped}` : ''}`);
    lines.push(`     accumulated ${metrics(n.accumulated)}`);
    for (const reason of n.reasons) lines.push(`     why: ${reason}`);
  });
  if (result.unmatched.length > 0) {
    lines.push('', `Unmatched (${result.unmatched.length}):`);
    for (const u of result.unmatched.slice(0, 20)) lines.push(`  ${u.name} (${u.opType}) -> ${u.output}: ${u.reason}`);
    if (result.unmatched.length > 20) lines.push(`  ... and ${result.unmatched.length - 20} more (--json lists them all)`);
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  if (written.length > 0) lines.push('', `Reports: ${written.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
