/** Matching a candidate's tensors to the baseline's: by name, by the provenance our conversions record, or not at all. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert.js';
import { matchNodes } from '../../src/diagnose/match.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { loadModel, parseModel } from '../../src/io/load.js';
import { SOURCE_KEY } from '../../src/passes/provenance.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { REPO_ROOT } from '../helpers/corpus.js';

const ModelProto = protobuf
  .parse(readFileSync(join(REPO_ROOT, 'test/proto/onnx/onnx-ml.proto'), 'utf8'), { keepCase: true })
  .root.resolveAll()
  .lookupType('onnx.ModelProto');

const MODEL = join(CORPUS_MODELS_DIR, 'char_gpt', 'model.onnx');

describe.skipIf(!HAVE_CORPUS)('matchNodes', () => {
  it('every node int8 and q4 make records its source node in metadata_props, and the file keeps it', async () => {
    for (const to of ['int8', 'q4']) {
      const model = loadModel(MODEL);
      await convertModel(model, to);
      // Decoded by protobufjs from ONNX's own onnx-ml.proto (onnx-proto predates node metadata_props).
      const written = ModelProto.toObject(ModelProto.decode(modelToBytes(model))) as {
        graph: { node: { metadata_props?: { key: string; value: string }[] }[] };
      };
      const sources = new Set(written.graph.node.flatMap((n) => (n.metadata_props ?? []).filter((p) => p.key === SOURCE_KEY).map((p) => p.value)));
      const matmuls = [...loadModel(MODEL, { deferWeights: true }).graph.nodes].filter((n) => n.opType === 'MatMul' && n.inputs[1]?.initializer);
      for (const m of matmuls) expect(sources.has(m.name!), `${to}: ${m.name}`).toBe(true);
    }
  });

  it('a quantized node whose output was renamed is matched through its provenance; a renamed value without it is unmatched', async () => {
    const baseline = loadModel(MODEL, { deferWeights: true });
    const candidate = loadModel(MODEL);
    await convertModel(candidate, 'int8');
    const renamed = parseModel(modelToBytes(candidate));
    const target = [...baseline.graph.nodes].find((n) => n.opType === 'MatMul' && n.inputs[1]?.initializer)!;
    const value = [...renamed.graph.nodes].flatMap((n) => n.outputs).find((v) => v?.name === target.output(0).name)!;
    value.name = 'renamed by a later tool';
    const matching = matchNodes(baseline, renamed);
    const found = matching.matched.find((m) => m.node.name === target.name)!;
    expect(found.how).toBe('provenance');
    expect(found.candidate).toBe(value);

    // The same rename in a copy whose nodes carry no provenance: listed, not guessed.
    for (const n of renamed.graph.nodes) n.metadataProps = undefined;
    const bare = matchNodes(baseline, renamed);
    expect(bare.unmatched.map((u) => u.node.name)).toContain(target.name);
  });
});
