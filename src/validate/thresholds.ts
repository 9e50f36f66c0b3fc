/**
 * Thresholds: parsing `--threshold NAME[@OUTPUT]=VALUE`, the defaults per conversion kind, and checking them
 * against measured results. docs/validation.md lists the metrics and explains the defaults.
 */
import type {
  AccuracyComparison,
  ConversionKind,
  LatencyComparison,
  MetricName,
  OutputComparison,
  OutputMetrics,
  OutputRole,
  Threshold,
  ThresholdCheck,
  ThresholdDirection,
} from './types.js';

interface MetricSpec {
  direction: ThresholdDirection;
  /** 'output': checked once per output; 'run': once per validation run. */
  scope: 'output' | 'run';
  label: string;
  /** Why a metric can be missing, said when a user's threshold cannot be checked. */
  missing: string;
  read?: (metrics: OutputMetrics) => number | undefined;
}

export const METRICS: Readonly<Record<MetricName, MetricSpec>> = {
  cosine: { direction: 'min', scope: 'output', label: 'cosine similarity', missing: '', read: (m) => m.cosine },
  top1: {
    direction: 'min',
    scope: 'output',
    label: 'top-1 agreement',
    missing: 'top-1 needs a floating-point output whose last axis has at least 2 entries',
    read: (m) => m.top1,
  },
  top5: {
    direction: 'min',
    scope: 'output',
    label: 'top-5 agreement',
    missing: 'top-5 needs a floating-point output whose last axis has more than 5 entries',
    read: (m) => m.top5,
  },
  'max-abs': { direction: 'max', scope: 'output', label: 'max abs error', missing: '', read: (m) => m.maxAbs },
  'mean-abs': { direction: 'max', scope: 'output', label: 'mean abs error', missing: '', read: (m) => m.meanAbs },
  rmse: { direction: 'max', scope: 'output', label: 'RMSE', missing: '', read: (m) => m.rmse },
  'max-rel': { direction: 'max', scope: 'output', label: 'max relative error', missing: '', read: (m) => m.maxRel },
  snr: { direction: 'min', scope: 'output', label: 'SNR (dB)', missing: '', read: (m) => m.snrDb },
  nan: {
    direction: 'max',
    scope: 'output',
    label: 'new NaN/Inf count',
    missing: '',
    read: (m) => m.nonFiniteMismatch,
  },
  degenerate: {
    direction: 'max',
    scope: 'output',
    label: 'degenerate candidate output (1: all zeros, constant or non-finite where the baseline is not)',
    missing: '',
    read: (m) => (m.degenerate ? 1 : 0),
  },
  'accuracy-drop': {
    direction: 'max',
    scope: 'run',
    label: 'accuracy drop',
    missing: 'accuracy needs labels (--labels)',
  },
  'latency-ratio': {
    direction: 'max',
    scope: 'run',
    label: 'latency ratio (candidate/baseline)',
    missing: 'the latency was not measured',
  },
};

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

const threshold = (metric: MetricName, limit: number, appliesTo?: OutputRole[]): Threshold => ({
  metric,
  limit,
  direction: METRICS[metric].direction,
  ...(appliesTo ? { appliesTo } : {}),
  source: 'default',
});

/** Outputs that are the model's answer (not a recurrent state carried to the next call). */
const ANSWERS: OutputRole[] = ['class-scores', 'other'];
const SCORES: OutputRole[] = ['class-scores'];
const STATES: OutputRole[] = ['recurrent-state'];

/** A kind's default limits (a metric left out is not checked by default). */
interface KindLimits {
  /** Cosine of the model's answers, and of recurrent states. */
  cosine: number;
  stateCosine: number;
  /** Top-1 agreement of class scores. */
  top1?: number;
  /** SNR (dB) of the model's answers. */
  snr?: number;
  accuracyDrop: number;
}

/**
 * Defaults per conversion kind. Top-1 agreement is checked only on class scores (on a hidden state or a
 * probability map the argmax of a row means nothing); a recurrent state gets ten times the cosine distance of the
 * model's answer, since it accumulates every step's rounding and is read again only through the next step.
 * No latency default: on the CPU provider an FP16 model is usually slower than float32 and INT8 Conv
 * (ConvInteger) can be too, so a speed gate is something to opt into. New NaN/Inf are never allowed.
 */
