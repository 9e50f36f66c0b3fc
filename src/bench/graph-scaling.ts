/**
 * How conversion time grows with the number of nodes: a chain of MatMuls
 * (4x4 weights) with Relu/Resize nodes between them, at two sizes four times
 * apart, each converted to int8 and fp16 in process. Linear work shows a
 * time ratio near 4; quadratic work (a graph edit that costs O(nodes), once
 * per node) shows near 16.
 *
 *   node dist/bench/graph-scaling.js [--matmuls 500] [--between 10] [--max-growth 8] [--check]
 *
 * --check exits 1 when a conversion's time ratio is above --max-growth.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertModel } from '../convert.js';
import { DataType } from '../ir/dtypes.js';
import type { Model } from '../ir/model.js';
import { ModelBuilder } from '../testing/builder.js';
import { machineInfo } from './machine.js';

const { values: args } = parseArgs({
  options: {
    matmuls: { type: 'string', default: '500' },
    between: { type: 'string', default: '10' },
    'max-growth': { type: 'string', default: '8' },
    check: { type: 'boolean', default: false },
  },
});

function chain(matmuls: number, between: number): Model {
  const b = new ModelBuilder({ opset: 17 });
  let h = b.input('x', DataType.FLOAT, [1, 4]);
  const weight = Float32Array.from({ length: 16 }, (_v, i) => Math.sin(i + 1));
  for (let i = 0; i < matmuls; i++) {
    h = b.node('MatMul', [h, b.initializer(`w${i}`, weight, [4, 4])]);
    for (let j = 0; j < between; j++) {
      // Resize is on the FP16 block list, so FP16 places Casts around every other node.
      h = j % 2 === 0 ? b.node('Relu', [h]) : b.node('Resize', [h, null, b.initializer(`scales${i}_${j}`, Float32Array.of(1, 1), [2])]);
    }
  }
  b.output(h, DataType.FLOAT, [1, 4]);
  return b.build();
}

async function seconds(to: string, matmuls: number, between: number): Promise<{ nodes: number; seconds: number }> {
  const model = chain(matmuls, between);
  const nodes = model.graph.nodeCount;
  const start = performance.now();
  await convertModel(model, to, to === 'fp16' ? { keepIoTypes: true } : {});
  return { nodes, seconds: (performance.now() - start) / 1000 };
}

const matmuls = Number(args.matmuls);
const between = Number(args.between);
const maxGrowth = Number(args['max-growth']);
const machine = machineInfo(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const lines = [
  `machine  ${machine.cpu} (${machine.cores} cores), node ${machine.node}, commit ${machine.commit}`,
  '| conversion | nodes | seconds | nodes x4 | seconds | time ratio (4 = linear, 16 = quadratic) |',
  '|---|---:|---:|---:|---:|---:|',
];
let failed = false;
for (const to of ['int8', 'fp16']) {
  await seconds(to, 50, between); // warm-up
  const small = await seconds(to, matmuls, between);
  const large = await seconds(to, matmuls * 4, between);
  const ratio = large.seconds / small.seconds;
  if (ratio > maxGrowth) failed = true;
  lines.push(`| ${to} | ${small.nodes} | ${small.seconds.toFixed(3)} | ${large.nodes} | ${large.seconds.toFixed(3)} | ${ratio.toFixed(1)} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = args.check && failed ? 1 : 0;
