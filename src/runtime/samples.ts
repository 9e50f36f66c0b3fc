/** Input samples as the session worker reads them: each tensor written once as raw bytes (protocol.ts TensorFile). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, dataTypeInfo } from '../ir/dtypes.js';
import type { Tensor } from '../ir/tensor.js';
import { inputError } from '../errors.js';
import type { TensorFile } from './protocol.js';

/**
 * Writes every tensor of every sample into `dir` (a tensor given twice, here or in an earlier call with the same
 * `files`, is written once). Throws E_INPUT for a tensor the worker cannot feed (strings, types ONNX Runtime lacks).
 */
export function writeSamples(dir: string, samples: readonly ReadonlyMap<string, Tensor>[], files = new Map<Tensor, string>()): TensorFile[][] {
  return samples.map((sample) =>
    [...sample.entries()].map(([name, tensor]) => {
      const info = dataTypeInfo(tensor.dataType);
      if (tensor.dataType === DataType.STRING || !info.ortName || !info.array) {
        throw inputError(`input '${name}' has type ${info.name}, which cannot be fed to ONNX Runtime here`);
      }
      let file = files.get(tensor);
      if (file === undefined) {
        file = join(dir, `input-${files.size}.bin`);
        writeFileSync(file, tensor.rawBytes());
        files.set(tensor, file);
      }
      return { name, dataType: tensor.dataType, dims: tensor.dims.map(Number), file };
    }),
  );
}
