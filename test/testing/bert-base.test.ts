import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/ir/model.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { generateBertBase } from '../../src/testing/bert-base.js';
import { runModel } from '../helpers/ort.js';

const SMALL = { layers: 2, hidden: 64, heads: 4, intermediate: 256, vocab: 1000, seed: 7 };

function weights(model: Model): (name: string) => Float32Array {
  return (name) => {
    const v = model.graph.initializers.get(name);
    if (!v?.initializer) throw new Error(`no initializer ${name}`);
    return v.initializer.toTypedArray() as Float32Array;
  };
}

/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

/**
 * BERT for sequence classification written out directly in float64 from the
 * weights, independent of the graph: what the generated model must compute.
 */
function referenceLogits(model: Model, cfg: typeof SMALL, ids: number[][], mask: number[][]): number[][] {
  const w = weights(model);
  const H = cfg.hidden;
  const I = cfg.intermediate;
  const dh = H / cfg.heads;
  // y[t] = x[t] · W (W [in, out]) + b
  const linear = (x: number[][], W: Float32Array, bias: Float32Array, inSize: number, outSize: number): number[][] =>
    x.map((row) => {
      const out = Array.from(bias);
      for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) out[o]! += row[i]! * W[i * outSize + o]!;
      return out;
    });
  const layerNorm = (x: number[][], prefix: string): number[][] => {
    const g = w(`${prefix}.weight`);
    const bb = w(`${prefix}.bias`);
    return x.map((row) => {
      const mean = row.reduce((s, v) => s + v, 0) / H;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / H;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-12)) * g[i]! + bb[i]!);
    });
  };

  return ids.map((seqIds, bi) => {
    const S = seqIds.length;
    const word = w('bert.embeddings.word_embeddings.weight');
    const pos = w('bert.embeddings.position_embeddings.weight');
    const type = w('bert.embeddings.token_type_embeddings.weight');
    let x = seqIds.map((id, t) => Array.from({ length: H }, (_, h) => word[id * H + h]! + pos[t * H + h]! + type[h]!));
    x = layerNorm(x, 'bert.embeddings.LayerNorm');
    for (let l = 0; l < cfg.layers; l++) {
      const p = `bert.encoder.layer.${l}`;
      const proj = (name: string): number[][] => linear(x, w(`${p}.${name}.weight`), w(`${p}.${name}.bias`), H, H);
      const q = proj('attention.self.query');
      const k = proj('attention.self.key');
      const v = proj('attention.self.value');
      const context = Array.from({ length: S }, () => new Array<number>(H).fill(0));
      for (let h = 0; h < cfg.heads; h++) {
        for (let i = 0; i < S; i++) {
          const scores = Array.from({ length: S }, (_, j) => {
            let dot = 0;
            for (let d = 0; d < dh; d++) dot += q[i]![h * dh + d]! * k[j]![h * dh + d]!;
            return dot / Math.sqrt(dh) + (1 - mask[bi]![j]!) * -10000;
          });
          const max = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - max));
          const sum = e.reduce((a, c) => a + c, 0);
          for (let j = 0; j < S; j++) for (let d = 0; d < dh; d++) context[i]![h * dh + d]! += (e[j]! / sum) * v[j]![h * dh + d]!;
        }
      }
      const attended = linear(context, w(`${p}.attention.output.dense.weight`), w(`${p}.attention.output.dense.bias`), H, H);
      x = layerNorm(
        attended.map((r, t) => r.map((val, i) => val + x[t]![i]!)),
        `${p}.attention.output.LayerNorm`,
      );
      const up = linear(x, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`), H, I);
      const gelu = up.map((r) => r.map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2))));
      const down = linear(gelu, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`), I, H);
      x = layerNorm(
        down.map((r, t) => r.map((val, i) => val + x[t]![i]!)),
        `${p}.output.LayerNorm`,
      );
    }
    // Gemm weights are [out, in].
    const gemm = (row: number[], W: Float32Array, bias: Float32Array, inSize: number, outSize: number): number[] =>
      Array.from({ length: outSize }, (_, o) => {
        let s = bias[o]!;
        for (let i = 0; i < inSize; i++) s += W[o * inSize + i]! * row[i]!;
        return s;
      });
    const pooled = gemm(x[0]!, w('bert.pooler.dense.weight'), w('bert.pooler.dense.bias'), H, H).map(Math.tanh);
    return gemm(pooled, w('classifier.weight'), w('classifier.bias'), H, 2);
  });
}

