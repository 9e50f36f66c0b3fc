/**
 * The default FP16 block list, checked against onnxruntime-node 1.30 with hand-built one-node
 * models (ort-fp16-cases.ts): each rule is still needed (the all-float16 model is rejected by the
 * op's schema, or fails in ORT), partial rules are enough (the model loads, runs and matches the
 * float32 run), conditions are not too broad, and the ops we deliberately leave out still run in
 * float16. When ORT changes, these tests say which rules to revisit.
 */
import { describe, expect, it } from 'vitest';
import { blockRuleFor, blocksWholeNode, DEFAULT_BLOCK_RULES, ruleApplies, type BlockRule } from '../../../src/passes/fp16/blocklist.js';
import { normalizeDomain } from '../../../src/ir/domain.js';
import { caseById, floatNames, type ProbeCase } from './ort-fp16-cases.js';
import { buildAndRun, FLOAT, FLOAT16, type TinyModel } from './ort-fp16-harness.js';
import { probeCase } from './ort-fp16-probe.js';

/** float16 keeps about 3 decimal digits; these tiny models stay well inside 2e-3 of float32. */
const TOLERANCE = 2e-3;

const key = (op: string, domain: string): string => `${normalizeDomain(domain) || 'ai.onnx'}::${op}`;

/** For every rule, the cases whose all-float16 model shows the rule is needed. */
const EVIDENCE: Readonly<Record<string, readonly string[]>> = {
  'ai.onnx::Resize': ['Resize-10', 'Resize-11', 'Resize-13', 'Resize-19'],
  'ai.onnx::Upsample': ['Upsample-9'],
  'ai.onnx::Range': ['Range-11', 'Range-26'],
  'ai.onnx::CumSum': ['CumSum-11'],
  'ai.onnx::NonMaxSuppression': ['NonMaxSuppression-11'],
  'ai.onnx::Celu': ['Celu-12'],
  'ai.onnx::LayerNormalization': ['LayerNormalization-17'],
  'ai.onnx::SimplifiedLayerNormalization': ['SimplifiedLayerNormalization'],
  'ai.onnx::TfIdfVectorizer': ['TfIdfVectorizer-9'],
  'ai.onnx::BitCast': ['BitCast-26'],
  'ai.onnx::DynamicQuantizeLinear': ['DynamicQuantizeLinear-11'],
  'ai.onnx::QuantizeLinear': ['QuantizeLinear-13', 'QuantizeLinear-18'],
  'ai.onnx::DequantizeLinear': ['DequantizeLinear-13', 'DequantizeLinear-18'],
  'ai.onnx::QLinearMatMul': ['QLinearMatMul-10', 'QLinearMatMul-20'],
  'ai.onnx::QLinearConv': ['QLinearConv-10'],
  'ai.onnx::RandomNormal': ['RandomNormal-17'],
  'ai.onnx::RandomUniform': ['RandomUniform-17'],
  'ai.onnx::EyeLike': ['EyeLike-9-dtype'],
  'ai.onnx::MelWeightMatrix': ['MelWeightMatrix-17'],
  'ai.onnx::MeanVarianceNormalization': ['MeanVarianceNormalization-9', 'MeanVarianceNormalization-13'],
  'ai.onnx::ScatterND': ['ScatterND-18-add', 'ScatterND-18-mul', 'ScatterND-18-max', 'ScatterND-18-min'],
  'ai.onnx::ScatterElements': ['ScatterElements-18-add', 'ScatterElements-18-mul'],
  'com.microsoft::SkipLayerNormalization': ['SkipLayerNormalization'],
  'com.microsoft::SkipSimplifiedLayerNormalization': ['SkipSimplifiedLayerNormalization'],
  'com.microsoft::DynamicQuantizeMatMul': ['DynamicQuantizeMatMul'],
  'com.microsoft::QGemm': ['QGemm'],
  'com.microsoft::QLinearAdd': ['QLinearAdd'],
  'com.microsoft::QLinearMul': ['QLinearMul'],
  'com.microsoft::QLinearSigmoid': ['QLinearSigmoid'],
  'com.microsoft::QLinearLeakyRelu': ['QLinearLeakyRelu'],
  'com.microsoft::QLinearGlobalAveragePool': ['QLinearGlobalAveragePool'],
  'com.microsoft::QLinearAveragePool': ['QLinearAveragePool'],
  'com.microsoft::QLinearConcat': ['QLinearConcat'],
  'com.microsoft::QLinearSoftmax': ['QLinearSoftmax'],
  'com.microsoft::GroupNorm': ['GroupNorm'],
  'com.microsoft::SkipGroupNorm': ['SkipGroupNorm'],
  'ai.onnx.ml::*': ['Binarizer', 'Scaler', 'Normalizer', 'LinearRegressor'],
};