const KIND_LIMITS: Readonly<Record<Exclude<ConversionKind, 'other'>, KindLimits>> = {
  fp16: { cosine: 0.9999, stateCosine: 0.999, top1: 0.99, accuracyDrop: 0.005 },
  int8: { cosine: 0.999, stateCosine: 0.99, top1: 0.95, accuracyDrop: 0.01 },
  // Block-wise 4-bit weights (MatMulNBits, GatherBlockQuantized, blocked DequantizeLinear): onnxruntime's own q4
  // files reach cosine 0.980-0.99999 and SNR 13.9-47 dB on the corpus and flip near-tied argmaxes (no top-1
  // default); SNR also sees a wrong scale on the last layer, which cosine cannot. Measured in docs/validation.md.
  q4: { cosine: 0.97, stateCosine: 0.7, snr: 12, accuracyDrop: 0.02 },
};

function defaultsFor(limits: KindLimits): Threshold[] {
  return [
    threshold('cosine', limits.cosine, ANSWERS),
    threshold('cosine', limits.stateCosine, STATES),
    ...(limits.top1 !== undefined ? [threshold('top1', limits.top1, SCORES)] : []),
    ...(limits.snr !== undefined ? [threshold('snr', limits.snr, ANSWERS)] : []),
    threshold('accuracy-drop', limits.accuracyDrop),
    threshold('nan', 0),
  ];
}

export const DEFAULT_THRESHOLDS: Readonly<Record<ConversionKind, readonly Threshold[]>> = {
  fp16: defaultsFor(KIND_LIMITS.fp16),
  int8: defaultsFor(KIND_LIMITS.int8),
  q4: defaultsFor(KIND_LIMITS.q4),
  other: [threshold('nan', 0)],
};

/**
 * An output's role as results of any age give it: the recorded role, else (results made before roles existed)
 * class scores when top-1 was measured, which is how the defaults applied then.
 */
export function roleOf(output: Pick<OutputComparison, 'role' | 'metrics'>): OutputRole {
  return output.role ?? (output.metrics.top1 !== undefined ? 'class-scores' : 'other');
}

const ROLE_LABELS: Record<OutputRole, string> = { 'class-scores': 'class scores', 'recurrent-state': 'recurrent state', other: 'other' };

/**
 * Parses `NAME=VALUE` or `NAME@OUTPUT=VALUE` (the output name runs to the last '=').
 * VALUE is a number, or a percentage such as `0.5%` (= 0.005).
 */
export function parseThreshold(text: string): Threshold {
  const match = /^\s*([a-z0-9-]+)(?:@(.+))?=([^=]+)$/i.exec(text);
  if (!match) {
    throw new ThresholdSyntaxError(`threshold "${text}" is not NAME=VALUE or NAME@OUTPUT=VALUE`);
  }
  const name = match[1]!.toLowerCase();
  if (!isMetricName(name)) {
    throw new ThresholdSyntaxError(`unknown threshold metric "${match[1]}" in "${text}"; known: ${Object.keys(METRICS).join(', ')}`);
  }
  const spec = METRICS[name];
  const output = match[2];
  if (output !== undefined && spec.scope !== 'output') {
    throw new ThresholdSyntaxError(`"${name}" is not measured per output, so "${text}" cannot name one`);
  }
  const limit = parseLimit(match[3]!.trim());
  if (limit === undefined) throw new ThresholdSyntaxError(`threshold "${text}" has no numeric value`);
  if (name === 'nan' && !(Number.isInteger(limit) && limit >= 0)) {
    throw new ThresholdSyntaxError(`nan allows a count of elements, a non-negative integer; got "${match[3]}"`);
  }
  return { metric: name, limit, direction: spec.direction, source: 'user', ...(output !== undefined ? { output } : {}) };
}

export function parseThresholds(texts: readonly string[]): Threshold[] {
  return texts.map(parseThreshold);
}

export class ThresholdSyntaxError extends Error {
  readonly code = 'THRESHOLD_SYNTAX';
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdSyntaxError';
  }
}

function parseLimit(text: string): number | undefined {
  const percent = text.endsWith('%');
  const body = percent ? text.slice(0, -1).trim() : text;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(body)) return undefined;
  const value = Number(body);
  return percent ? value / 100 : value;
}

/**
 * The thresholds in force: the user's, plus each default whose metric the user did not set for all outputs.
 * When the user repeats a metric (and output), the last one wins.
 */
