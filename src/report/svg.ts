/**
 * Inline SVG charts for report.html: static markup, no script, sizes in user units so they scale with the page.
 * Every piece of text goes through escapeXml.
 */
import { percentileOfSorted, seededRandom, sortedCopy } from '../validate/stats.js';
import { escapeXml } from './escape.js';
import { formatBytes, formatCosine, formatDb, formatNumber, formatRatio } from './format.js';

export const COLORS = { baseline: '#4e79a7', candidate: '#f28e2b', pass: '#2e7d32', fail: '#c62828', grid: '#d9dde3' };

/** Distinct fills for parameter dtypes; the same dtype gets the same colour in every chart. */
const DTYPE_COLORS: Record<string, string> = {
  float: '#4e79a7',
  float16: '#f28e2b',
  bfloat16: '#edc948',
  double: '#76b7b2',
  int8: '#59a14f',
  uint8: '#8cd17d',
  int32: '#b07aa1',
  int64: '#9c755f',
  other: '#bab0ac',
};
const SPARE_COLORS = ['#e15759', '#ff9da7', '#79706e', '#d37295', '#a0cbe8', '#ffbe7d'];

const WIDTH = 760;
const RIGHT_PAD = 180;
/** Average advance of a 12px sans-serif character, to size the label column without measuring text. */
const CHAR_WIDTH = 6.8;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12"';

export function dtypeColor(dtype: string, index: number): string {
  return DTYPE_COLORS[dtype] ?? SPARE_COLORS[index % SPARE_COLORS.length]!;
}

function svgOpen(height: number, title: string, className: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${className}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `width="${WIDTH}" height="${height}" role="img" ${FONT}><title>${escapeXml(title)}</title>`
  );
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${round(x)}" y="${round(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

/** The width of the left label column: enough for the longest label, within limits. */
function labelColumn(labels: readonly string[]): number {
  const longest = Math.max(0, ...labels.map((l) => l.length));
  return Math.ceil(Math.min(260, Math.max(70, longest * CHAR_WIDTH + 14)));
}

/** A left-column label, shortened to fit the column, with the full text as a tooltip. */
function rowLabel(y: number, label: string, column: number): string {
  const room = Math.floor((column - 14) / CHAR_WIDTH + 1e-9);
  const short = label.length > room ? `${label.slice(0, Math.max(1, room - 1))}…` : label;
  return `<g><title>${escapeXml(label)}</title>${text(column - 8, y, short, 'text-anchor="end" dominant-baseline="middle"')}</g>`;
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rawStep = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rawStep)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

interface Axis {
  x: (value: number) => number;
  ticks: number[];
  max: number;
}

function linearAxis(min: number, max: number, left: number, ticksFor = niceTicks, right = WIDTH - RIGHT_PAD): Axis {
  const top = max > min ? max : min + 1;
  const ticks = ticksFor(min, top);
  const end = Math.max(top, ticks[ticks.length - 1]!);
  return { x: (value) => left + ((value - min) / (end - min)) * (right - left), ticks, max: end };
}

function drawAxis(axis: Axis, top: number, bottom: number, format: (v: number) => string): string {
  return axis.ticks
    .map(
      (t) =>
        `<line x1="${round(axis.x(t))}" x2="${round(axis.x(t))}" y1="${top}" y2="${bottom}" stroke="${COLORS.grid}"/>` +
        text(axis.x(t), bottom + 14, format(t), 'text-anchor="middle" fill="#555"'),
    )
    .join('');
}

/** Round byte counts in the unit the maximum is shown in (KiB, MiB, ...), so the axis reads 200 KiB, 400 KiB. */
export function byteTicks(min: number, max: number): number[] {
  let unit = 1;
  while (max / unit >= 1024 && unit < 1024 ** 4) unit *= 1024;
  return niceTicks(min / unit, max / unit).map((t) => t * unit);
}

function legend(items: { label: string; color: string }[], y: number, left: number): string {
  let x = left;
  return items
    .map((item) => {
      const out = `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${item.color}"/>` + text(x + 16, y + 1, item.label);
      x += 30 + item.label.length * 7;
      return out;
    })
    .join('');
}

export interface SizeBar {
  label: string;
  totalBytes: number;
  segments: { dtype: string; bytes: number }[];
}

/** Stacked horizontal bars: each model's size on disk split by parameter dtype (the rest is graph and metadata). */
export function sizeChart(bars: readonly SizeBar[], title = 'Size on disk by parameter type'): string {
  const dtypes = [...new Set(bars.flatMap((b) => b.segments.map((s) => s.dtype)))];
  const colorOf = new Map(dtypes.map((d, i) => [d, dtypeColor(d, i)]));
  const rowHeight = 34;
  const top = 30;
  const height = top + bars.length * rowHeight + 30;
  const column = labelColumn(bars.map((b) => b.label));
  const widest = bars.map((b) =>
    Math.max(
      b.totalBytes,
      b.segments.reduce((sum, s) => sum + s.bytes, 0),
    ),
  );
  const axis = linearAxis(0, Math.max(1, ...widest), column, byteTicks);
  const reference = bars[0]?.totalBytes ?? 0;
  let body = legend(
    [...dtypes.map((d) => ({ label: d, color: colorOf.get(d)! })), { label: 'graph & other', color: DTYPE_COLORS.other! }],
    14,
    column,
  );
  body += drawAxis(axis, top - 4, top + bars.length * rowHeight, (v) => formatBytes(v));
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight + 6;
    let x = axis.x(0);
    let rest = bar.totalBytes;
    body += rowLabel(y + 11, bar.label, column);
    const pieces = [...bar.segments];
    for (const segment of pieces) rest -= segment.bytes;
    if (rest > 0) pieces.push({ dtype: 'other', bytes: rest });
    for (const segment of pieces) {
      const w = Math.max(0, axis.x(segment.bytes) - axis.x(0));
      const fill = segment.dtype === 'other' ? DTYPE_COLORS.other! : colorOf.get(segment.dtype)!;
      body +=
        `<rect class="bar" x="${round(x)}" y="${y}" width="${round(w)}" height="22" fill="${fill}">` +
        `<title>${escapeXml(`${bar.label}: ${segment.dtype === 'other' ? 'graph & other' : segment.dtype} ${formatBytes(segment.bytes)}`)}</title></rect>`;
      x += w;
    }
    const share = i > 0 && reference > 0 ? ` (${formatNumber((bar.totalBytes / reference) * 100)}%)` : '';
    body += text(axis.x(bar.totalBytes) + 6, y + 15, `${formatBytes(bar.totalBytes)}${share}`);
  });
  return `${svgOpen(height, title, 'size-chart')}${body}</svg>`;
}

