/**
 * Detection instead of silence: a candidate output that is all zeros, one constant or NaN/Inf only, where the
 * baseline's is not, fails a `degenerate` check with a message that says so (a float16 kernel on a WebGPU adapter
 * without shader-f16 returned all zeros while every other metric could only say "low cosine").
 */
import { describe, expect, it } from 'vitest';
import { compareOutputs, degeneracy } from '../../src/validate/metrics.js';
import { degenerateChecks } from '../../src/validate/result.js';
import { parseThreshold } from '../../src/validate/thresholds.js';
import type { OutputComparison } from '../../src/validate/types.js';

const baseline = Float32Array.of(0.5, -1.25, 3, 0);

function comparison(candidate: Float32Array): OutputComparison {
  return { name: 'logits', dims: [2, 2], baselineType: 'float32', candidateType: 'float32', metrics: compareOutputs(baseline, candidate, [2, 2]) };
}

describe('degenerate outputs', () => {
  it('names what is wrong with an output that carries nothing', () => {
    expect(degeneracy(new Float32Array(6))).toBe('all-zero');
    expect(degeneracy(Float32Array.of(2, 2, 2))).toBe('constant');
    expect(degeneracy(Float32Array.of(NaN, Infinity, NaN))).toBe('non-finite');
    expect(degeneracy(Float32Array.of(1, 2, 0))).toBeUndefined();
    expect(degeneracy(Float32Array.of(7))).toBeUndefined(); // one element is no evidence
    expect(degeneracy(Float32Array.of(0, NaN))).toBeUndefined(); // partly non-finite: the nan check's business
  });

  it('is marked on the candidate only when the baseline is not degenerate the same way', () => {
    expect(comparison(new Float32Array(4)).metrics.degenerate).toBe('all-zero');
    expect(comparison(Float32Array.of(NaN, NaN, NaN, NaN)).metrics.degenerate).toBe('non-finite');
    expect(comparison(Float32Array.of(0.5, -1.25, 3, 0.01)).metrics.degenerate).toBeUndefined();
    const zeros = new Float32Array(4);
    expect(compareOutputs(zeros, new Float32Array(4), [4]).degenerate).toBeUndefined();
  });

  it('fails a check whose message says the candidate computed nothing; a threshold of the user replaces it', () => {
    const [check, ...rest] = degenerateChecks([comparison(new Float32Array(4))], []);
    expect(rest).toEqual([]);
    expect(check).toMatchObject({ id: 'degenerate@logits', metric: 'degenerate', status: 'fail', actual: 1, limit: 0 });
    expect(check!.message).toMatch(/output logits is all zeros where the baseline's is not/);
    expect(degenerateChecks([comparison(baseline)], [])).toEqual([]);
    expect(degenerateChecks([comparison(new Float32Array(4))], [parseThreshold('degenerate=1')])).toEqual([]);
  });
});
