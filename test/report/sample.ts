/** Sample documents for the report writer tests: plausible numbers, and names chosen to break careless escaping. */
import { buildSummary, buildValidationResult } from '../../src/validate/result.js';
import { parseThresholds, resolveThresholds } from '../../src/validate/thresholds.js';
import type { ConversionKind, OutputMetrics, ValidationResult, ValidationRun } from '../../src/validate/types.js';

export const HOSTILE_NAME = 'model <b>&"quoted"</b> | *x* \'q\'';

function metrics(overrides: Partial<OutputMetrics> = {}): OutputMetrics {
  return {
    elements: 3600,
    compared: 3600,
    maxAbs: 0.18,
    meanAbs: 0.012,
    rmse: 0.021,
    maxRel: 0.9,
    relFloor: 1e-6,
    cosine: 0.999984,
    snrDb: 44.9,
    top1: 1,
    top5: 0.9917,
    rows: 360,
    nan: { baseline: 0, candidate: 0 },
    inf: { baseline: 0, candidate: 0 },
    nonFiniteMismatch: 0,
    ...overrides,
  };
}

/** Latencies in ms that look like a real run: a base, noise, and a few slow outliers. */
function timings(base: number, rounds: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: rounds }, (_, i) => base * (1 + 0.08 * next()) + (i % 17 === 5 ? base * 0.6 : 0));
}

export interface SampleOptions {
  kind?: ConversionKind;
  name?: string;
  thresholds?: string[];
  cosine?: number;
  candidateLatencyMs?: number;
  withLatency?: boolean;
}

export function sampleRun(options: SampleOptions = {}): ValidationRun {
  const kind = options.kind ?? 'int8';
  const name = options.name ?? 'digits_cnn.onnx';
  const candidateDtype = kind === 'fp16' ? 'float16' : 'int8';
  const candidateBytes = kind === 'fp16' ? 300000 : 150000;
  const rounds = 60;
  return {
    kind,
    environment: {
      executionProvider: 'cpu',
      onnxruntimeVersion: '1.30.0',
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      nodeVersion: '20.20.2',
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'Test CPU <fast> & "cool"',
      cpuCount: 2,
    },
    inputs: {
      source: 'test-data',
      description: 'corpus/models/digits_cnn/test_data_set_0',
      tensors: [{ name: 'pixels', dims: [360, 1, 8, 8], type: 'float32' }],
    },
    baseline: {
      name,
      path: `/models/${name}`,
      fileBytes: 606478,
      externalDataBytes: 0,
      parameters: [{ dtype: 'float', count: 150000, bytes: 600000 }],
      ops: { Conv: 2, Relu: 3, MaxPool: 1, Flatten: 1, Gemm: 2 },
      session: { createMs: 21.5, peakRssBytes: 95_000_000, rssBeforeLoadBytes: 60_000_000 },
    },
    candidate: {
      name: `${name}.${kind}`,
      path: `/models/${name}.${kind}`,
      fileBytes: candidateBytes + 6000,
      externalDataBytes: 0,
      parameters: [
        { dtype: candidateDtype, count: 150000, bytes: candidateBytes - 400 },
        { dtype: 'float', count: 100, bytes: 400 },
      ],
      ops:
        kind === 'fp16'
          ? { Conv: 2, Relu: 3, MaxPool: 1, Flatten: 1, Gemm: 2, Cast: 2 }
          : { ConvInteger: 2, DynamicQuantizeLinear: 4, MatMulInteger: 2, Relu: 3, MaxPool: 1, Flatten: 1, Mul: 8, Add: 4, Cast: 4 },
      session: { createMs: 30.25, peakRssBytes: 90_000_000, rssBeforeLoadBytes: 60_000_000 },
    },
    outputs: [
      {
        name: 'logits',
        dims: [360, 10],
        baselineType: 'float32',
        candidateType: 'float32',
        metrics: metrics({ cosine: options.cosine ?? 0.999984 }),
      },
      {
        name: 'hidden <h>',
        dims: [360, 4],
        baselineType: 'float32',
        candidateType: 'float32',
        metrics: metrics({
          elements: 1440,
          compared: 1440,
          top5: undefined,
          rows: 360,
          snrDb: Infinity,
          maxAbs: 0,
          meanAbs: 0,
          rmse: 0,
          maxRel: 0,
          cosine: 1,
        }),
      },
    ],
    accuracy: {
      output: 'logits',
      labels: 'corpus/models/digits_cnn/labels.pb',
      baseline: { correct: 356, count: 360, accuracy: 356 / 360 },
      candidate: { correct: 355, count: 360, accuracy: 355 / 360 },
    },
    ...(options.withLatency === false
      ? {}
      : {
          latency: {
            warmupRuns: 10,
            baselineMs: timings(1.2, rounds, 3),
            candidateMs: timings(options.candidateLatencyMs ?? 0.9, rounds, 5),
          },
        }),
  };
}

export function sampleResult(options: SampleOptions = {}): ValidationResult {
  const run = sampleRun(options);
  return buildValidationResult(run, {
    thresholds: resolveThresholds(run.kind, parseThresholds(options.thresholds ?? ['latency-ratio=1.0'])),
    createdAt: '2026-11-28T12:00:00.000Z',
    toolVersion: '0.1.0',
  });
}

export function sampleSummary() {
  return buildSummary(
    [
      { model: 'digits_cnn', variant: 'int8', result: sampleResult({ kind: 'int8' }) },
      { model: 'digits_cnn', variant: 'fp16', result: sampleResult({ kind: 'fp16', candidateLatencyMs: 1.5 }) },
      { model: HOSTILE_NAME, variant: 'int8 <pc>', result: sampleResult({ name: HOSTILE_NAME, cosine: 0.99 }) },
      { model: 'bert_tiny', variant: 'int8', error: { message: 'session failed: <invalid> & "broken"', code: 'ORT_FAIL' } },
    ],
    { title: 'Pipeline <demo> & "friends"', createdAt: '2026-11-28T12:00:00.000Z', toolVersion: '0.1.0' },
  );
}