export interface LatencySeries {
  label: string;
  color: string;
  samplesMs: readonly number[];
}

/**
 * One row per model: every round as a dot (jittered vertically so they do not hide each other), over a box
 * from the 25th to the 75th percentile with a line at the median and whiskers from the minimum to p99.
 */
export function latencyChart(series: readonly LatencySeries[], title = 'Latency per round'): string {
  const rowHeight = 64;
  const top = 12;
  const height = top + series.length * rowHeight + 34;
  const all = series.flatMap((s) => [...s.samplesMs]);
  const column = labelColumn(series.map((s) => s.label));
  const axis = linearAxis(0, Math.max(...all, 1e-3), column);
  let body = drawAxis(axis, top, top + series.length * rowHeight, (v) => `${formatNumber(v)} ms`);
  const random = seededRandom(7);
  series.forEach((s, i) => {
    const mid = top + i * rowHeight + rowHeight / 2;
    const sorted = sortedCopy(s.samplesMs);
    if (sorted.length === 0) return;
    const q = (p: number) => axis.x(percentileOfSorted(sorted, p));
    body += rowLabel(mid, s.label, column);
    body += `<line class="whisker" x1="${round(q(0))}" x2="${round(q(99))}" y1="${mid}" y2="${mid}" stroke="#333"/>`;
    body += `<rect class="box" x="${round(q(25))}" y="${mid - 14}" width="${round(Math.max(1, q(75) - q(25)))}" height="28" fill="${s.color}" fill-opacity="0.25" stroke="${s.color}"/>`;
    body += `<line class="median" x1="${round(q(50))}" x2="${round(q(50))}" y1="${mid - 14}" y2="${mid + 14}" stroke="#111" stroke-width="2"/>`;
    for (const v of s.samplesMs) {
      const jitter = (random() - 0.5) * 22;
      body += `<circle class="dot" cx="${round(axis.x(v))}" cy="${round(mid + jitter)}" r="2" fill="${s.color}" fill-opacity="0.7"/>`;
    }
    body += text(WIDTH - RIGHT_PAD + 10, mid + 4, `p50 ${formatNumber(percentileOfSorted(sorted, 50))} ms`);
  });
  body += text(column, height - 4, 'box: 25th–75th percentile · line: median · whiskers: min–p99 · dots: rounds', 'fill="#555" font-size="11"');
  return `${svgOpen(height, title, 'latency-chart')}${body}</svg>`;
}

