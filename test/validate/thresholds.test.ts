import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, evaluateThresholds, parseThreshold, parseThresholds, resolveThresholds } from '../../src/validate/thresholds.js';
import type { OutputComparison, OutputMetrics } from '../../src/validate/types.js';

function output(name: string, m: Partial<OutputMetrics>): OutputComparison {
  return {
    name,
    dims: [2, 10],
    baselineType: 'float32',
    candidateType: 'float32',
    metrics: {
      elements: 20,
      compared: 20,
      maxAbs: 0.1,
      meanAbs: 0.01,
      rmse: 0.02,
      maxRel: 0.5,
      relFloor: 1e-6,
      cosine: 0.9995,
      snrDb: 30,
      nan: { baseline: 0, candidate: 0 },
      inf: { baseline: 0, candidate: 0 },
      nonFiniteMismatch: 0,
      ...m,
    },
  };
}

describe('parseThreshold', () => {
  it('reads metric, direction, output and percentages', () => {
    expect(parseThreshold('cosine=0.999')).toEqual({ metric: 'cosine', limit: 0.999, direction: 'min', source: 'user' });
    expect(parseThreshold('accuracy-drop=0.5%')).toMatchObject({ metric: 'accuracy-drop', limit: 0.005, direction: 'max' });
    expect(parseThreshold('latency-ratio=1.0').direction).toBe('max');
    expect(parseThreshold('top1@logits=0.99')).toMatchObject({ metric: 'top1', output: 'logits', limit: 0.99 });
    expect(parseThreshold('max-abs@a=b=1e-3')).toMatchObject({ output: 'a=b', limit: 0.001 });
    expect(parseThreshold('SNR=40').metric).toBe('snr');
    expect(parseThreshold('nan=0').limit).toBe(0);
    const all = parseThresholds(['top5=0.9', 'rmse=0.01', 'mean-abs=0.001', 'max-rel=2']);
    expect(all.map((t) => t.direction)).toEqual(['min', 'max', 'max', 'max']);
  });

  it('rejects what it cannot read', () => {
    expect(() => parseThreshold('cosine')).toThrow(/NAME=VALUE/);
    expect(() => parseThreshold('cosin=0.9')).toThrow(/unknown threshold metric/);
    expect(() => parseThreshold('cosine=high')).toThrow(/numeric/);
    expect(() => parseThreshold('nan=1.5')).toThrow(/integer/);
    expect(() => parseThreshold('accuracy-drop@logits=0.1')).toThrow(/per output/);
  });
});

describe('resolveThresholds', () => {
  it('adds the defaults the user did not override', () => {
    const resolved = resolveThresholds('int8', parseThresholds(['cosine=0.99', 'latency-ratio=1']));
    expect(resolved.find((t) => t.metric === 'cosine')).toMatchObject({ limit: 0.99, source: 'user' });
    expect(resolved.filter((t) => t.metric === 'cosine')).toHaveLength(1);
    expect(resolved.map((t) => t.metric).sort()).toEqual(['accuracy-drop', 'cosine', 'latency-ratio', 'nan', 'top1']);
    expect(resolveThresholds('fp16', [], { defaults: false })).toEqual([]);
    expect(resolveThresholds('fp16')).toHaveLength(DEFAULT_THRESHOLDS.fp16.length);
  });

  it('keeps the last of repeated user thresholds', () => {
    const resolved = resolveThresholds('other', parseThresholds(['cosine=0.9', 'cosine=0.95']));
    expect(resolved.filter((t) => t.metric === 'cosine').map((t) => t.limit)).toEqual([0.95]);
  });
});

describe('evaluateThresholds', () => {
  const outputs = [output('logits', { cosine: 0.9995, top1: 0.98 }), output('hidden', { cosine: 0.998 })];

  it('checks each output, with output-specific limits taking precedence', () => {
    const checks = evaluateThresholds(parseThresholds(['cosine=0.999', 'cosine@hidden=0.99', 'top1=0.99']), { outputs });
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(Object.keys(byId).sort()).toEqual(['cosine@hidden', 'cosine@logits', 'top1@logits']);
    expect(byId['cosine@logits']).toMatchObject({ status: 'pass', actual: 0.9995, limit: 0.999 });
    expect(byId['cosine@hidden']).toMatchObject({ status: 'pass', actual: 0.998, limit: 0.99 });
    expect(byId['top1@logits']).toMatchObject({ status: 'fail', actual: 0.98 });
    expect(byId['top1@logits']!.message).toContain('logits');
  });

  it('checks run-level metrics and skips what was not measured', () => {
    const latency = { ratio: { median: 1.2, ci: [1.1, 1.3] as [number, number] } };
    const accuracy = {
      output: 'logits',
      labels: 'l.pb',
      baseline: { correct: 9, count: 10, accuracy: 0.9 },
      candidate: { correct: 8, count: 10, accuracy: 0.8 },
      drop: 0.1,
    };
    const checks = evaluateThresholds(parseThresholds(['latency-ratio=1.0', 'accuracy-drop=0.005', 'top5=0.9', 'snr@nope=10']), {
      outputs,
      accuracy,
      latency: latency as never,
    });
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId['latency-ratio']).toMatchObject({ status: 'fail', actual: 1.2 });
    expect(byId['accuracy-drop']).toMatchObject({ status: 'fail', actual: 0.1 });
    expect(byId['top5']).toMatchObject({ status: 'skipped', actual: null });
    expect(byId['snr@nope']!.message).toContain('no output named');
    const none = evaluateThresholds(parseThresholds(['latency-ratio=1.0']), { outputs });
    expect(none[0]).toMatchObject({ status: 'skipped' });
  });

  it('drops defaults that do not apply instead of skipping them', () => {
    const checks = evaluateThresholds(resolveThresholds('fp16'), { outputs: [output('x', { cosine: 1 })] });
    expect(checks.map((c) => c.id).sort()).toEqual(['cosine@x', 'nan@x']);
  });

  it('limits new non-finite values with nan', () => {
    const checks = evaluateThresholds(parseThresholds(['nan=2']), {
      outputs: [output('a', { nonFiniteMismatch: 2 }), output('b', { nonFiniteMismatch: 3 })],
    });
    expect(checks.map((c) => c.status)).toEqual(['pass', 'fail']);
  });

  it('passes infinite SNR against a minimum', () => {
    const [c] = evaluateThresholds(parseThresholds(['snr=60']), { outputs: [output('a', { snrDb: Infinity })] });
    expect(c!.status).toBe('pass');
  });
});
