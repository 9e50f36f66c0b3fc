/** docs/pipelines.md describes every key of the schema, every threshold metric and every flag of `run`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/run.js';
import { builtInConversions } from '../../src/conversions/builtins.js';
import { pipelineSchema, PRESET_VARIANT_SPEC, type Spec } from '../../src/pipeline/schema.js';
import { METRICS } from '../../src/validate/thresholds.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs/pipelines.md'), 'utf8');

function keysOf(spec: Spec, out: Set<string>): Set<string> {
  if (spec.type === 'object') {
    for (const [key, field] of Object.entries(spec.fields)) {
      out.add(key);
      keysOf(field.spec, out);
    }
  } else if (spec.type === 'record') keysOf(spec.values, out);
  else if (spec.type === 'list') keysOf(spec.items, out);
  else if (spec.type === 'oneOf') for (const o of spec.options) keysOf(o, out);
  return out;
}

describe('docs/pipelines.md', () => {
  it('describes every key of a pipeline file', () => {
    const keys = keysOf(PRESET_VARIANT_SPEC, keysOf(pipelineSchema([], []), new Set(['chain', 'to'])));
    expect(keys.size).toBeGreaterThan(20);
    for (const key of keys) expect(doc, key).toContain(`\`${key}\``);
  });

  it('lists every threshold metric', () => {
    for (const metric of Object.keys(METRICS)) expect(doc, metric).toContain(`| \`${metric}\` |`);
  });

  it('describes every flag of onnxpress run', () => {
    const options = (
      runCommand(builtInConversions()).builder(yargs([])) as unknown as {
        getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
      }
    ).getOptions();
    const aliases = new Set(Object.values(options.alias).flat());
    const flags = Object.keys(options.key).filter((k) => !['help', 'version', 'pipeline'].includes(k) && !aliases.has(k));
    expect(doc).toContain('`--jobs N`, `-j N`');
    expect(flags.sort()).toEqual(['force', 'jobs', 'json', 'only', 'report', 'shard', 'timeout']);
    for (const flag of flags) expect(doc, flag).toContain(`\`--${flag}`);
  });
});