/** Cases where a conditional rule does not apply: float16 must work there. */
const CONDITION_DOES_NOT_APPLY = [
  'ScatterND-18-none',
  'ScatterElements-18-none',
  'ScatterElements-18-max',
  'ScatterElements-18-min',
  'QuantizeLinear-19',
  'QuantizeLinear-21',
  'DequantizeLinear-19',
  'DequantizeLinear-21',
  'QLinearMatMul-21',
];

/** Ops that onnxconverter-common / onnxruntime.transformers block and we convert. */
const CONVERTED_THOUGH_REFERENCE_BLOCKS = [
  'TopK-9',
  'TopK-11',
  'Min-8',
  'Min-13',
  'Max-8',
  'Max-13',
  'RoiAlign-10',
  'RoiAlign-16',
  'RandomNormalLike-17',
  'RandomUniformLike-17',
  'Bernoulli-15',
  'Multinomial-7',
];

/** ORT contrib ops that fusion tools emit and that we convert. */
const CONVERTED_CONTRIB_OPS = [
  'Gelu',
  'FastGelu',
  'BiasGelu',
  'QuickGelu',
  'EmbedLayerNormalization',
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'RotaryEmbedding',
  'FusedMatMul',
  'FusedConv',
  'FusedGemm',
  'MatMulNBits',
  'Inverse',
];

/** The tensors of a case that the rule keeps float32. */
function keptByRule(c: ProbeCase, rule: BlockRule): Set<string> {
  if (blocksWholeNode(rule)) {
    const names = floatNames(c);
    return new Set([...names.inputs, ...names.outputs]);
  }
  const inputs = (rule.float32Inputs ?? []).map((i) => c.nodeInputs[i]).filter((n): n is string => !!n);
  const outputs = (rule.float32Outputs ?? []).map((i) => c.outputs[i]?.name).filter((n): n is string => !!n);
  return new Set([...inputs, ...outputs]);
}

function ruleFor(c: ProbeCase): BlockRule {
  const rule = blockRuleFor(c.op, c.domain);
  if (!rule) throw new Error(`no rule for ${c.id}`);
  return rule;
}

describe('DEFAULT_BLOCK_RULES as data', () => {
  it('has one rule per (op, domain), each with a reason and a known source', () => {
    const keys = DEFAULT_BLOCK_RULES.map((r) => key(r.op, r.domain));
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of DEFAULT_BLOCK_RULES) {
      expect(r.reason.length, key(r.op, r.domain)).toBeGreaterThan(20);
      expect(['spec', 'ort', 'numerics', 'reference']).toContain(r.source);
      for (const i of [...(r.float32Inputs ?? []), ...(r.float32Outputs ?? [])]) expect(Number.isInteger(i) && i >= 0).toBe(true);
    }
  });

  it('names evidence for every rule, and only for rules that exist', () => {
    expect(Object.keys(EVIDENCE).sort()).toEqual(DEFAULT_BLOCK_RULES.map((r) => key(r.op, r.domain)).sort());
    for (const [ruleKey, ids] of Object.entries(EVIDENCE)) {
      for (const id of ids) {
        const c = caseById(id);
        expect(key(ruleFor(c).op, ruleFor(c).domain), id).toBe(ruleKey);
      }
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_BLOCK_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_BLOCK_RULES[0])).toBe(true);
  });
});

