/**
 * What an accuracy-guided conversion costs (issue: "a search costs at most about 20 full validations"): on the
 * benchmark model, one `validate` of its INT8 variant, then `convert --to int8 --threshold cosine=0.9995` on
 * the same inputs, each timed once (they take minutes), as rows of the benchmark table.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../io/load.js';
import { encode } from '../proto/codec.js';
import { serializeTensor } from '../proto/serde.js';
import { synthesizeInputs } from '../validate/synthesize.js';
import { formatSeconds, type ResultRow } from './report.js';

export const SEARCH_THRESHOLD = 'cosine=0.9995';
export const SEARCH_BUDGET = 20;

/** Writes one synthesized input set (batch 1, sequence 128) as test_data_set_0/input_K.pb; returns the folder. */
function writeInputs(modelPath: string, dir: string): string {
  const model = loadModel(modelPath, { deferWeights: true });
  const set = synthesizeInputs(model, { dims: { batch: 1, seq: 128 } });
  const folder = join(dir, 'search-inputs', 'test_data_set_0');
  mkdirSync(folder, { recursive: true });
  [...set.samples[0]!.entries()].forEach(([name, tensor], k) => {
    writeFileSync(join(folder, `input_${k}.pb`), encode(serializeTensor(tensor, {}, name), 'TensorProto'));
  });
  return join(dir, 'search-inputs');
}

function timed(argv: readonly string[]): { seconds: number; status: number | null; stdout: string; stderr: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function searchRows(cliPath: string, modelPath: string, dir: string, copySeconds: number): ResultRow[] {
  const inputs = writeInputs(modelPath, dir);
  const int8 = join(dir, 'search-int8.onnx');
  const convert = timed([process.execPath, cliPath, 'convert', modelPath, '-o', int8, '--to', 'int8']);
  if (convert.status !== 0) throw new Error(`convert --to int8 failed: ${convert.stderr}`);
  const validate = timed([
    process.execPath,
    cliPath,
    'validate',
    '--baseline',
    modelPath,
    '--candidate',
    int8,
    '--inputs',
    inputs,
    '--threshold',
    SEARCH_THRESHOLD,
    '--no-default-thresholds',
    '--json',
  ]);
  if (validate.status !== 0 && validate.status !== 1) throw new Error(`validate failed: ${validate.stderr}`);
  const search = timed([
    process.execPath,
    cliPath,
    'convert',
    modelPath,
    '-o',
    join(dir, 'search-out.onnx'),
    '--to',
    'int8',
    '--threshold',
    SEARCH_THRESHOLD,
    '--inputs',
    inputs,
    '--json',
  ]);
  if (search.status !== 0 && search.status !== 1) throw new Error(`the search failed: ${search.stderr}`);
  const result = JSON.parse(search.stdout) as { validations: number; passed: boolean; steps: unknown[]; outputBytes: number; inputBytes: number };
  const perValidation = validate.seconds + convert.seconds;
  return [
    {
      measurement: '`convert --to int8` then `validate` (one step of a search)',
      value: formatSeconds(perValidation),
      range: '',
      cpu: '',
      ratio: `${(perValidation / copySeconds).toFixed(1)}x copy`,
      target: '',
      result: '',
    },
    {
      measurement: `\`convert --to int8 --threshold ${SEARCH_THRESHOLD}\` (search, once): ${result.steps.length} conversions, ${result.validations} validations, ${result.passed ? 'met' : 'not met'} at ${(result.outputBytes / result.inputBytes).toFixed(3)}x`,
      value: formatSeconds(search.seconds),
      range: '',
      cpu: '',
      ratio: `${(search.seconds / perValidation).toFixed(1)}x one step`,
      target: `<= ${SEARCH_BUDGET} validations`,
      result: result.validations <= SEARCH_BUDGET ? 'PASS' : 'FAIL',
    },
  ];
}
