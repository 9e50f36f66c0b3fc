/**
 * The I/O benchmark: BERT-base (about 110M float32 parameters, 438 MB)
 * through the CLI, against the floor of a plain read-and-write copy of the
 * same file. Cases and the copy run interleaved, several rounds, medians
 * reported. See docs/benchmarks.md.
 *
 *   node dist/bench/run.js [--rounds 5] [--write-docs] [--regenerate] [--check] [--model FILE] [--skip-search]
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeModel } from '../analysis/inspect.js';
import { builtInConversions } from '../conversions/builtins.js';
import { parseModel } from '../io/load.js';
import { readBytes } from '../io/read-bytes.js';
import { saveModel } from '../io/save.js';
import { ensureBertBase } from './bert-model.js';
import { runChild, usageMethod, type UsageMethod } from './child.js';
import { machineInfo } from './machine.js';
import { searchRows } from './search-cost.js';
import { formatMegabytes, formatReport, formatSeconds, replaceMarkedSection, type ResultRow } from './report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');
const modelsDir = join(repoRoot, 'bench-models');
const outDir = join(modelsDir, 'out');

const COPY_SCRIPT = "const fs = require('node:fs'); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1]));";

const INSPECT_MAX_SECONDS = 0.3;

/** A command measured in a child process. */
interface ChildCase {
  name: string;
  argv: string[];
  /** A file the command writes: removed before each run (untimed). */
  output?: string;
  /** Targets relative to the plain copy (wall time) and to the model size (peak RSS), where there are any. */
  maxWallRatio?: number;
  maxRssRatio?: number;
}

interface Samples {
  wall: number[];
  rss: number[];
  cpu: number[];
  /** Size of the output file (from the warm-up run). */
  outputBytes?: number;
}

/**
 * The conversions measured against the plain copy: `--to none` always, the
 * others only once they are registered. To benchmark a new conversion, add it
 * here (with targets if it has any).
 */
const CONVERSION_CASES: { to: string; maxWallRatio?: number; maxRssRatio?: number }[] = [
  { to: 'none', maxWallRatio: 2, maxRssRatio: 1.5 },
  { to: 'fp16', maxWallRatio: 3 },
  { to: 'int8', maxWallRatio: 3 },
  { to: 'q4', maxWallRatio: 3 },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: readonly number[], format: (v: number) => string): string {
  return `${format(Math.min(...values))} - ${format(Math.max(...values))}`;
}

function verdict(ok: boolean | undefined): ResultRow['result'] {
  return ok === undefined ? '' : ok ? 'PASS' : 'FAIL';
}

function childCases(model: string): { copy: ChildCase; startup: ChildCase; inspect: ChildCase; conversions: ChildCase[] } {
  const copyOut = join(outDir, 'bert-base.copy.onnx');
  const registered = new Set(builtInConversions().names());
  return {
    copy: { name: 'plain copy', argv: [process.execPath, '-e', COPY_SCRIPT, model, copyOut], output: copyOut },
    startup: { name: 'node startup', argv: [process.execPath, '-e', ''] },
    inspect: { name: 'inspect', argv: [process.execPath, cliPath, 'inspect', model] },
    conversions: CONVERSION_CASES.filter((c) => registered.has(c.to)).map((c) => {
      const output = join(outDir, `bert-base.${c.to}.onnx`);
      return {
        name: `convert --to ${c.to}`,
        argv: [process.execPath, cliPath, 'convert', model, '--to', c.to, '-o', output],
        output,
        maxWallRatio: c.maxWallRatio,
        maxRssRatio: c.maxRssRatio,
      };
    }),
  };
}