describe('blockRuleFor', () => {
  it('finds rules by op and domain, with ai.onnx and "" the same domain', () => {
    expect(blockRuleFor('Range', '')?.op).toBe('Range');
    expect(blockRuleFor('Range', 'ai.onnx')?.op).toBe('Range');
    expect(blockRuleFor('Resize', '')?.float32Inputs).toEqual([1, 2]);
    expect(blockRuleFor('SkipLayerNormalization', 'com.microsoft')?.float32Outputs).toEqual([1, 2]);
    expect(blockRuleFor('SkipLayerNormalization', '')).toBeUndefined();
  });

  it('converts ops with no rule', () => {
    for (const op of ['MatMul', 'Add', 'Softmax', 'TopK', 'Min', 'Max', 'RoiAlign', 'Gelu']) expect(blockRuleFor(op, '')).toBeUndefined();
    expect(blockRuleFor('Attention', 'com.microsoft')).toBeUndefined();
  });

  it('blocks every ai.onnx.ml op through the domain wildcard', () => {
    for (const op of ['TreeEnsembleClassifier', 'ZipMap', 'LabelEncoder', 'Scaler']) {
      const rule = blockRuleFor(op, 'ai.onnx.ml');
      expect(rule?.op).toBe('*');
      expect(rule && blocksWholeNode(rule)).toBe(true);
    }
  });

  it('tells whole-node rules from partial ones', () => {
    expect(blocksWholeNode(blockRuleFor('NonMaxSuppression', '')!)).toBe(true);
    expect(blocksWholeNode(blockRuleFor('Resize', '')!)).toBe(false);
    expect(blocksWholeNode(blockRuleFor('LayerNormalization', '')!)).toBe(false);
  });

  it('applies opset conditions when given the opset', () => {
    expect(blockRuleFor('QuantizeLinear', '', { opset: 13 })?.op).toBe('QuantizeLinear');
    expect(blockRuleFor('QuantizeLinear', '', { opset: 19 })).toBeUndefined();
    expect(blockRuleFor('QLinearMatMul', '', { opset: 20 })?.op).toBe('QLinearMatMul');
    expect(blockRuleFor('QLinearMatMul', '', { opset: 21 })).toBeUndefined();
    expect(blockRuleFor('QuantizeLinear', '')?.belowOpset).toBe(19);
  });

  it('applies attribute conditions, with the attribute default when absent', () => {
    const reduction = (value?: string) => ({ stringAttribute: (name: string) => (name === 'reduction' ? value : undefined) });
    expect(blockRuleFor('ScatterND', '', reduction('add'))?.op).toBe('ScatterND');
    expect(blockRuleFor('ScatterND', '', reduction('none'))).toBeUndefined();
    expect(blockRuleFor('ScatterND', '', reduction(undefined))).toBeUndefined();
    expect(blockRuleFor('ScatterElements', '', reduction('max'))).toBeUndefined();
    expect(blockRuleFor('ScatterElements', '', reduction('mul'))?.op).toBe('ScatterElements');
    // Unknown attributes: the conservative answer.
    expect(ruleApplies(blockRuleFor('ScatterND', '')!, {})).toBe(true);
  });
});

describe('each rule is still needed in onnxruntime-node 1.30', () => {
  const cases = Object.values(EVIDENCE).flat().map(caseById);
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const rule = ruleFor(c);
    const { reference, fp16 } = await probeCase(c);
    if (rule.source === 'reference') {
      // Not checkable on CPU: ORT has no kernel for the op at all. Revisit when it gains one.
      expect(reference.stage).toBe('no-kernel');
      return;
    }
    expect(reference.stage, 'the float32 model must run').toBe('ok');
    if (rule.source === 'spec') {
      expect(fp16.stage, 'the op schema must reject float16 here').toBe('schema-error');
    } else {
      expect(['no-kernel', 'load-error', 'run-error'], 'ORT must fail with float16').toContain(fp16.stage);
    }
  });
});

