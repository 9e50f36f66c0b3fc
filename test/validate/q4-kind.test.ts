/**
 * The kind 'q4': inferred for block-quantized candidates (MatMulNBits, GatherBlockQuantized, blocked
 * DequantizeLinear), with its own default thresholds (docs/validation.md). Real validate() runs in onnxruntime:
 * onnxruntime's own q4 and q4f16 files of the six corpus models pass by default; a q4 file with one scale tensor
 * zeroed, or multiplied by 4, fails.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_CONVERSIONS } from '../../src/conversions/builtins.js';
import { DataType } from '../../src/ir/dtypes.js';
import { float16ToFloat32, float32ToFloat16 } from '../../src/ir/float16.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { quantizeNBits } from '../../src/passes/quantize-nbits/quantize.js';
import { kindOf } from '../../src/pipeline/normalize.js';
import { describeModel } from '../../src/validate/model-report.js';
import { detectSwap, inferKind } from '../../src/validate/swap.js';
import { DEFAULT_THRESHOLDS } from '../../src/validate/thresholds.js';
import type { ModelReport, ValidationResult } from '../../src/validate/types.js';
import { validate } from '../../src/validate/validate.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { tempDir } from '../helpers/temp.js';

const out = tempDir('onnxpress-q4-kind-');
const baselineOf = (name: string): string => join(CORPUS_MODELS_DIR, name, 'model.onnx');
const ortFile = (name: string, file: string): string => join(CORPUS_MODELS_DIR, name, 'ort', `${file}.onnx`);
const report = (path: string): ModelReport => describeModel(loadModel(path, { deferWeights: true }), path);

/** ort/q4.onnx of a model with one scales tensor zeroed or multiplied by 4. */
function broken(name: string, scales: string, how: 'zero' | 'x4', file = 'q4'): string {
  const model = loadModel(ortFile(name, file));
  const tensor = model.graph.initializers.get(scales)!.initializer!;
  const float16 = tensor.dataType === DataType.FLOAT16;
  const values = float16
    ? float16ToFloat32(Uint16Array.from(tensor.toTypedArray() as Uint16Array))
    : Float32Array.from(tensor.toTypedArray() as Float32Array);
  for (let i = 0; i < values.length; i++) values[i] = how === 'zero' ? 0 : values[i]! * 4;
  tensor.setData(float16 ? DataType.FLOAT16 : DataType.FLOAT, float16 ? float32ToFloat16(values) : values);
  const path = join(out, `${name}.${file}.${how}.${scales.replace(/[^A-Za-z0-9_]/g, '_')}.onnx`);
  saveModel(model, path);
  return path;
}

function check(result: ValidationResult, id: string) {
  return result.checks.find((c) => c.id === id);
}

describe('the q4 kind', () => {
  it('has default thresholds looser than INT8, with an SNR floor and no top-1', () => {
    expect(DEFAULT_THRESHOLDS.q4.map((t) => [t.metric, t.limit, t.appliesTo ?? 'all'])).toEqual([
      ['cosine', 0.97, ['class-scores', 'other']],
      ['cosine', 0.7, ['recurrent-state']],
      ['snr', 12, ['class-scores', 'other']],
      ['accuracy-drop', 0.02, 'all'],
      ['nan', 0, 'all'],
    ]);
    const int8Cosine = DEFAULT_THRESHOLDS.int8.find((t) => t.metric === 'cosine')!.limit;
    expect(DEFAULT_THRESHOLDS.q4[0]!.limit).toBeLessThan(int8Cosine);
  });

  it('is the kind of the q4 and q4f16 conversions, and of pipeline variants made with them', () => {
    const kindOfConversion = (name: string) => BUILT_IN_CONVERSIONS.find((c) => c.name === name)?.kind;
    expect(kindOfConversion('q4')).toBe('q4');
    expect(kindOfConversion('q4f16')).toBe('q4');
    const variant = (...to: string[]) =>
      kindOf(
        to.map((t) => ({ to: t, options: {} })),
        BUILT_IN_CONVERSIONS,
      );
    expect(variant('q4')).toBe('q4');
    expect(variant('q4f16')).toBe('q4');
    expect(variant('none', 'q4f16')).toBe('q4');
    // q4f16 written as a chain: the error is q4's.
    expect(variant('q4', 'fp16')).toBe('q4');
    expect(variant('fp16', 'int8')).toBe('other');
    expect(variant('int8')).toBe('int8');
  });

  it('an old report without blockQuantizedNodes is still q4 by its ops', () => {
    const base: ModelReport = {
      name: 'a',
      path: 'a',
      fileBytes: 100,
      externalDataBytes: 0,
      parameters: [{ dtype: 'float', count: 25, bytes: 100 }],
      ops: { MatMul: 2 },
    };
    const q4: ModelReport = {
      ...base,
      name: 'b',
      path: 'b',
      parameters: [{ dtype: 'uint8', count: 20, bytes: 20 }],
      ops: { 'com.microsoft::MatMulNBits': 2 },
    };
    expect(inferKind(base, q4)).toBe('q4');
    expect(inferKind(base, { ...q4, ops: { MatMul: 2 } })).toBe('int8');
  });
});

