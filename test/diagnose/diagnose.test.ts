/**
 * diagnose end to end in ONNX Runtime: a weight scaled on purpose must come out as the worst introduced error, and
 * every corpus model's int8/fp16/q4 variant is matched node by node wherever the candidate still has the value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { Tensor } from '../../src/ir/tensor.js';
import { renderDiagnoseHtml, renderDiagnoseJson } from '../../src/report/diagnose.js';
import { loadInputs, modelInputs, type InputSet } from '../../src/validate/inputs.js';
import { CORPUS_MODELS, CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { decodeModel } from '../helpers/onnx-proto.js';
import { tempDir } from '../helpers/temp.js';

/** The first `rows` rows of the model's test set (a smaller batch keeps the test quick). */
function firstRows(model: string, rows: number): InputSet {
  const path = join(CORPUS_MODELS_DIR, model, 'model.onnx');
  const set = loadInputs([join(CORPUS_MODELS_DIR, model, 'test_data_set_0')], modelInputs(loadModel(path, { deferWeights: true })));
  const sample = new Map(
    [...set.samples[0]!].map(([name, t]) => {
      const data = t.toTypedArray();
      const width = data.length / Number(t.dims[0]);
      const n = Math.min(rows, Number(t.dims[0]));
      return [name, Tensor.fromArray(name, t.dataType, [n, ...t.dims.slice(1)], data.slice(0, n * width))] as const;
    }),
  );
  return { ...set, samples: [sample] };
}

describe.skipIf(!HAVE_CORPUS)('diagnose finds a weight scaled on purpose', () => {
  for (const model of ['char_gpt', 'bert_tiny']) {
    it(`${model}: the MatMul whose weight was scaled by 1.03 comes first by introduced error`, async () => {
      const source = join(CORPUS_MODELS_DIR, model, 'model.onnx');
      const copy = loadModel(source);
      const candidates = [...copy.graph.nodes].filter((n) => n.opType === 'MatMul' && n.inputs[1]?.initializer && n.inputs[1].useCount === 1);
      expect(candidates.length).toBeGreaterThan(3);
      const pick = Math.floor(Math.random() * candidates.length);
      const node = candidates[pick]!;
      const weight = node.inputs[1]!.initializer!;
      const scaled = Float32Array.from(weight.toTypedArray() as Float32Array, (w) => w * 1.03);
      weight.setData(weight.dataType, scaled);
      const dir = tempDir();
      const candidate = join(dir, 'scaled.onnx');
      saveModel(copy, candidate);

      const result = await diagnose({ baseline: source, candidate, inputSet: firstRows(model, 4) });
      expect(result.nodes[0]!.name, `scaled node #${pick}: ${node.name}`).toBe(node.name);
      // A uniform 3% scale: the output error is 3% of the output, SQNR = 20 log10(1 / 0.03) = 30.46 dB, cosine 1.
      expect(result.nodes[0]!.introduced!.sqnrDb).toBeCloseTo(20 * Math.log10(1 / 0.03), 1);
      expect(result.nodes[0]!.introduced!.cosine).toBeGreaterThan(0.999999);
      // Every other node computes exactly what the baseline does when fed the baseline's inputs.
      for (const other of result.nodes.slice(1)) expect(other.introduced?.sqnrDb ?? Infinity, other.name).toBeGreaterThan(90);
    });
  }
});

/** Output names of every node of a model's main graph, read with onnx-proto (not onnxpress's reader). */
function nodeOutputs(file: string): { outputs: string[] }[] {
  return decodeModel(readFileSync(file)).graph!.node.map((n) => ({ outputs: n.output ?? [] }));
}

describe.skipIf(!HAVE_CORPUS)('diagnose lines up every corpus model with its variants', () => {
  for (const model of CORPUS_MODELS) {
    it(`${model}: int8, fp16 and q4`, async () => {
      const source = join(CORPUS_MODELS_DIR, model, 'model.onnx');
      const dir = tempDir();
      for (const to of ['int8', 'fp16', 'q4']) {
        const converted = loadModel(source);
        await convertModel(converted, to);
        const candidate = join(dir, `${to}.onnx`);
        saveModel(converted, candidate);
        const result = await diagnose({ baseline: source, candidate });
        const candidateValues = new Set(nodeOutputs(candidate).flatMap((n) => n.outputs));
        const baselineNodes = nodeOutputs(source).length;
        expect(result.nodes.length + result.unmatched.length + result.notFloat, `${to}: every baseline node is counted once`).toBe(baselineNodes);
        expect(result.nodes.length).toBeGreaterThan(0);
        for (const n of result.nodes) expect(candidateValues.has(n.candidateOutput), `${to}: ${n.name}`).toBe(true);
        // Unmatched only where the candidate no longer has the value (the FP16 pass folds some Casts away).
        for (const u of result.unmatched) expect(candidateValues.has(u.output), `${to}: ${u.name} is unmatched`).toBe(false);
        const json = JSON.parse(renderDiagnoseJson(result)) as { nodes: { name: string; introduced?: unknown; accumulated: unknown }[] };
        expect(json.nodes.map((n) => n.name)).toEqual(result.nodes.map((n) => n.name));
        expect(renderDiagnoseHtml(result)).toContain('<svg');
      }
    });
  }
});