describe('partial rules are enough', () => {
  const partial = Object.values(EVIDENCE)
    .flat()
    .map(caseById)
    .filter((c) => !blocksWholeNode(ruleFor(c)) && ruleFor(c).source !== 'reference');
  it.each(partial.map((c) => [c.id, c] as const))('%s loads, runs and matches float32', async (_id, c) => {
    const kept = keptByRule(c, ruleFor(c));
    const names = floatNames(c);
    // Something must be left in float16, or the rule would be a whole-node rule.
    expect([...names.inputs, ...names.outputs].some((n) => !kept.has(n))).toBe(true);
    const outcome = await probeCase(c, kept);
    expect(outcome.fp16.stage).toBe('ok');
    expect(outcome.worstError).toBeLessThan(TOLERANCE);
  });
});

describe('conditional rules do not block more than needed', () => {
  it.each(CONDITION_DOES_NOT_APPLY.map((id) => [id, caseById(id)] as const))('%s runs in float16', async (_id, c) => {
    const attrs = new Map((c.attributes?.(FLOAT16) ?? []).map((a) => [a.name as string, a.s ? new TextDecoder().decode(a.s) : undefined]));
    expect(blockRuleFor(c.op, c.domain, { opset: c.opset, stringAttribute: (n) => attrs.get(n) })).toBeUndefined();
    const outcome = await probeCase(c);
    expect(outcome.fp16.stage).toBe('ok');
    expect(outcome.worstError).toBeLessThan(TOLERANCE);
  });
});

describe('ops we convert although the reference lists block them', () => {
  it.each(CONVERTED_THOUGH_REFERENCE_BLOCKS.map((id) => [id, caseById(id)] as const))('%s runs in float16', async (_id, c) => {
    expect(blockRuleFor(c.op, c.domain)).toBeUndefined();
    const outcome = await probeCase(c);
    expect(outcome.fp16.stage).toBe('ok');
    if (!c.nondeterministic) expect(outcome.worstError).toBeLessThan(TOLERANCE);
  });
});

describe('com.microsoft fusions we convert', () => {
  it.each(CONVERTED_CONTRIB_OPS.map((id) => [id, caseById(id)] as const))('%s runs in float16', async (_id, c) => {
    expect(blockRuleFor(c.op, c.domain)).toBeUndefined();
    const outcome = await probeCase(c);
    expect(outcome.fp16.stage).toBe('ok');
    expect(outcome.worstError).toBeLessThan(TOLERANCE);
  });
});

describe('CumSum numerics (why it stays float32 where float16 is allowed)', () => {
  // Counting 3000 ones, as position ids are built from an attention mask: exact in float32.
  const n = 3000;
  const model = (t: number): TinyModel => ({
    nodes: [{ op: 'CumSum', inputs: ['x', 'axis'], outputs: ['y'] }],
    inputs: [
      { name: 'x', elemType: t, dims: [n], data: new Array<number>(n).fill(1) },
      { name: 'axis', elemType: 6, dims: [], data: [0] },
    ],
    outputs: [{ name: 'y', elemType: t, dims: [] }],
    opsets: { '': 14 },
  });
  const exact = Array.from({ length: n }, (_, i) => i + 1);

  it('float32 counts exactly', async () => {
    const v = await buildAndRun(model(FLOAT));
    expect(v.stage === 'ok' && v.outputs.y).toEqual(exact);
  });

  it('float16 loses counts past 2048', async () => {
    const v = await buildAndRun(model(FLOAT16));
    expect(v.stage).toBe('ok');
    const y = v.stage === 'ok' ? v.outputs.y! : [];
    expect(y.slice(0, 2048)).toEqual(exact.slice(0, 2048));
    // 2049 is not a float16 number: it rounds to 2048 (ties to even), so two positions collide.
    expect(y[2048]).toBe(2048);
    expect(y.filter((v, i) => v !== exact[i]).length).toBeGreaterThan(400);
  });
});