describe.skipIf(!HAVE_CORPUS)('inferKind on the corpus', () => {
  it("onnxruntime's block-wise files are q4 (q4f16 too); its int8 and fp16 files keep their kinds", () => {
    for (const name of CORPUS_MODELS) {
      const baseline = report(baselineOf(name));
      expect(baseline.blockQuantizedNodes, name).toBeUndefined();
      for (const file of ['q4', 'q4_asym', 'q8nbits', 'q4f16', 'q4_gather']) {
        const candidate = report(ortFile(name, file));
        // digits_cnn has no MatMul: onnxruntime's block-wise files are the float32 model (q4f16: the fp16 one).
        const expected = name === 'digits_cnn' ? (file === 'q4f16' ? 'fp16' : 'other') : 'q4';
        expect(inferKind(baseline, candidate), `${name} ${file}`).toBe(expected);
      }
      expect(inferKind(baseline, report(ortFile(name, 'int8'))), name).toBe('int8');
      expect(inferKind(baseline, report(ortFile(name, 'fp16'))), name).toBe('fp16');
    }
    expect(report(ortFile('char_gpt', 'q4')).blockQuantizedNodes).toBe(17);
  });

  it('blocked DequantizeLinear (--format qdq) is q4, with 4-bit and with 8-bit weights', () => {
    const baseline = report(baselineOf('char_gpt'));
    for (const bits of [4, 8]) {
      const model = loadModel(baselineOf('char_gpt'));
      quantizeNBits(model, { format: 'qdq', bits });
      const path = join(out, `char_gpt.qdq${bits}.onnx`);
      saveModel(model, path);
      const candidate = report(path);
      expect(candidate.blockQuantizedNodes, `${bits} bits`).toBe(17);
      expect(candidate.ops['com.microsoft::MatMulNBits']).toBeUndefined();
      expect(inferKind(baseline, candidate), `${bits} bits`).toBe('q4');
    }
  });

  it('a q4 file given as the baseline is said to look swapped', () => {
    const swap = detectSwap(report(ortFile('char_gpt', 'q4')), report(baselineOf('char_gpt')));
    expect(swap?.reasons.join('\n')).toMatch(
      /has 17 node\(s\) with block-quantized weights and the candidate model.onnx 0: it looks like the q4 conversion/,
    );
  });
});

describe.skipIf(!HAVE_CORPUS)('validate() with the q4 defaults, in onnxruntime', () => {
  for (const name of CORPUS_MODELS) {
    it(`${name}: onnxruntime's q4 and q4f16 files pass by default`, async () => {
      for (const file of ['q4', 'q4f16']) {
        const result = await validate({ baseline: baselineOf(name), candidate: ortFile(name, file) });
        const failed = result.checks.filter((c) => c.status === 'fail').map((c) => c.message);
        expect(failed, `${name} ${file}`).toEqual([]);
        expect(result.passed).toBe(true);
        if (name === 'digits_cnn') continue;
        expect(result.kind).toBe('q4');
        expect(check(result, 'cosine@logits')!.limit).toBe(0.97);
        expect(check(result, 'snr@logits')!.limit).toBe(12);
        expect(check(result, 'top1@logits')).toBeUndefined();
      }
    });
  }

  it("char_gpt on its test data and labels: onnxruntime's q4 passes (accuracy drop 0.0061); with one scale tensor zeroed it fails", async () => {
    const dir = join(CORPUS_MODELS_DIR, 'char_gpt');
    const options = { baseline: baselineOf('char_gpt'), inputs: [join(dir, 'test_data_set_0')], labels: join(dir, 'labels.pb') };
    const good = await validate({ ...options, candidate: ortFile('char_gpt', 'q4') });
    expect(good.passed).toBe(true);
    expect(check(good, 'accuracy-drop')!.actual).toBeCloseTo(0.0061, 4);

    const bad = await validate({ ...options, candidate: broken('char_gpt', 'onnx::MatMul_489_scales', 'zero') });
    expect(bad.kind).toBe('q4');
    expect(bad.passed).toBe(false);
    expect(check(bad, 'accuracy-drop')!.status).toBe('fail');
    expect(check(bad, 'cosine@logits')!.status).toBe('fail');
  });

  it('a broken q4 fails with synthesized inputs: scales zeroed (cosine), or the last layer scaled by 4 (SNR; cosine cannot see a scale)', async () => {
    const zeroed = await validate({ baseline: baselineOf('char_gpt'), candidate: broken('char_gpt', 'onnx::MatMul_489_scales', 'zero') });
    expect(zeroed.passed).toBe(false);
    expect(check(zeroed, 'cosine@logits')!.status).toBe('fail');

    // The LM head: logits x4 keep their direction (cosine 0.997, as good as the unbroken file) but not their size.
    const scaled = await validate({ baseline: baselineOf('char_gpt'), candidate: broken('char_gpt', 'onnx::MatMul_517_scales', 'x4') });
    expect(scaled.passed).toBe(false);
    expect(check(scaled, 'cosine@logits')!.status).toBe('pass');
    expect(check(scaled, 'snr@logits')!.status).toBe('fail');

    // q4f16 (float16 scales) and t5_tiny, whose unbroken q4 is the corpus's least accurate (cosine 0.980).
    for (const [name, scales, file] of [
      ['char_gpt', 'onnx::MatMul_496_scales', 'q4f16'],
      ['t5_tiny', 'onnx::MatMul_922_scales', 'q4'],
    ] as const) {
      for (const how of ['zero', 'x4'] as const) {
        const result = await validate({ baseline: baselineOf(name), candidate: broken(name, scales, how, file) });
        expect(result.passed, `${name} ${file} ${how}`).toBe(false);
      }
    }
  });
});