export function resolveThresholds(kind: ConversionKind, user: readonly Threshold[] = [], options: { defaults?: boolean } = {}): Threshold[] {
  const byKey = new Map<string, Threshold>();
  for (const t of user) byKey.set(thresholdKey(t), t);
  const resolved = [...byKey.values()];
  if (options.defaults ?? true) {
    for (const t of DEFAULT_THRESHOLDS[kind]) {
      if (!byKey.has(thresholdKey(t))) resolved.push({ ...t });
    }
  }
  return resolved;
}

function thresholdKey(t: Threshold): string {
  return t.output === undefined ? t.metric : `${t.metric}@${t.output}`;
}

export interface CheckInputs {
  outputs: readonly OutputComparison[];
  accuracy?: AccuracyComparison;
  latency?: LatencyComparison;
}

/**
 * One check per threshold and output (per-output metrics) or per threshold (run metrics).
 * A threshold naming an output applies to that output instead of the general one for the same metric.
 * A threshold with `appliesTo` checks only outputs of those roles (roleOf). Where a metric does not exist (no
 * labels, no latency, no logits-like output) a default threshold is dropped and a user's threshold becomes a
 * 'skipped' check saying why.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], inputs: CheckInputs): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  for (const t of thresholds) {
    const spec = METRICS[t.metric];
    if (spec.scope === 'run') {
      const actual = t.metric === 'accuracy-drop' ? inputs.accuracy?.drop : inputs.latency?.ratio.median;
      const interval = t.metric === 'latency-ratio' ? inputs.latency?.interval : undefined;
      if (actual !== undefined)
        checks.push(check(t, actual, { after: interval?.tooWide ? `; its interval is too wide to conclude: ${interval.reason}` : undefined }));
      else if (t.source === 'user') checks.push(skipped(t, spec.missing));
      continue;
    }
    if (t.output !== undefined) {
      const output = inputs.outputs.find((o) => o.name === t.output);
      const actual = output ? spec.read!(output.metrics) : undefined;
      if (actual !== undefined) checks.push(check(t, actual));
      else if (t.source === 'user') checks.push(skipped(t, output ? spec.missing : `there is no output named "${t.output}"`));
      continue;
    }
    let any = false;
    for (const output of inputs.outputs) {
      const specific = thresholds.some((other) => other.metric === t.metric && other.output === output.name);
      if (specific) continue;
      const role = roleOf(output);
      if (t.appliesTo && !t.appliesTo.includes(role)) continue;
      const actual = spec.read!(output.metrics);
      if (actual === undefined) continue;
      checks.push(check({ ...t, output: output.name }, actual, { role: t.appliesTo && role === 'recurrent-state' ? ROLE_LABELS[role] : undefined }));
      any = true;
    }
    if (!any && t.source === 'user' && !thresholds.some((o) => o.metric === t.metric && o.output !== undefined)) {
      checks.push(skipped(t, inputs.outputs.length === 0 ? 'no outputs were compared' : spec.missing));
    }
  }
  return checks;
}

/** What every check of `t` says of it, whatever its result. */
function checkOf(t: Threshold): Pick<ThresholdCheck, 'id' | 'metric' | 'output' | 'direction' | 'limit'> {
  return { id: thresholdKey(t), metric: t.metric, ...(t.output !== undefined ? { output: t.output } : {}), direction: t.direction, limit: t.limit };
}

/** `role`: said after the output's name ("recurrent state"); `after`: added to the end of the message. */
function check(t: Threshold, actual: number, words: { role?: string | undefined; after?: string | undefined } = {}): ThresholdCheck {
  const pass = t.direction === 'min' ? actual >= t.limit : actual <= t.limit;
  const spec = METRICS[t.metric];
  const subject = `${t.output === undefined ? spec.label : `${spec.label} of ${t.output}`}${words.role ? ` (${words.role})` : ''}`;
  return {
    ...checkOf(t),
    actual,
    status: pass ? 'pass' : 'fail',
    source: t.source,
    message: `${subject} = ${formatNumber(actual)} (limit ${t.direction === 'min' ? '>=' : '<='} ${formatNumber(t.limit)})${words.after ?? ''}`,
  };
}

function skipped(t: Threshold, why: string): ThresholdCheck {
  return {
    ...checkOf(t),
    actual: null,
    status: 'skipped',
    source: t.source,
    message: `${METRICS[t.metric].label} not checked: ${why}`,
  };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}
