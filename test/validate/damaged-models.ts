/** Models that must fail validation in known ways, written to temporary folders. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType } from '../../src/ir/dtypes.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { ModelBuilder } from '../../src/testing/builder.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Two one-node models on x: float32[4]: the baseline casts to int8, the candidate to int4 (opset 21, IR 10).
 * onnxruntime-node aborts the process when it has to return the int4 output.
 */
export function int4Models(): { baseline: string; candidate: string } {
  const dir = tempDir();
  const write = (file: string, to: DataType) => {
    const b = new ModelBuilder({ opset: 21, irVersion: 10 });
    const x = b.input('x', DataType.FLOAT, [4]);
    const y = b.node('Cast', [x], { to });
    y.name = 'y';
    b.output(y, to, [4]);
    saveModel(b.build(), join(dir, file));
    return join(dir, file);
  };
  return { baseline: write('int8.onnx', DataType.INT8), candidate: write('int4.onnx', DataType.INT4) };
}

/** A copy of a model with the weight of its first MatMul (an initializer) multiplied by 10; returns the path and the weight's name. */
export function scaledMatMulWeight(source: string): { path: string; weight: string } {
  const model = loadModel(source);
  for (const node of model.graph.nodes) {
    const weight = node.inputs[1];
    if (node.opType !== 'MatMul' || !weight?.initializer || weight.initializer.dataType !== DataType.FLOAT) continue;
    const scaled = Float32Array.from(weight.initializer.toTypedArray() as Float32Array, (v) => v * 10);
    weight.initializer.setData(DataType.FLOAT, scaled);
    const path = join(tempDir(), 'damaged.onnx');
    saveModel(model, path);
    return { path, weight: weight.name };
  }
  throw new Error(`${source} has no MatMul with a float initializer weight`);
}

/** The first `fraction` of a model file. */
export function truncatedCopy(source: string, fraction = 0.5): string {
  const bytes = readFileSync(source);
  const path = join(tempDir(), 'truncated.onnx');
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return path;
}
