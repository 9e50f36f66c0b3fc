/**
 * INT8 against float32 latency in ONNX Runtime: the model and its
 * quantized copy (default options) run in one process, interleaved, the
 * order alternating every round so that neither always runs second (warm
 * caches, thermal drift). Prints each median and the ratio int8 / float32.
 *
 *   node dist/bench/int8-latency.js [--model FILE] [--rounds 60] [--warmup 10] [--threads 2] [--max-ratio 0.85] [--check] [--conv-integer]
 *
 * The default model is the corpus char_gpt; inputs come from test_data_set_0
 * beside the model. --check exits 1 when the ratio is above --max-ratio. --conv-integer quantizes Conv as
 * ConvInteger instead of the default (int8-stored weights, float Conv).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { messageOf } from '../errors.js';
import { loadModel } from '../io/load.js';
import { modelToBytes } from '../io/bytes.js';
import { quantizeDynamic } from '../passes/quantize/quantize.js';
import { median, percentile } from '../validate/stats.js';
import { readTensorFile } from '../io/tensor-files.js';
import { toOrtTensor } from '../runtime/ort-tensors.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = process.env.ONNXPRESS_CORPUS ?? resolve(repoRoot, '../shared/corpus');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: join(corpus, 'models', 'char_gpt', 'model.onnx') },
    rounds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
    'max-ratio': { type: 'string', default: '0.85' },
    check: { type: 'boolean', default: false },
    'conv-integer': { type: 'boolean', default: false },
  },
});

function testInputs(modelPath: string): Record<string, ort.Tensor> {
  const dir = join(dirname(modelPath), 'test_data_set_0');
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; existsSync(join(dir, `input_${i}.pb`)); i++) {
    const tensor = readTensorFile(join(dir, `input_${i}.pb`));
    feeds[tensor.name ?? `input_${i}`] = toOrtTensor(tensor);
  }
  if (Object.keys(feeds).length === 0) throw new Error(`no inputs in ${dir}`);
  return feeds;
}

async function timeRun(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  const start = process.hrtime.bigint();
  await session.run(feeds);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<number> {
  const rounds = Number(args.rounds);
  const warmup = Number(args.warmup);
  const threads = Number(args.threads);
  const maxRatio = Number(args['max-ratio']);
  const modelPath = resolve(args.model);

  const model = loadModel(modelPath);
  const floatBytes = modelToBytes(model);
  const { summary } = quantizeDynamic(model, { convInteger: args['conv-integer'] });
  const int8Bytes = modelToBytes(model);
  const feeds = testInputs(modelPath);

  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
  const sessions = {
    float32: await ort.InferenceSession.create(floatBytes, options),
    int8: await ort.InferenceSession.create(int8Bytes, options),
  };
  const times: Record<keyof typeof sessions, number[]> = { float32: [], int8: [] };
  for (let i = 0; i < warmup; i++) {
    await timeRun(sessions.float32, feeds);
    await timeRun(sessions.int8, feeds);
  }
  for (let r = 0; r < rounds; r++) {
    const order: (keyof typeof sessions)[] = r % 2 === 0 ? ['float32', 'int8'] : ['int8', 'float32'];
    for (const name of order) times[name].push(await timeRun(sessions[name], feeds));
  }

  const ratio = median(times.int8) / median(times.float32);
  const perRound = times.int8.map((t, i) => t / times.float32[i]!);
  const line = (name: keyof typeof times): string =>
    `${name.padEnd(8)} median ${median(times[name]).toFixed(2)} ms  (p10 ${percentile(times[name], 10).toFixed(2)}, p90 ${percentile(times[name], 90).toFixed(2)})`;
  process.stdout.write(
    [
      `model    ${modelPath}`,
      `int8     ${Object.entries(summary.counts)
        .map(([op, n]) => `${n} ${op}`)
        .join(', ')} quantized; ${floatBytes.length} -> ${int8Bytes.length} bytes`,
      `runs     ${rounds} rounds, alternating order, ${warmup} warm-up runs each, ${threads} intra-op threads`,
      line('float32'),
      line('int8'),
      `ratio    int8 / float32 = ${ratio.toFixed(3)} (median of per-round ratios ${median(perRound).toFixed(3)}; target <= ${maxRatio})`,
      '',
    ].join('\n'),
  );
  await sessions.float32.release();
  await sessions.int8.release();
  return args.check && ratio > maxRatio ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`int8-latency: ${messageOf(e)}\n`);
    process.exitCode = 2;
  },
);
