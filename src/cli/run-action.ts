/** What `onnxpress run` does; loaded only when that command runs. */
import path from 'node:path';
import type { ConversionRegistry } from '../conversions/registry.js';
import { usageError } from '../errors.js';
import { loadPipeline } from '../pipeline/normalize.js';
import { parseShard, planPipeline } from '../pipeline/plan.js';
import { createProgress } from '../pipeline/progress.js';
import { errorReason } from '../pipeline/reports.js';
import { runPipeline, type PipelineRunResult } from '../pipeline/run.js';
import type { EntryOutcome } from '../pipeline/types.js';
import { keyFigures } from '../report/document.js';
import { formatBytes, formatCosine, formatPercent } from '../report/format.js';
import { printJson } from './output.js';

import { DEFAULT_PIPELINE, type RunArgs } from './run.js';

export async function runRun(args: RunArgs, registry: ConversionRegistry): Promise<number> {
  if (args.jobs !== undefined && !(Number.isInteger(args.jobs) && args.jobs >= 1)) {
    throw usageError(`--jobs ${args.jobs}: expected a positive integer`);
  }
  const file = args.pipeline ?? DEFAULT_PIPELINE;
  const loaded = loadPipeline(file, { displayFile: args.pipeline ?? displayPath(DEFAULT_PIPELINE), conversions: registry });
  // The demo writes to ./out/demo of the current folder, not into the installed package.
  const demoOut = path.resolve('out', 'demo');
  const demo = args.pipeline === undefined ? { ...loaded, out: demoOut, report: { ...loaded.report, dir: demoOut } } : loaded;
  const config = args.report !== undefined ? { ...demo, report: { ...demo.report, dir: path.resolve(args.report) } } : demo;
  const only = (args.only ?? [])
    .flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter(Boolean);
  const plan = planPipeline(config, { only, ...(args.shard !== undefined ? { shard: parseShard(args.shard) } : {}) });

  const progress = !args.json && process.stderr.isTTY ? createProgress() : undefined;
  let result: PipelineRunResult;
  try {
    result = await runPipeline(plan, {
      ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
      ...(args.timeout !== undefined ? { timeout: args.timeout } : {}),
      force: args.force,
      conversions: registry,
      ...(progress ? { onEvent: progress.onEvent } : {}),
    });
  } finally {
    progress?.stop();
  }
  if (args.json) printJson(jsonResult(config.displayFile, result));
  else process.stdout.write(textResult(result));
  return result.exitCode;
}

function displayPath(p: string): string {
  const relative = path.relative(process.cwd(), p);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
}

function sizeText(e: EntryOutcome): string {
  if (e.outputBytes === undefined) return '';
  const ratio = e.inputBytes > 0 ? ` (${((100 * e.outputBytes) / e.inputBytes).toFixed(1)}%)` : '';
  return `${formatBytes(e.outputBytes)}${ratio}`;
}

function entryLine(e: EntryOutcome, nameWidth: number): string {
  const label = { pass: 'pass ', fail: 'FAIL ', error: 'ERROR' }[e.status];
  const name = `${e.model}/${e.variant}`.padEnd(nameWidth);
  const cached = e.cached ? '  (cached)' : '';
  if (e.status === 'error' || !e.result) return `${label} ${name}  ${errorReason(e.error ?? { stage: 'worker', message: 'no result' })}${cached}\n`;
  const k = keyFigures(e.result);
  const figures = [
    sizeText(e),
    k.worstCosine ? `cosine ${formatCosine(k.worstCosine.value)}` : '',
    k.worstTop1 ? `top-1 ${formatPercent(k.worstTop1.value)}` : '',
    k.accuracyDrop !== undefined ? `accuracy drop ${formatPercent(k.accuracyDrop)}` : '',
  ].filter(Boolean);
  const failed = k.failed.map((c) => `\n      ${c.message}`).join('');
  return `${label} ${name}  ${figures.join('  ')}${cached}${failed}\n`;
}

export function textResult(result: PipelineRunResult): string {
  const entries = result.entries;
  const width = Math.max(0, ...entries.map((e) => e.model.length + e.variant.length + 1));
  const counts = { pass: 0, fail: 0, error: 0 };
  for (const e of entries) counts[e.status]++;
  const cached = entries.filter((e) => e.cached).length;
  const lines = entries.map((e) => entryLine(e, width));
  lines.push(
    `${counts.pass} passed, ${counts.fail} failed, ${counts.error} ${counts.error === 1 ? 'error' : 'errors'}` +
      ` (${entries.length} entries${cached ? `, ${cached} from cache` : ''}) in ${result.seconds.toFixed(1)} s\n`,
  );
  if (result.reports.files.length > 0) {
    const dir = displayPath(path.dirname(result.reports.files[0]!));
    lines.push(`reports: ${result.reports.files.map(displayPath).join(', ')}\n`);
    if (Object.keys(result.reports.models).length > 0) lines.push(`per model: ${path.join(dir, '<model>')}${path.sep}\n`);
  }
  return lines.join('');
}

function jsonResult(pipeline: string, result: PipelineRunResult) {
  return {
    pipeline,
    exitCode: result.exitCode,
    passed: result.summary.passed,
    seconds: result.seconds,
    reports: result.reports,
    entries: result.entries.map((e) => ({
      model: e.model,
      variant: e.variant,
      status: e.status,
      cached: e.cached,
      input: e.input,
      inputBytes: e.inputBytes,
      ...(e.output !== undefined ? { output: e.output, outputBytes: e.outputBytes } : {}),
      seconds: e.seconds,
      ...(e.error ? { error: { ...e.error, reason: errorReason(e.error) } } : {}),
      ...(e.result ? { failedChecks: e.result.checks.filter((c) => c.status === 'fail').map((c) => c.message) } : {}),
      ...(e.conversion ? { conversion: e.conversion } : {}),
    })),
  };
}
