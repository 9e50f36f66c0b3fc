/** A pipeline variant with `threshold:` runs the accuracy-guided search and is validated like any other variant. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { CORPUS_MODELS_DIR, HAVE_CORPUS } from '../helpers/corpus.js';
import { tempDir, writeFile } from '../pipeline/helpers.js';

const MODEL_DIR = path.join(CORPUS_MODELS_DIR, 'digits_cnn');

describe.skipIf(!HAVE_CORPUS)('pipeline threshold:', () => {
  it('a variant searched to cosine 0.9999995 meets it; a threshold on a chain is an error of that variant', async () => {
    const root = tempDir();
    writeFile(
      path.join(root, 'p.yaml'),
      `models:
  - path: ${path.join(MODEL_DIR, 'model.onnx')}
    inputs: ${path.join(MODEL_DIR, 'test_data_set_0')}
    labels: ${path.join(MODEL_DIR, 'labels.pb')}
out: ./out
variants:
  int8-guided: { to: int8, threshold: { cosine: 0.9999995 } }
  chained: { chain: [none, { to: int8, threshold: { cosine: 0.9999995 } }] }
validate:
  latency: false
  thresholds: { int8-guided: { cosine: 0.9999995 } }
`,
    );
    const r = await runCli(['run', path.join(root, 'p.yaml')]);
    const report = JSON.parse(readFileSync(path.join(root, 'out', 'report.json'), 'utf8')) as {
      entries: { variant: string; status: string; error?: { message: string }; result?: { checks: { id: string; actual: number }[] } }[];
    };
    const guided = report.entries.find((e) => e.variant === 'int8-guided')!;
    expect(guided.status, JSON.stringify(guided.error)).toBe('pass');
    expect(guided.result!.checks.find((c) => c.id.startsWith('cosine'))!.actual).toBeGreaterThanOrEqual(0.9999995);
    expect(existsSync(path.join(root, 'out', 'digits_cnn', 'int8-guided.onnx'))).toBe(true);
    const chained = report.entries.find((e) => e.variant === 'chained')!;
    expect(chained.status).toBe('error');
    expect(chained.error!.message).toMatch(/single conversion, not to a chain/);
    expect(r.exitCode).toBe(2);
  }, 600_000);
});
