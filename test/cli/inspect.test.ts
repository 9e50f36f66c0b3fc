import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeModel, type ModelSummary } from '../../src/analysis/inspect.js';
import { loadModel } from '../../src/io/load.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../helpers/corpus.js';
import { runCli } from '../helpers/cli.js';

interface Meta {
  ops: Record<string, number>;
  inputs: Record<string, [string, (string | number)[]]>;
  outputs: Record<string, [string, (string | number)[]]>;
  ir_version: number;
  opset: Record<string, number>;
  producer: string;
}

const ORT_TYPE: Record<string, string> = { 'tensor(int64)': 'int64', 'tensor(float)': 'float' };

describe.skipIf(!HAVE_CORPUS)('inspect agrees with the exporter metadata of the corpus models', () => {
  it.each(CORPUS_MODELS)('%s', (name) => {
    const dir = join(CORPUS, 'models', name);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    const s = summarizeModel(loadModel(join(dir, 'model.onnx')));
    expect(s.opHistogram).toEqual(meta.ops);
    expect(s.irVersion).toBe(meta.ir_version);
    expect(Object.fromEntries(s.opsets.map((o) => [o.domain, o.version]))).toEqual(meta.opset);
    expect(`${s.producer.name} ${s.producer.version}`).toBe(meta.producer);
    const io = (list: typeof s.inputs) => Object.fromEntries(list.map((v) => [v.name, [v.elemType, v.dims]]));
    const metaIo = (m: Meta['inputs']) => Object.fromEntries(Object.entries(m).map(([k, [t, d]]) => [k, [ORT_TYPE[t], d]]));
    expect(io(s.inputs)).toEqual(metaIo(meta.inputs));
    expect(io(s.outputs)).toEqual(metaIo(meta.outputs));
  });

  it('counts parameters by dtype and lists the largest tensors (char_gpt, checked against a direct decode)', async () => {
    const file = join(CORPUS, 'models', 'char_gpt', 'model.onnx');
    const { decode } = await import('../../src/proto/codec.js');
    const msg = decode(readFileSync(file));
    // Independent count: initializer raw_data bytes plus Constant tensor bytes, from the raw protobuf.
    let floatBytes = 0;
    for (const t of msg.graph!.initializer ?? []) if (t.data_type === 1) floatBytes += (t.raw_data as Uint8Array).length;
    for (const n of msg.graph!.node ?? []) {
      for (const a of n.attribute ?? []) if (a.t?.data_type === 1) floatBytes += a.t.raw_data?.length ?? (a.t.float_data?.length ?? 0) * 4;
    }
    const s = summarizeModel(loadModel(file));
    expect(s.parameters.byDtype.float!.bytes).toBe(floatBytes);
    expect(s.largestTensors).toHaveLength(10);
    const sizes = s.largestTensors.map((t) => t.bytes);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    expect(sizes[0]).toBe(192 * 768 * 4);
  });

  it('prints text and JSON through the CLI', async () => {
    const file = join(CORPUS, 'models', 'digits_cnn', 'model.onnx');
    const text = await runCli(['inspect', file]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/IR version\s+8/);
    expect(text.stdout).toMatch(/pixels: float \[batch, 1, 8, 8\]/);
    const json = await runCli(['inspect', file, '--json']);
    expect(json.exitCode).toBe(0);
    const parsed = JSON.parse(json.stdout) as ModelSummary;
    expect(parsed.inputs[0]).toEqual({ name: 'pixels', type: 'float[batch, 1, 8, 8]', elemType: 'float', dims: ['batch', 1, 8, 8] });
  });
});
