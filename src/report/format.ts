/** Number formatting shared by the Markdown and HTML writers, so both say the same thing. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return unit === 0 ? `${sign}${value} B` : `${sign}${trimZeros(value.toPrecision(3))} ${BYTE_UNITS[unit]}`;
}

/** Three significant digits, exponent notation outside [1e-3, 1e5). */
export function formatNumber(value: number, digits = 3): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return trimZeros(value.toPrecision(digits));
  return value.toExponential(digits - 1).replace(/\.?0+e/, 'e');
}

export function formatMs(ms: number): string {
  return `${formatNumber(ms)} ms`;
}

export function formatRatio(ratio: number): string {
  return `${formatNumber(ratio)}×`;
}

/** Cosine similarity: six decimals, the precision at which FP16 and INT8 conversions differ. */
export function formatCosine(cosine: number): string {
  return Number.isFinite(cosine) ? cosine.toFixed(6) : formatNumber(cosine);
}

export function formatDb(db: number): string {
  if (db === Infinity) return '∞ (identical)';
  return `${Number.isFinite(db) ? db.toFixed(1) : formatNumber(db)} dB`;
}

/** A fraction in [0, 1] as a percentage with two decimals. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(2)}%` : formatNumber(fraction);
}

/** Accuracy-like fractions: four decimals. */
export function formatFraction(fraction: number): string {
  return Number.isFinite(fraction) ? fraction.toFixed(4) : formatNumber(fraction);
}

export function formatSigned(value: number, format: (v: number) => string): string {
  return value > 0 ? `+${format(value)}` : value < 0 ? `−${format(-value)}` : format(0);
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join('×')}]`;
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** A threshold metric's value in the unit readers expect for it. */
export function formatMetricValue(metric: string, value: number | null): string {
  if (value === null) return '—';
  switch (metric) {
    case 'cosine':
      return formatCosine(value);
    case 'top1':
    case 'top5':
      return formatPercent(value);
    case 'snr':
      return formatDb(value);
    case 'accuracy-drop':
      return formatSigned(value, formatFraction);
    case 'latency-ratio':
      return formatRatio(value);
    case 'nan':
      return String(value);
    default:
      return formatNumber(value);
  }
}
