/**
 * Every ```js example of docs/api.md runs against the built package (`import ... from 'onnxpress'`, dist/), and what
 * it prints is checked:
 *  - against the page: a `console.log(...)` followed by a `// comment` must print that text (`...` stands for any
 *    text); one without a trailing comment is followed by the comment lines right below it, one per printed line,
 *    in order (a loop may print more lines than the page shows). Printed line breaks count as spaces.
 *  - against facts from elsewhere (INDEPENDENT below): the fixtures as onnx-proto decodes them, their meta.json
 *    (written by the corpus's exporter), the corpus README's figures measured with onnxruntime's own tools, the files
 *    an example wrote, and arithmetic done here. Each names the statement it checks, which must be on the page.
 */
import { execa } from 'execa';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/corpus.js';
import { cosine, maxAbsDiff, top1Accuracy } from '../helpers/metrics.js';
import { DataTypes, decodeModel, elementCount, type GraphMsg } from '../helpers/onnx-proto.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');

/** Each example with the heading of the section it is in. */
const examples: [string, string][] = [];
let heading = '(top)';
for (const part of doc.split(/^```js\n([\s\S]*?)^```$/m).map((text, i) => ({ text, code: i % 2 === 1 }))) {
  if (part.code) examples.push([`${heading} #${examples.filter(([h]) => h.startsWith(heading)).length + 1}`, part.text]);
  else heading = [...part.text.matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? heading;
}

interface LogStatement {
  /** 0-based line in the example. */
  line: number;
  text: string;
  /** What the page says it prints, one entry per printed line. */
  expected: string[];
}

/** The console.log statements of an example and the output the page gives for each. */
function logStatements(code: string): LogStatement[] {
  const lines = code.split('\n');
  const out: LogStatement[] = [];
  lines.forEach((text, line) => {
    if (!text.includes('console.log(')) return;
    const trailing = /\);\s*\/\/ ?(.*)$/.exec(text);
    const expected: string[] = [];
    if (trailing) expected.push(trailing[1]!.trim());
    else for (let k = line + 1; k < lines.length && /^\s*\/\/ /.test(lines[k]!); k++) expected.push(lines[k]!.replace(/^\s*\/\/ /, '').trim());
    out.push({ line, text, expected });
  });
  return out;
}

/** A page's expected text as a pattern: `...` is any text (with the space before it, possibly none). */
function pattern(expected: string): RegExp {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const body = expected
    .split(/( ?\.\.\.)/)
    .map((part) => (part === ' ...' ? '(?:\\s.*)?' : part === '...' ? '.*' : escape(part)))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** Runs an example with console.log tagged by line (private-use characters around each print); returns what each line printed, in order. */
async function run(code: string): Promise<{ exitCode: number; stderr: string; printed: Map<number, string[]> }> {
  const tagged = code
    .split('\n')
    .map((text, line) => text.replaceAll('console.log(', `__log(${line}, `))
    .join('\n');
  const prelude =
    "import { format as __format } from 'node:util';\n" +
    "const __log = (line, ...args) => process.stdout.write('\\uE000' + line + '\\uE001' + __format(...args) + '\\uE002');\n";
  // The package imports itself by name from the repository root (package.json "exports"), as a user's code would.
  const result = await execa(process.execPath, ['--input-type=module', '-e', prelude + tagged], { cwd: REPO_ROOT, reject: false, stdin: 'ignore' });
  const printed = new Map<number, string[]>();
  for (const [, line, text] of String(result.stdout).matchAll(/\uE000(\d+)\uE001([\s\S]*?)\uE002/g)) {
    const list = printed.get(Number(line)) ?? [];
    list.push(text!.replace(/\s*\n\s*/g, ' '));
    printed.set(Number(line), list);
  }
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr), printed };
}

// ---------------------------------------------------------------------------------------------
// Facts from outside onnxpress.

const fixture = (name: string, file: string): string => path.join(REPO_ROOT, 'fixtures', name, file);
const graphOf = (name: string): GraphMsg => decodeModel(readFileSync(fixture(name, 'model.onnx'))).graph!;

interface Meta {
  ir_version: number;
  ops: Record<string, number>;
  bytes: number;
  inputs: Record<string, [string, (string | number)[]]>;
  outputs: Record<string, [string, (string | number)[]]>;
  fp32_metric?: number;
}
const meta = (name: string): Meta => JSON.parse(readFileSync(fixture(name, 'meta.json'), 'utf8')) as Meta;

// From the corpus README (shared/README.md), measured with onnxruntime's quantize_dynamic and onnxruntime-node 1.30:
// char_gpt int8 cosine to float32 on test_data_set_0, and its next-byte accuracy.
const README_CHAR_GPT_INT8 = { cosine: '0.999835', metric: 0.6975 };

