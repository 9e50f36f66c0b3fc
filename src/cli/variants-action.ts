/** What `onnxpress variants` does; loaded only when that command runs (it brings in ONNX Runtime). */
import path from 'node:path';
import type { ConversionRegistry } from '../conversions/registry.js';
import { usageError } from '../errors.js';
import { formatBytes, formatCosine, formatPercent } from '../report/format.js';
import type { RawValidateOptions } from '../validate/options.js';
import { makeVariants, type VariantOutcome, type VariantsResult } from '../variants/variants.js';
import { printJson } from './output.js';
import { validateInputFromArgs } from './validate.js';
import { parseFormats } from './validate-action.js';
import { PER_VARIANT_OPTIONS, type VariantsArgs } from './variants.js';

export async function runVariants(args: VariantsArgs, registry: ConversionRegistry): Promise<number> {
  const formats = parseFormats(args.format);
  if (!args.validate && (args.report !== undefined || formats)) throw usageError('--report and --format need validation (leave out --no-validate)');
  const given = validateInputFromArgs(args) as Partial<RawValidateOptions>;
  const { inputs, ...rest } = given;
  for (const name of PER_VARIANT_OPTIONS) delete (rest as Record<string, unknown>)[name];
  const result = await makeVariants(args.models, {
    preset: args.preset,
    ...(args.outDir !== undefined ? { outDir: args.outDir } : {}),
    ...(args.only ? { only: args.only } : {}),
    ...(inputs !== undefined ? { inputs } : {}),
    validate: args.validate ? rest : false,
    ...(args.report !== undefined ? { reportDir: args.report } : {}),
    ...(formats ? { formats } : {}),
    registry,
    ...(args.target ? { target: args.target, allowUnsupportedOps: args.allowUnsupportedOps } : {}),
    ...(args.json ? {} : { onProgress: (e) => (e.phase === 'done' ? process.stdout.write(formatOutcome(e.outcome)) : undefined) }),
  });
  if (args.json) printJson(jsonOf(result));
  else process.stdout.write(formatEnd(result));
  return result.exitCode;
}

const STATUS: Record<VariantOutcome['status'], string> = { pass: 'PASS ', fail: 'FAIL ', error: 'ERROR', converted: 'MADE ' };

/** One line per variant: status, files, size and the lowest output cosine; then the failed checks or the error. */
export function formatOutcome(o: VariantOutcome): string {
  const head = `${STATUS[o.status]} ${path.basename(o.model)} -> ${path.relative(process.cwd(), o.output) || o.output} (${o.dtype})`;
  const parts: string[] = [];
  if (o.outputBytes !== undefined) {
    parts.push(`${formatBytes(o.outputBytes)}${o.inputBytes > 0 ? ` (${formatPercent(o.outputBytes / o.inputBytes)})` : ''}`);
  }
  const cosines = (o.result?.outputs ?? []).map((out) => out.metrics.cosine).filter((c) => Number.isFinite(c));
  if (cosines.length > 0) parts.push(`cosine ${formatCosine(Math.min(...cosines))}`);
  const lines = [`${head}${parts.length ? `: ${parts.join(', ')}` : ''}`];
  for (const c of o.result?.checks.filter((check) => check.status === 'fail') ?? []) lines.push(`  FAILED ${c.id}: ${c.message}`);
  if (o.error) lines.push(`  ${o.error.stage === 'convert' ? 'conversion' : 'validation'} failed: ${o.error.message}`);
  if (o.externalDataFile) lines.push(`  external data ${path.basename(o.externalDataFile)}`);
  for (const f of o.lint ?? []) lines.push(`  ${f.severity === 'error' ? 'LINT ERROR' : 'lint'} ${f.message}`);
  return `${lines.join('\n')}\n`;
}

function formatEnd(result: VariantsResult): string {
  const lines: string[] = [];
  for (const s of result.skipped) lines.push(`skipped ${s.dtype}: ${s.reason}`);
  const count = (status: VariantOutcome['status']) => result.variants.filter((v) => v.status === status).length;
  const counts = result.summary
    ? `${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors`
    : `${count('converted')} made, ${count('error')} errors (not validated)`;
  lines.push(`${result.variants.length} variants of ${result.models.length} model${result.models.length === 1 ? '' : 's'}: ${counts}`);
  for (const file of result.reports) lines.push(`report ${path.relative(process.cwd(), file) || file}`);
  return `${lines.join('\n')}\n`;
}

function jsonOf(result: VariantsResult): unknown {
  return {
    preset: result.preset,
    models: result.models,
    exitCode: result.exitCode,
    skipped: result.skipped,
    reports: result.reports,
    variants: result.variants.map(({ result: validation, ...o }) => ({
      ...o,
      ...(validation ? { passed: validation.passed, checks: validation.checks } : {}),
    })),
  };
}