/** Per-round ratios as dots, with the median and its bootstrap interval drawn over them, and a line at 1. */
export function ratioChart(
  ratios: readonly number[],
  estimate: { median: number; ci: [number, number] },
  limit?: number,
  title = 'Per-round latency ratio (candidate / baseline)',
): string {
  const height = 96;
  const mid = 40;
  const finite = ratios.filter(Number.isFinite);
  const lo = Math.min(1, ...finite, limit ?? 1);
  const hi = Math.max(1, ...finite, limit ?? 1);
  const pad = (hi - lo) * 0.05 || 0.1;
  const column = labelColumn(['candidate / baseline']);
  const axis = linearAxis(Math.max(0, lo - pad), hi + pad, column);
  let body = drawAxis(axis, 10, 70, (v) => formatRatio(v));
  body += rowLabel(mid, 'candidate / baseline', column);
  const random = seededRandom(11);
  for (const r of finite) {
    body += `<circle class="dot" cx="${round(axis.x(r))}" cy="${round(mid + (random() - 0.5) * 26)}" r="2" fill="#555" fill-opacity="0.55"/>`;
  }
  if (![estimate.median, ...estimate.ci].every(Number.isFinite)) {
    return `${svgOpen(height, title, 'ratio-chart')}${body}${text(WIDTH - RIGHT_PAD + 10, mid, `median ${formatRatio(estimate.median)}`)}</svg>`;
  }
  body += `<rect class="ci" x="${round(axis.x(estimate.ci[0]))}" y="${mid - 16}" width="${round(Math.max(1.5, axis.x(estimate.ci[1]) - axis.x(estimate.ci[0])))}" height="32" fill="${COLORS.candidate}" fill-opacity="0.3"/>`;
  body += `<line class="median" x1="${round(axis.x(estimate.median))}" x2="${round(axis.x(estimate.median))}" y1="${mid - 18}" y2="${mid + 18}" stroke="${COLORS.candidate}" stroke-width="3"/>`;
  body += `<line x1="${round(axis.x(1))}" x2="${round(axis.x(1))}" y1="10" y2="70" stroke="#111" stroke-dasharray="4 3"/>`;
  if (limit !== undefined) {
    body += `<line class="limit" x1="${round(axis.x(limit))}" x2="${round(axis.x(limit))}" y1="10" y2="70" stroke="${COLORS.fail}" stroke-dasharray="2 2"/>`;
  }
  body += text(WIDTH - RIGHT_PAD + 10, mid - 4, `median ${formatRatio(estimate.median)}`);
  body += text(WIDTH - RIGHT_PAD + 10, mid + 12, `95% CI ${formatNumber(estimate.ci[0])}–${formatNumber(estimate.ci[1])}`, 'fill="#555"');
  return `${svgOpen(height, title, 'ratio-chart')}${body}</svg>`;
}

export interface ErrorBar {
  label: string;
  snrDb: number;
  cosine: number;
  failed: boolean;
}