function measureChildren(cases: ChildCase[], rounds: number, method: UsageMethod): Map<ChildCase, Samples> {
  const samples = new Map<ChildCase, Samples>(cases.map((c) => [c, { wall: [], rss: [], cpu: [] }]));
  // Round 0 warms the page cache and is not counted; later rounds rotate the order.
  for (let round = 0; round <= rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length]!;
      const s = samples.get(c)!;
      if (c.output) rmSync(c.output, { force: true });
      const run = runChild(c.argv, method, repoRoot);
      if (round === 0) {
        if (c.output) s.outputBytes = statSync(c.output).size;
        continue;
      }
      s.wall.push(run.wallSeconds);
      if (run.maxRssBytes !== undefined) s.rss.push(run.maxRssBytes);
      if (run.cpuSeconds !== undefined) s.cpu.push(run.cpuSeconds);
    }
    process.stderr.write(round === 0 ? 'warm-up done\n' : `round ${round}/${rounds} done\n`);
  }
  for (const c of cases) if (c.output) rmSync(c.output, { force: true });
  return samples;
}

function timeIt<T>(f: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = f();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
}

/** The same work inside this process, step by step, to show where the CLI's time goes. */
function measureInProcess(model: string, rounds: number): [string, number[]][] {
  const steps: [string, number[]][] = [
    ['in process: read the file (readBytes)', []],
    ['in process: parse (decode + IR)', []],
    ['in process: summarize (inspect)', []],
    ['in process: save (serialize + write + fsync)', []],
  ];
  const target = join(outDir, 'bert-base.in-process.onnx');
  for (let round = 0; round <= rounds; round++) {
    const [bytes, read] = timeIt(() => readBytes(model));
    const [parsed, parse] = timeIt(() => parseModel(bytes, { path: model }));
    const [, summarize] = timeIt(() => summarizeModel(parsed));
    rmSync(target, { force: true });
    const [, save] = timeIt(() => saveModel(parsed, target));
    if (round > 0) [read, parse, summarize, save].forEach((t, i) => steps[i]![1].push(t));
  }
  rmSync(target, { force: true });
  return steps;
}

