/**
 * Every MatMulNBits node onnxruntime's MatMulNBitsQuantizer wrote into the corpus files (ort/q4.onnx,
 * q4_asym.onnx, q8nbits.onnx) must have a counterpart in our output for the same options, with the same
 * attributes and the same B, scales and zero points byte for byte (an absent zero-point input stands for
 * 2^(bits-1) in every block).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/ir/graph.js';
import type { Tensor } from '../../../src/ir/tensor.js';
import { loadModel } from '../../../src/io/load.js';
import type { QuantizeNBitsOptions } from '../../../src/passes/quantize-nbits/options.js';
import { quantizeNBits } from '../../../src/passes/quantize-nbits/quantize.js';
import { CORPUS, CORPUS_MODELS, HAVE_CORPUS } from '../../helpers/corpus.js';

const VARIANTS: [string, QuantizeNBitsOptions][] = [
  ['q4', {}],
  ['q4_asym', { symmetric: false }],
  ['q8nbits', { bits: 8 }],
];

const bytesOf = (t: Tensor): Buffer => Buffer.from(t.rawBytes());

/** Zero points as a node holds them: its input, or 2^(bits-1) in every block, packed, when it has none. */
function zeroPoints(node: Node, bits: number): Buffer {
  const given = node.input(3)?.initializer;
  if (given) return bytesOf(given);
  const [n, kBlocks] = node.input(2)!.initializer!.dims.map(Number) as [number, number];
  const mid = 1 << (bits - 1);
  if (bits === 8) return Buffer.alloc(n * kBlocks, mid);
  const cols = Math.ceil(kBlocks / 2);
  return Buffer.alloc(n * cols, mid | (mid << 4));
}

function attrs(node: Node): Record<string, number> {
  return Object.fromEntries([...node.attributes].map(([k, a]) => [k, a.asNumber()]));
}

describe.skipIf(!HAVE_CORPUS)('MatMulNBits weights equal onnxruntime MatMulNBitsQuantizer bit for bit', () => {
  for (const name of CORPUS_MODELS) {
    for (const [file, options] of VARIANTS) {
      it(`${name} ${file}`, () => {
        const reference = loadModel(join(CORPUS, 'models', name, 'ort', `${file}.onnx`));
        const model = loadModel(join(CORPUS, 'models', name, 'model.onnx'));
        quantizeNBits(model, options);
        const bits = options.bits ?? 4;
        const theirs = [...reference.graph.allNodes()].filter((n) => n.opType === 'MatMulNBits');
        const ours = new Map([...model.graph.allNodes()].filter((n) => n.opType === 'MatMulNBits').map((n) => [n.name, n]));
        // digits_cnn has no MatMul (its Gemms are its head): onnxruntime leaves it as it is, and so do we.
        expect(ours.size).toBe(theirs.length);
        const mismatched: string[] = [];
        for (const ref of theirs) {
          const node = ours.get(ref.name);
          if (!node) {
            mismatched.push(`${ref.name ?? ''}: missing`);
            continue;
          }
          expect(attrs(node)).toEqual(attrs(ref));
          expect(node.input(0)!.name).toBe(ref.input(0)!.name);
          const [b, s] = [node.input(1)!.initializer!, node.input(2)!.initializer!];
          const [rb, rs] = [ref.input(1)!.initializer!, ref.input(2)!.initializer!];
          expect(b.dims.map(Number)).toEqual(rb.dims.map(Number));
          expect(s.dims.map(Number)).toEqual(rs.dims.map(Number));
          if (!bytesOf(b).equals(bytesOf(rb))) mismatched.push(`${ref.name ?? ''}: B`);
          if (!bytesOf(s).equals(bytesOf(rs))) mismatched.push(`${ref.name ?? ''}: scales`);
          if (!zeroPoints(node, bits).equals(zeroPoints(ref, bits))) mismatched.push(`${ref.name ?? ''}: zero points`);
          // The same tensors under the same names (onnxruntime's <B>_Q4, <B>_scales, <B>_zero_points).
          expect(node.inputs.map((v) => v?.name)).toEqual(ref.inputs.map((v) => v?.name));
        }
        expect(mismatched).toEqual([]);
        expect(theirs.length > 0 || name === 'digits_cnn').toBe(true);
      });
    }
  }
});