/** float32 -> float16 (round to nearest even) -> float32, by arithmetic on the value, for normal-range numbers. */
function viaFloat16(x: number): number {
  const f = Math.fround(x);
  if (Math.abs(f) >= 65520) return f > 0 ? Infinity : -Infinity; // past the largest float16 and half its last step
  const step = 2 ** (Math.floor(Math.log2(Math.abs(f))) - 10);
  const q = f / step;
  const rounded = Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : Math.round(q);
  return rounded * step;
}

interface Independent {
  /** Text of the console.log line on the page that this checks. */
  statement: string;
  /** What it must print, or checks on what it printed (the text, split at spaces). */
  expect: string | ((printed: string, words: string[]) => void);
}

const digits = meta('digits_cnn');
const charGpt = meta('char_gpt');
const typeName = (onnxType: string): string => /^tensor\((.+)\)$/.exec(onnxType)![1]!;

const INDEPENDENT: Independent[] = [
  {
    statement: 'console.log(summary.irVersion, summary.nodeCount, summary.parameters.count)',
    expect: `${digits.ir_version} ${Object.values(digits.ops).reduce((a, b) => a + b, 0)} ${graphOf('digits_cnn').initializer.reduce((n, t) => n + elementCount(t), 0)}`,
  },
  {
    statement: 'console.log(input.name, formatType(input.type))',
    expect: (() => {
      const [name, [type, dims]] = Object.entries(digits.inputs)[0]!;
      return `${name} ${typeName(type)}[${dims.join(', ')}]`;
    })(),
  },
  {
    statement: 'console.log(bias.dims, bias.toTypedArray().length)',
    expect: (() => {
      const bias = graphOf('digits_cnn').initializer.find((t) => t.name === 'fc2.bias')!;
      return `[ ${bias.dims.map(String).join(', ')} ] ${elementCount(bias)}`;
    })(),
  },
  {
    statement: 'console.log(saveModel(tiny, file))',
    expect: (printed) => {
      // The file the example wrote: its size as printed, and the model the example built.
      const [, file, bytes] = /^\{ path: '(.+)', bytes: (\d+) \}$/.exec(printed)!;
      expect(statSync(file!).size).toBe(Number(bytes));
      const saved = decodeModel(readFileSync(file!));
      expect(saved.graph!.node.map((n) => [n.opType, n.input, n.output])).toEqual([
        ['Add', ['x', 'b'], ['sum']],
        ['Relu', ['sum'], ['y']],
      ]);
      const b = saved.graph!.initializer[0]!;
      expect(Array.from(new Float32Array(new Uint8Array(b.rawData).buffer))).toEqual([1, -2, 3]);
    },
  },
  {
    statement: 'console.log(float16ToFloat32(float32ToFloat16(new Float32Array([0.1, 70000]))))',
    expect: `Float32Array(2) [ ${viaFloat16(0.1)}, ${viaFloat16(70000)} ]`,
  },
  {
    statement: 'console.log(summary.converted.initializers, summary.kept.io, summary.inserted.casts)',
    expect: (() => {
      // keepIoTypes: every float32 initializer converted; the float32 inputs and outputs kept, one Cast each.
      const floatInitializers = graphOf('char_gpt').initializer.filter((t) => t.dataType === DataTypes.FLOAT).length;
      const io = [...Object.entries(charGpt.inputs), ...Object.entries(charGpt.outputs)]
        .filter(([, [type]]) => type === 'tensor(float)')
        .map(([n]) => n);
      return `${floatInitializers} [ ${io.map((n) => `'${n}'`).join(', ')} ] ${io.length}`;
    })(),
  },
  {
    statement: 'console.log(int8.summary.counts, int8.summary.bytesSaved)',
    expect: (printed) => {
      // Weights that onnxruntime's quantize_dynamic takes: MatMul's second input and Gather's first, when constant.
      const graph = graphOf('char_gpt');
      const constants = new Map(graph.initializer.map((t) => [t.name, t]));
      const weights = { Gather: [] as number[], MatMul: [] as number[] };
      for (const n of graph.node) {
        if (n.opType === 'Gather' && constants.has(n.input[0]!)) weights.Gather.push(elementCount(constants.get(n.input[0]!)!));
        if (n.opType === 'MatMul' && constants.has(n.input[1]!)) weights.MatMul.push(elementCount(constants.get(n.input[1]!)!));
      }
      const [, counts, saved] = /^(\{.*\}) (\d+)$/.exec(printed)!;
      expect(counts).toBe(`{ Gather: ${weights.Gather.length}, MatMul: ${weights.MatMul.length} }`);
      // 3 of every 4 bytes, less the scales and zero points (per channel: under 1%).
      const threeQuarters = 3 * [...weights.Gather, ...weights.MatMul].reduce((a, b) => a + b, 0);
      expect(Number(saved)).toBeLessThan(threeQuarters);
      expect(Number(saved)).toBeGreaterThan(0.99 * threeQuarters);
    },
  },
  {
    statement: 'console.log(r.inputBytes, r.save.bytes, r.summary.kind)',
    expect: (_printed, [inputBytes, outputBytes, kind]) => {
      expect(Number(inputBytes)).toBe(statSync(fixture('digits_cnn', 'model.onnx')).size);
      expect(Number(inputBytes)).toBe(digits.bytes);
      expect(Number(outputBytes)).toBeLessThan(0.3 * digits.bytes); // int8 weights: about a quarter
      expect(kind).toBe('int8');
    },
  },
  {
    statement: 'console.log(result.kind, logits.name, logits.metrics.cosine.toFixed(6), logits.metrics.top1)',
    expect: (_printed, [kind, name, cos]) => {
      expect([kind, name]).toEqual(['int8', Object.keys(charGpt.outputs)[0]]);
      // onnxpress's int8 is bit-exact with onnxruntime's quantize_dynamic: the same cosine as the README measured.
      expect(cos).toBe(README_CHAR_GPT_INT8.cosine);
    },
  },
  {
    statement: 'console.log(result.accuracy.baseline.accuracy, result.accuracy.candidate.accuracy)',
    expect: (_printed, [baseline, candidate]) => {
      expect(Number(baseline)).toBe(charGpt.fp32_metric);
      // 4 decimals in the README, and one of 4096 labelled bytes of slack (int8 kernels differ between CPUs).
      expect(Math.abs(Number(candidate) - README_CHAR_GPT_INT8.metric)).toBeLessThanOrEqual(5e-5 + 1 / 4096);
    },
  },
  {
    statement: 'console.log(m.maxAbs, m.top1, m.cosine.toFixed(4))',
    expect: (() => {
      // The example's two rows of three classes, measured here with plain loops.
      const b = [1, 2, 3, 3, 2, 1];
      const c = [1, 2, 3, 1, 2, 3];
      const argmax = (row: number[]): number => row.indexOf(Math.max(...row));
      const agree = [0, 1].filter((r) => argmax(b.slice(3 * r, 3 * r + 3)) === argmax(c.slice(3 * r, 3 * r + 3))).length / 2;
      return `${maxAbsDiff(b, c)} ${agree} ${cosine(b, c).toFixed(4)}`;
    })(),
  },
  {
    statement: 'console.log(accuracy(c, [2, 3], [2, 0]).accuracy)',
    expect: String(top1Accuracy([1, 2, 3, 1, 2, 3], 3, [2, 0])),
  },
];