/** Signal-to-noise ratio of each output, as bars (longer is better); identical outputs reach the end. */
export function errorChart(bars: readonly ErrorBar[], title = 'Output signal-to-noise ratio (higher is better)'): string {
  const rowHeight = 30;
  const top = 10;
  const height = top + bars.length * rowHeight + 30;
  const finite = bars.map((b) => b.snrDb).filter(Number.isFinite);
  const column = labelColumn(bars.map((b) => b.label));
  const axis = linearAxis(0, Math.max(60, ...finite.map((v) => v * 1.1)), column);
  let body = drawAxis(axis, top, top + bars.length * rowHeight, (v) => `${formatNumber(v)} dB`);
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight + 4;
    const value = bar.snrDb === Infinity ? axis.max : Math.max(0, Math.min(axis.max, bar.snrDb));
    const fill = bar.failed ? COLORS.fail : COLORS.candidate;
    body += rowLabel(y + 11, bar.label, column);
    body +=
      `<rect class="bar" x="${axis.x(0)}" y="${y}" width="${round(axis.x(value) - axis.x(0))}" height="22" fill="${fill}"` +
      `${bar.snrDb === Infinity ? ' fill-opacity="0.45"' : ''}><title>${escapeXml(`${bar.label}: ${formatDb(bar.snrDb)}`)}</title></rect>`;
    const snr = bar.snrDb === Infinity ? 'identical' : formatDb(bar.snrDb);
    body += text(WIDTH - RIGHT_PAD + 10, y + 15, `${snr} · cos ${formatCosine(bar.cosine)}`);
  });
  return `${svgOpen(height, title, 'error-chart')}${body}</svg>`;
}

export interface RatioRow {
  label: string;
  value: number;
  ci?: [number, number];
  /** The entry failed a check: the dot is drawn in the failure colour and the right column says FAIL. */
  failed: boolean;
  /** The absolute values behind the ratio, shown after it (`1.2 MiB → 310 KiB`). */
  detail?: string;
  /** The interval is too wide to conclude: drawn dashed and grey, and the right column says so. */
  inconclusive?: boolean;
  /** Why there is no value (an entry that could not run): shown in the right column instead of a dot. */
  missing?: string;
}

/**
 * A dot per row with an optional interval (a forest plot), and a reference line at 1 (the baseline): used for size
 * and latency ratios across the entries of a summary. `better` says which side of the line is better; a caption
 * under the axis says it too.
 */
export function ratioRowsChart(rows: readonly RatioRow[], title: string, reference = 1, better: 'lower' | 'higher' = 'lower'): string {
  const rowHeight = 24;
  const top = 10;
  const bottom = top + rows.length * rowHeight;
  const height = bottom + 44;
  const values = rows.flatMap((r) => [r.value, ...(r.ci ?? [])]).filter(Number.isFinite);
  const column = labelColumn(rows.map((r) => r.label));
  const notes = rows.map(rightText);
  // The right column grows to fit the longest note (bold when failed, so a little wider), up to 400 user units.
  const rightPad = Math.min(400, Math.max(RIGHT_PAD, Math.max(0, ...notes.map((n) => n.length)) * (CHAR_WIDTH + 0.4) + 20));
  const axis = linearAxis(0, Math.max(reference * 1.1, ...values.map((v) => v * 1.05)), column, niceTicks, WIDTH - rightPad);
  let body = drawAxis(axis, top, bottom, (v) => formatRatio(v));
  const x1 = round(axis.x(reference));
  body += `<line class="reference" x1="${x1}" x2="${x1}" y1="${top}" y2="${bottom}" stroke="#111" stroke-dasharray="4 3"/>`;
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const color = row.failed ? COLORS.fail : row.inconclusive ? '#8a939c' : COLORS.baseline;
    const status = row.failed ? ' failed' : row.inconclusive ? ' inconclusive' : '';
    body += rowLabel(y, row.label, column);
    const note = text(
      WIDTH - rightPad + 10,
      y + 4,
      notes[i]!,
      row.failed ? `class="note${status}" fill="${COLORS.fail}" font-weight="600"` : `class="note${status}"`,
    );
    if (!Number.isFinite(row.value)) {
      body += note;
      return;
    }
    if (row.ci) {
      const dash = row.inconclusive ? ' stroke-dasharray="3 2"' : '';
      body += `<line class="ci${status}" x1="${round(axis.x(row.ci[0]))}" x2="${round(axis.x(row.ci[1]))}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/>`;
    }
    const shape = row.failed
      ? // A failure is a cross as well as a colour, so it shows without colour vision too.
        `<path class="dot failed" d="M${round(axis.x(row.value) - 5)} ${y - 5}l10 10m0 -10l-10 10" stroke="${color}" stroke-width="3"/>`
      : `<circle class="dot${status}" cx="${round(axis.x(row.value))}" cy="${y}" r="5" fill="${color}"/>`;
    body += `<g><title>${escapeXml(`${row.label}: ${notes[i]}`)}</title>${shape}</g>`;
    body += note;
  });
  const side = better === 'lower' ? 'left' : 'right';
  const caption =
    `${better === 'lower' ? '← ' : ''}${better} is better${better === 'higher' ? ' →' : ''} · dashed line: ${formatRatio(reference)}, the baseline` +
    `${rows.some((r) => r.failed) ? ' · ✗ FAIL: the entry failed a check' : ''}${rows.some((r) => r.inconclusive) ? ' · dashed grey: interval too wide to conclude' : ''}`;
  body += text(
    side === 'left' ? column : WIDTH - rightPad,
    height - 6,
    caption,
    `class="caption" fill="#555" font-size="11"${side === 'right' ? ' text-anchor="end"' : ''}`,
  );
  return `${svgOpen(height, title, 'ratio-rows-chart')}${body}</svg>`;
}