/** The table rows: the floor first, then each case with its ratio and target. */
function resultRows(
  cases: ReturnType<typeof childCases>,
  samples: Map<ChildCase, Samples>,
  inProcess: [string, number[]][],
  modelBytes: number,
): ResultRow[] {
  const copy = samples.get(cases.copy)!;
  const copyWall = median(copy.wall);
  const cpuOf = (s: Samples): string => (s.cpu.length ? formatSeconds(median(s.cpu)) : '');
  const wallRow = (measurement: string, s: Samples, target: string, ok: boolean | undefined): ResultRow => ({
    measurement,
    value: formatSeconds(median(s.wall)),
    range: range(s.wall, formatSeconds),
    cpu: cpuOf(s),
    ratio: `${(median(s.wall) / copyWall).toFixed(2)}x copy`,
    target,
    result: verdict(ok),
  });
  const rssRow = (measurement: string, s: Samples, limit: number | undefined): ResultRow => {
    const ratio = median(s.rss) / modelBytes;
    return {
      measurement,
      value: formatMegabytes(median(s.rss)),
      range: range(s.rss, formatMegabytes),
      cpu: '',
      ratio: `${ratio.toFixed(2)}x model`,
      target: limit === undefined ? '' : `< ${limit}x model size`,
      result: verdict(limit === undefined ? undefined : ratio < limit),
    };
  };

  const rows: ResultRow[] = [wallRow('plain copy: `node -e` readFileSync + writeFileSync (the floor)', copy, '', undefined)];
  if (copy.rss.length) rows.push(rssRow('plain copy peak RSS', copy, undefined));
  for (const c of cases.conversions) {
    const s = samples.get(c)!;
    const wallRatio = median(s.wall) / copyWall;
    rows.push(
      wallRow(
        `\`${c.name}\` (CLI, wall)`,
        s,
        c.maxWallRatio === undefined ? '' : `<= ${c.maxWallRatio}x copy`,
        c.maxWallRatio === undefined ? undefined : wallRatio <= c.maxWallRatio,
      ),
    );
    if (s.rss.length) rows.push(rssRow(`\`${c.name}\` peak RSS`, s, c.maxRssRatio));
    if (c.name !== 'convert --to none' && s.outputBytes !== undefined) {
      rows.push({
        measurement: `\`${c.name}\` output size`,
        value: formatMegabytes(s.outputBytes),
        range: '',
        cpu: '',
        ratio: `${(s.outputBytes / modelBytes).toFixed(3)}x model`,
        target: '',
        result: '',
      });
    }
  }
  const inspect = samples.get(cases.inspect)!;
  rows.push(wallRow('`inspect` (CLI, wall)', inspect, `< ${INSPECT_MAX_SECONDS} s`, median(inspect.wall) < INSPECT_MAX_SECONDS));
  if (inspect.rss.length) rows.push(rssRow('`inspect` peak RSS', inspect, undefined));
  const startup = samples.get(cases.startup)!;
  rows.push({ ...wallRow('node startup (`node -e ""`, wall)', startup, '', undefined), ratio: '' });
  for (const [label, values] of inProcess) {
    rows.push({
      measurement: label,
      value: formatSeconds(median(values)),
      range: range(values, formatSeconds),
      cpu: '',
      ratio: '',
      target: '',
      result: '',
    });
  }
  return rows;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      'write-docs': { type: 'boolean', default: false },
      regenerate: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'skip-search': { type: 'boolean', default: false },
      model: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not ${values.rounds}`);

  let modelPath: string;
  let modelLabel: string;
  if (values.model) {
    modelPath = resolve(values.model);
    modelLabel = `${relative(repoRoot, modelPath)} (${formatMegabytes(statSync(modelPath).size)})`;
  } else {
    const bench = ensureBertBase(join(modelsDir, 'bert-base.onnx'), { regenerate: values.regenerate });
    modelPath = bench.path;
    process.stderr.write(
      bench.generatedIn === undefined
        ? `using existing ${relative(repoRoot, modelPath)}\n`
        : `generated ${relative(repoRoot, modelPath)} in ${formatSeconds(bench.generatedIn)}\n`,
    );
    modelLabel = `generated BERT-base (src/testing/bert-base.ts): 109,483,778 float32 parameters, ${formatMegabytes(bench.bytes)}, one file`;
  }
  const modelBytes = statSync(modelPath).size;
  mkdirSync(outDir, { recursive: true });

  const loadBefore = loadavg()[0]!;
  const method = usageMethod();
  const cases = childCases(modelPath);
  const samples = measureChildren([cases.copy, ...cases.conversions, cases.inspect, cases.startup], rounds, method);
  const inProcess = measureInProcess(modelPath, rounds);

  const lossless = cases.conversions.find((c) => c.name === 'convert --to none');
  const losslessBytes = lossless && samples.get(lossless)!.outputBytes;
  if (losslessBytes !== undefined && losslessBytes !== modelBytes) {
    throw new Error(`convert --to none wrote ${losslessBytes} bytes from a ${modelBytes}-byte model: not a lossless copy`);
  }

  const rows = resultRows(cases, samples, inProcess, modelBytes);
  if (!values['skip-search']) {
    process.stderr.write('timing an accuracy-guided search (takes minutes; --skip-search skips it)\n');
    rows.push(...searchRows(cliPath, modelPath, outDir, median(samples.get(cases.copy)!.wall)));
  }
  const table = formatReport(
    {
      machine: machineInfo(repoRoot),
      model: modelLabel,
      rounds,
      date: new Date().toISOString().slice(0, 10),
      usageMethod: method,
      load: { start: loadBefore, end: loadavg()[0]! },
    },
    rows,
  );
  process.stdout.write(table);
  if (values['write-docs']) {
    const doc = join(repoRoot, 'docs', 'benchmarks.md');
    replaceMarkedSection(doc, table);
    process.stderr.write(`wrote the table into ${relative(repoRoot, doc)}\n`);
  }
  return values.check && rows.some((r) => r.result === 'FAIL') ? 1 : 0;
}

process.exitCode = main();
