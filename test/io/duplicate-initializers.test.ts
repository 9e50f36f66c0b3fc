/**
 * A graph that lists an initializer name twice (exporters and hand edits make such files; ONNX Runtime
 * warns and uses the later one). The IR holds the later tensor, as ONNX Runtime does, and the earlier is
 * written back in its place, so the file still round-trips byte for byte, as long as no pass retyped the name.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert.js';
import { DataType } from '../../src/ir/dtypes.js';
import { modelToBytes } from '../../src/io/bytes.js';
import { parseModel } from '../../src/io/load.js';
import { decode, encode, type ProtoMessage } from '../../src/proto/codec.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { runModel, SESSION_OPTIONS } from '../helpers/ort.js';

/** y = x + w, with `w` listed three times: [1, 2], then 'v', then [5, 6], then [7, 8] last. */
function modelWithDuplicates(): Uint8Array {
  const b = new ModelBuilder({ opset: 17 });
  const x = b.input('x', DataType.FLOAT, [2]);
  const y = b.node('Add', [x, b.initializer('w', Float32Array.of(1, 2), [2])]);
  b.output(b.node('Mul', [y, b.initializer('v', Float32Array.of(1, 1), [2])]), DataType.FLOAT, [2]);
  const msg = decode(modelToBytes(b.build()), 'ModelProto');
  const initializers = (msg.graph as ProtoMessage).initializer as ProtoMessage[];
  const w = initializers[0]!;
  const copy = (values: number[]): ProtoMessage => ({ ...w, raw_data: new Uint8Array(Float32Array.from(values).buffer) });
  (msg.graph as ProtoMessage).initializer = [w, initializers[1]!, copy([5, 6]), copy([7, 8])];
  return encode(msg, 'ModelProto');
}

async function run(bytes: Uint8Array): Promise<number[]> {
  const out = await runModel(bytes, { x: new ort.Tensor('float32', Float32Array.of(0, 0), [2]) }, { ...SESSION_OPTIONS, logSeverityLevel: 3 });
  return Array.from(Object.values(out)[0]!.data as Float32Array);
}

describe('an initializer name listed more than once', () => {
  it('round-trips byte for byte; the tensor in effect is the last one, the one ONNX Runtime uses', async () => {
    const bytes = modelWithDuplicates();
    const model = parseModel(bytes);
    expect(Buffer.from(modelToBytes(model)).equals(Buffer.from(bytes))).toBe(true);
    expect([...model.graph.initializers.keys()]).toEqual(['v', 'w']);
    const inEffect = Array.from(model.graph.initializers.get('w')!.initializer!.toTypedArray() as Float32Array);
    expect(await run(bytes)).toEqual(inEffect);
    expect(inEffect).toEqual([7, 8]);
  });

  it('a conversion that retypes the tensor in effect drops the shadowed ones, which would make the model invalid', async () => {
    const model = parseModel(modelWithDuplicates());
    await convertModel(model, 'fp16', { keepIoTypes: true });
    const written = modelToBytes(model);
    const reread = decode(written, 'ModelProto');
    const types = ((reread.graph as ProtoMessage).initializer as ProtoMessage[]).map((t) => [t.name, t.data_type]);
    expect(types).toEqual([
      ['v', DataType.FLOAT16],
      ['w', DataType.FLOAT16],
    ]);
    expect(await run(written)).toEqual([7, 8]);
  });
});
