/** The benchmark's results as Markdown, and their place in docs/benchmarks.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MachineInfo } from './machine.js';

export const DOCS_START = '<!-- bench:start -->';
export const DOCS_END = '<!-- bench:end -->';

export interface ResultRow {
  measurement: string;
  /** The median, formatted. */
  value: string;
  /** Smallest and largest of the rounds, formatted. */
  range: string;
  /** Median CPU time (user + system) of a child process, formatted, or ''. */
  cpu: string;
  /** Relative to the floor it is compared with (the plain copy, or the model size). */
  ratio: string;
  target: string;
  /** PASS / FAIL against the target, or '' when the row has none. */
  result: '' | 'PASS' | 'FAIL';
}

export interface ReportHeader {
  machine: MachineInfo;
  model: string;
  rounds: number;
  date: string;
  usageMethod: string;
  /** One-minute load average before and after the runs: other work on the machine skews the times. */
  load: { start: number; end: number };
}

export function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(3)} s` : `${s.toFixed(1)} s`;
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function formatReport(header: ReportHeader, rows: readonly ResultRow[]): string {
  const m = header.machine;
  const lines = [
    '| Machine | |',
    '|---|---|',
    `| CPU | ${cell(m.cpu)} |`,
    `| Cores | ${m.cores} |`,
    `| RAM | ${(m.ramBytes / 2 ** 30).toFixed(1)} GiB |`,
    `| Node | ${m.node} |`,
    `| OS | ${cell(m.os)} |`,
    ...(m.commit ? [`| Commit | ${cell(m.commit)} |`] : []),
    `| Model | ${cell(header.model)} |`,
    `| Runs | ${header.rounds} interleaved rounds after one warm-up; median (min-max); peak RSS and CPU time by ${header.usageMethod} |`,
    `| Load average (1 min) | ${header.load.start.toFixed(2)} before, ${header.load.end.toFixed(2)} after |`,
    `| Date | ${header.date} |`,
    '',
    '| Measurement | Median | Min-max | CPU (user+sys) | Ratio | Target | Result |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.measurement)} | ${r.value} | ${r.range} | ${r.cpu} | ${r.ratio} | ${cell(r.target)} | ${r.result ? `**${r.result}**` : ''} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** Replaces what lies between the markers of a doc with `content`, keeping the rest. */
export function replaceMarkedSection(docPath: string, content: string): void {
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf(DOCS_START);
  const end = doc.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`${docPath} has no ${DOCS_START} ... ${DOCS_END} section`);
  const updated = `${doc.slice(0, start + DOCS_START.length)}\n${content}${doc.slice(end)}`;
  writeFileSync(docPath, updated);
}
