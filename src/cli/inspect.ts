import type { Argv } from 'yargs';
import { summarizeModel, type ModelSummary } from '../analysis/inspect.js';
import { loadModel } from '../io/load.js';
import { formatBytes } from '../report/format.js';
import { printJson } from './output.js';

export interface InspectArgs {
  model: string;
  json: boolean;
}

export const inspectCommand = {
  command: 'inspect <model>',
  describe: 'Show a model: IR version, opsets, inputs and outputs, op histogram, parameters, largest tensors',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' }),
  handler: (args: InspectArgs): number => {
    const summary = summarizeModel(loadModel(args.model, { deferWeights: true }));
    if (args.json) printJson({ file: args.model, ...summary });
    else process.stdout.write(formatSummary(args.model, summary));
    return 0;
  },
};

function formatDims(dims: (number | string | null)[] | undefined): string {
  return dims ? `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(rank unknown)';
}

export function formatSummary(file: string, s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${file}`);
  lines.push(`  IR version   ${s.irVersion ?? '?'}`);
  lines.push(`  opsets       ${s.opsets.map((o) => `${o.domain} ${o.version ?? '?'}`).join(', ') || '(none)'}`);
  lines.push(`  producer     ${[s.producer.name, s.producer.version].filter(Boolean).join(' ') || '(unknown)'}`);
  lines.push(`  nodes        ${s.nodeCount}${s.subgraphCount ? ` (in ${s.subgraphCount + 1} graphs)` : ''}`);
  if (s.functions.length) lines.push(`  functions    ${s.functions.join(', ')}`);
  lines.push('  inputs');
  for (const v of s.inputs) lines.push(`    ${v.name}: ${v.elemType ?? v.type} ${v.elemType ? formatDims(v.dims) : ''}`.trimEnd());
  lines.push('  outputs');
  for (const v of s.outputs) lines.push(`    ${v.name}: ${v.elemType ?? v.type} ${v.elemType ? formatDims(v.dims) : ''}`.trimEnd());
  lines.push(`  parameters   ${groupDigits(s.parameters.count)} (${formatBytes(s.parameters.bytes)})`);
  for (const [dtype, e] of Object.entries(s.parameters.byDtype)) {
    lines.push(`    ${dtype.padEnd(10)} ${groupDigits(e.count).padStart(14)}  ${formatBytes(e.bytes)}`);
  }
  if (s.externalDataFiles.length) lines.push(`  external data ${s.externalDataFiles.join(', ')}`);
  lines.push('  ops');
  for (const [op, n] of Object.entries(s.opHistogram)) lines.push(`    ${op.padEnd(28)} ${n}`);
  if (s.largestTensors.length) {
    lines.push('  largest tensors');
    for (const t of s.largestTensors) {
      lines.push(`    ${t.name} ${t.dtype}[${t.dims.join(', ')}] ${formatBytes(t.bytes)}${t.external ? ` (in ${t.external})` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** 1234567 -> 1,234,567 (without loading Intl, which costs start-up time). */
function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