/** The right column of a ratio row: the ratio, the absolute values, and what else the reader must know. */
function rightText(row: RatioRow): string {
  if (!Number.isFinite(row.value)) return row.missing ?? 'no value';
  const parts = [formatRatio(row.value), ...(row.detail ? [row.detail] : [])];
  if (row.failed) parts.push('FAIL');
  if (row.inconclusive) parts.push('interval too wide');
  return parts.join(' · ');
}

export interface XySeries {
  label: string;
  color: string;
  points: readonly { x: number; y: number; title: string }[];
  /** Joined by a line (else dots only). */
  line: boolean;
}

/**
 * Points on two linear axes (`xLabel` below, `yLabel` at the left), series in order; values beyond the y range
 * are drawn at its edge. Used for error along a graph's depth and for a search's size/metric curve.
 */
export function xyChart(
  series: readonly XySeries[],
  options: {
    title: string;
    xLabel: string;
    yLabel: string;
    xFormat: (v: number) => string;
    yFormat: (v: number) => string;
    yRange: [number, number];
  },
): string {
  const left = 70;
  const top = 28;
  const plotHeight = 240;
  const height = top + plotHeight + 44;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const [yMin, yMax] = options.yRange;
  const xAxis = linearAxis(Math.min(0, ...xs), Math.max(1, ...xs), left, niceTicks, WIDTH - 30);
  const yTicks = niceTicks(yMin, yMax);
  const yTop = Math.max(yMax, yTicks[yTicks.length - 1]!);
  const y = (v: number) => top + plotHeight - ((Math.max(yMin, Math.min(yTop, v)) - yMin) / (yTop - yMin || 1)) * plotHeight;
  let body = drawAxis(xAxis, top, top + plotHeight, options.xFormat);
  for (const t of yTicks) {
    body += `<line x1="${left}" x2="${WIDTH - 30}" y1="${round(y(t))}" y2="${round(y(t))}" stroke="${COLORS.grid}"/>`;
    body += text(left - 6, y(t), options.yFormat(t), 'text-anchor="end" dominant-baseline="middle" fill="#555"');
  }
  body += text(left + (WIDTH - 30 - left) / 2, height - 6, options.xLabel, 'text-anchor="middle" fill="#333"');
  body += text(12, top - 12, options.yLabel, 'fill="#333"');
  series.forEach((s, i) => {
    if (s.line && s.points.length > 1) {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${round(xAxis.x(p.x))},${round(y(p.y))}`).join(' ');
      body += `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
    }
    for (const p of s.points) {
      body += `<circle class="point" cx="${round(xAxis.x(p.x))}" cy="${round(y(p.y))}" r="${s.line ? 2 : 3.5}" fill="${s.color}"><title>${escapeXml(p.title)}</title></circle>`;
    }
    const lx = WIDTH - 30 - (series.length - i) * 170;
    body += `<rect x="${lx}" y="${top - 22}" width="10" height="10" fill="${s.color}"/>` + text(lx + 14, top - 13, s.label);
  });
  return `${svgOpen(height, options.title, 'xy-chart')}${body}</svg>`;
}