async function runOrt(model: Model, ids: number[][], mask: number[][]): Promise<ort.Tensor> {
  const shape = [ids.length, ids[0]!.length];
  const int64 = (rows: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), shape);
  // A BERT-base model: onnxruntime's default threads.
  return (await runModel(model, { input_ids: int64(ids), attention_mask: int64(mask) }, {})).logits!;
}

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-4 * scale + 1e-7);
  }
}

describe('generateBertBase (small config in ONNX Runtime)', () => {
  const model = generateBertBase(SMALL);

  it('takes input_ids and attention_mask [batch, seq] int64 and gives logits [batch, 2]', () => {
    expect(model.opsetVersion('')).toBe(17);
    expect(model.graph.inputs.map((v) => v.name)).toEqual(['input_ids', 'attention_mask']);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });

  it('runs at batch 1, seq 8 and matches a direct float64 BERT computation', async () => {
    const ids = [[101, 7, 42, 999, 3, 500, 12, 102]];
    const mask = [[1, 1, 1, 1, 1, 1, 1, 1]];
    const logits = await runOrt(model, ids, mask);
    expect(logits.dims).toEqual([1, 2]);
    const data = logits.data as Float32Array;
    expect([...data].every(Number.isFinite)).toBe(true);
    expectClose(data, referenceLogits(model, SMALL, ids, mask).flat());
  });

  it('applies the attention mask: padded positions do not change the logits', async () => {
    const mask = [
      [1, 1, 1, 1, 1, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ];
    const idsA = [
      [101, 5, 6, 7, 102, 0, 0, 0],
      [101, 9, 8, 7, 6, 5, 4, 102],
    ];
    const idsB = [[101, 5, 6, 7, 102, 900, 901, 902], idsA[1]!];
    const a = await runOrt(model, idsA, mask);
    const b = await runOrt(model, idsB, mask);
    expect(a.dims).toEqual([2, 2]);
    expectClose(a.data as Float32Array, referenceLogits(model, SMALL, idsA, mask).flat());
    const da = a.data as Float32Array;
    const db = b.data as Float32Array;
    for (let i = 0; i < 4; i++) expect(Math.abs(da[i]! - db[i]!)).toBeLessThanOrEqual(1e-6);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = modelToBytes(generateBertBase(SMALL));
    expect(Buffer.compare(Buffer.from(again), Buffer.from(modelToBytes(model)))).toBe(0);
    const other = modelToBytes(generateBertBase({ ...SMALL, seed: 8 }));
    expect(other.length).toBe(again.length);
    expect(Buffer.compare(Buffer.from(other), Buffer.from(again))).not.toBe(0);
  });
});

describe('generateBertBase (default BERT-base config)', () => {
  const model = generateBertBase();

  it('has the closed-form BERT-base parameter count', () => {
    const [V, P, T, H, I, L, C] = [30522, 512, 2, 768, 3072, 12, 2];
    const embeddings = V * H + P * H + T * H + 2 * H;
    const perLayer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
    const head = H * H + H + (C * H + C);
    const expected = embeddings + L * perLayer + head;
    expect(expected).toBe(109_483_778);

    let params = 0;
    for (const [name, v] of model.graph.initializers) {
      if (name.startsWith('const.')) continue;
      expect(v.initializer!.dataType).toBe(1);
      params += v.initializer!.elementCount;
    }
    expect(params).toBe(expected);
  });

  it('has the op counts of 12 encoder layers', () => {
    const counts = new Map<string, number>();
    for (const node of model.graph.nodes) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
    expect(counts.get('MatMul')).toBe(12 * 8);
    expect(counts.get('LayerNormalization')).toBe(12 * 2 + 1);
    expect(counts.get('Softmax')).toBe(12);
    expect(counts.get('Erf')).toBe(12);
    expect(counts.get('Gemm')).toBe(2);
    expect(counts.get('Gather')).toBe(5);
  });

  it('draws weights with mean 0 and standard deviation 0.02', () => {
    const table = model.graph.initializers.get('bert.embeddings.word_embeddings.weight')!.initializer!.toTypedArray() as Float32Array;
    let sum = 0;
    let squares = 0;
    for (const v of table) {
      sum += v;
      squares += v * v;
    }
    const mean = sum / table.length;
    const std = Math.sqrt(squares / table.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(Math.abs(std - 0.02) / 0.02).toBeLessThan(0.01);
  });
});