// ---------------------------------------------------------------------------------------------

describe('docs/api.md examples', () => {
  it('has one per group', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it('says what most of its console.log statements print', () => {
    const statements = examples.flatMap(([, code]) => logStatements(code));
    expect(statements.filter((s) => s.expected.length > 0).length).toBeGreaterThanOrEqual(0.75 * statements.length);
  });

  it('has every statement that a fact below checks, once', () => {
    for (const { statement } of INDEPENDENT) {
      const found = examples.flatMap(([, code]) => logStatements(code)).filter((s) => s.text.includes(statement));
      expect(found.length, statement).toBe(1);
    }
  });

  it('states, for each fact below that gives the printed text, that text', () => {
    for (const { statement, expect: expected } of INDEPENDENT) {
      if (typeof expected !== 'string') continue;
      const s = examples.flatMap(([, code]) => logStatements(code)).find((x) => x.text.includes(statement));
      expect(s?.expected[0], statement).toMatch(/./);
      expect(expected, statement).toMatch(pattern(s!.expected[0]!));
    }
  });

  it.each(examples)('%s', async (_name, code) => {
    const { exitCode, stderr, printed } = await run(code);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    for (const s of logStatements(code)) {
      const lines = printed.get(s.line) ?? [];
      expect(lines.length, `${s.text.trim()} printed ${lines.length} line(s)`).toBeGreaterThanOrEqual(s.expected.length);
      s.expected.forEach((text, k) => expect(lines[k], s.text.trim()).toMatch(pattern(text)));
      for (const fact of INDEPENDENT.filter((f) => s.text.includes(f.statement))) {
        const first = lines[0]!;
        if (typeof fact.expect === 'string') expect(first, fact.statement).toBe(fact.expect);
        else fact.expect(first, first.split(' '));
      }
    }
  });
});
