/**
 * docs/cli.md, generated from the yargs definitions of the commands (`buildCli` and the conversions' flags).
 * `scripts/gen-cli-docs.mjs` writes it; test/docs/cli-docs.test.ts fails when the file and this output differ.
 */
import type { Argv } from 'yargs';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { buildCli } from './commands.js';
import { EXIT_CHECK_FAILED, EXIT_ERROR, EXIT_OK } from './output.js';

export interface OptionSpec {
  name: string;
  type?: string;
  alias?: string | string[];
  array?: boolean;
  default?: unknown;
  choices?: readonly unknown[];
  describe?: string;
  demandOption?: boolean | string;
}

export interface CommandSpec {
  /** The yargs command string, e.g. `convert <models..>`; '' for the program itself. */
  command: string;
  describe: string;
  positionals: OptionSpec[];
  options: OptionSpec[];
  groups: { title: string; names: string[] }[];
  commands: CommandSpec[];
}

function emptySpec(command: string, describe: string): CommandSpec {
  return { command, describe, positionals: [], options: [], groups: [], commands: [] };
}

function optionSpec(name: string, opts: Record<string, unknown> = {}): OptionSpec {
  const { describe, description, desc, ...rest } = opts;
  const text = describe ?? description ?? desc;
  return { name, ...rest, ...(typeof text === 'string' ? { describe: text } : {}) };
}

/**
 * An Argv stand-in that records what the command definitions declare. A yargs method it does not know throws,
 * so a definition that starts using one cannot silently go missing from the reference.
 */
function recorder(spec: CommandSpec): Argv {
  const methods: Record<string, (...args: never[]) => void> = {
    scriptName: () => {},
    usage: () => {},
    demandCommand: () => {},
    strict: () => {},
    command: (command: string, describe: string, builder?: unknown) => {
      const sub = emptySpec(command, describe);
      spec.commands.push(sub);
      if (typeof builder === 'function') (builder as (yargs: Argv) => unknown)(recorder(sub));
      else if (builder !== undefined) throw new Error(`cliReference: the builder of '${command}' is not a function`);
    },
    positional: (name: string, opts?: Record<string, unknown>) => void spec.positionals.push(optionSpec(name, opts)),
    option: (name: string, opts?: Record<string, unknown>) => void spec.options.push(optionSpec(name, opts)),
    group: (names: string | string[], title: string) => void spec.groups.push({ title, names: [names].flat() }),
    help: () => void spec.options.push({ name: 'help', type: 'boolean', describe: 'Show help' }),
    version: () => void spec.options.push({ name: 'version', type: 'boolean', describe: 'Show version number' }),
  };
  const proxy: Argv = new Proxy({} as Argv, {
    get(_target, prop) {
      const method = typeof prop === 'string' ? methods[prop] : undefined;
      if (!method) throw new Error(`cliReference: yargs method '${String(prop)}' is not supported; teach src/cli/reference.ts about it`);
      return (...args: never[]) => {
        method(...args);
        return proxy;
      };
    },
  });
  return proxy;
}

/** The program's command tree as the yargs definitions declare it (for the conversions of `registry`: default the built-ins). */
export function cliSpec(registry?: ConversionRegistry): CommandSpec {
  const root = emptySpec('', '');
  buildCli(recorder(root), () => {}, registry);
  return root;
}

/** Leaf commands with their full names (`report compare`), in definition order. */
export function leafCommands(root: CommandSpec): { name: string; spec: CommandSpec; parents: CommandSpec[] }[] {
  const out: { name: string; spec: CommandSpec; parents: CommandSpec[] }[] = [];
  const walk = (spec: CommandSpec, prefix: string[], parents: CommandSpec[]) => {
    const words = [...prefix, commandWord(spec.command)];
    if (spec.commands.length === 0) out.push({ name: words.join(' '), spec, parents });
    for (const sub of spec.commands) walk(sub, words, [...parents, spec]);
  };
  for (const sub of root.commands) walk(sub, [], []);
  return out;
}

function commandWord(command: string): string {
  return command.split(/\s+/)[0]!;
}

function commandArgs(command: string): string {
  return command.split(/\s+/).slice(1).join(' ');
}

// ---- Markdown -------------------------------------------------------------------------------------------------

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function valueText(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join(',') : String(v);
}

function typeText(o: OptionSpec): string {
  const base = o.type ?? 'string';
  const type = o.array ? `${base}[]` : base;
  return o.choices ? `${type}: ${o.choices.map((c) => code(String(c))).join(', ')}` : type;
}

function flagText(o: OptionSpec): string {
  const aliases = [o.alias ?? []].flat().map((a) => code(a.length === 1 ? `-${a}` : `--${a}`));
  return [code(`--${o.name}`), ...aliases].join(', ');
}

function defaultText(o: OptionSpec): string {
  if (o.demandOption) return 'required';
  return o.default === undefined ? '' : code(valueText(o.default));
}

function optionTable(options: readonly OptionSpec[]): string[] {
  return [
    '| option | type | default | description |',
    '|---|---|---|---|',
    ...options.map((o) => `| ${flagText(o)} | ${cell(typeText(o))} | ${defaultText(o)} | ${cell(o.describe ?? '')} |`),
  ];
}

function positionalTable(command: string, positionals: readonly OptionSpec[]): string[] {
  const tokens = commandArgs(command).split(/\s+/).filter(Boolean);
  const rows = positionals.map((p) => {
    const token = tokens.find((t) => t.replace(/[<>[\]]|\.\./g, '') === p.name) ?? '';
    const required = token.startsWith('<');
    const variadic = token.includes('..');
    const how = `${required ? 'required' : 'optional'}${variadic ? `, ${required ? 'one' : 'zero'} or more` : ''}`;
    return `| ${code(p.name)} | ${typeText({ ...p, array: false })} | ${how} | ${cell(p.describe ?? '')} |`;
  });
  return ['| argument | type | | description |', '|---|---|---|---|', ...rows];
}

function usageLine(name: string, spec: CommandSpec): string {
  const required = spec.options
    .filter((o) => o.demandOption)
    .map((o) => `--${o.name} ${o.choices ? `<${o.choices.join('|')}>` : `<${o.type ?? 'string'}>`}`);
  return ['onnxpress', name, commandArgs(spec.command), ...required, '[options]'].filter(Boolean).join(' ');
}

function anchor(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

const CONVERSION_GROUP = /^Options for --to (\S+?):?$/;

function conversionSections(spec: CommandSpec, grouped: Set<string>): string[] {
  const lines: string[] = [];
  const defs = builtInConversions().list();
  lines.push('### Conversions (`--to`)', '');
  for (const def of defs) lines.push(`- ${code(def.name)}: ${def.describe}`);
  lines.push('');
  for (const group of spec.groups) {
    const to = CONVERSION_GROUP.exec(group.title)?.[1];
    lines.push(`### ${to !== undefined ? `Options for ${code(`--to ${to}`)}` : group.title.replace(/:$/, '')}`, '');
    const def = defs.find((d) => d.name === to);
    if (def) {
      lines.push(`${def.describe}.`, '');
      const shared = Object.keys(def.options).filter((n) => !group.names.includes(n));
      if (shared.length) lines.push(`Also reads ${shared.map((n) => code(`--${n}`)).join(', ')}, described above.`, '');
    }
    lines.push(...optionTable(spec.options.filter((o) => group.names.includes(o.name))), '');
    for (const n of group.names) grouped.add(n);
  }
  return lines;
}

function commandSection(name: string, spec: CommandSpec, parents: readonly CommandSpec[]): string[] {
  const lines = [`## ${name}`, '', '```', usageLine(name, spec), '```', ''];
  for (const parent of parents) lines.push(`A subcommand of ${code(commandWord(parent.command))}: ${parent.describe}.`, '');
  lines.push(`${spec.describe}.`, '');
  if (spec.positionals.length) lines.push('### Arguments', '', ...positionalTable(spec.command, spec.positionals), '');
  const grouped = new Set<string>();
  const groupLines = spec.groups.length ? conversionSections(spec, grouped) : [];
  const ungrouped = spec.options.filter((o) => !grouped.has(o.name));
  if (ungrouped.length) lines.push('### Options', '', ...optionTable(ungrouped), '');
  lines.push(...groupLines);
  if (spec.groups.some((g) => CONVERSION_GROUP.test(g.title))) {
    lines.push(
      'In a pipeline file the same options are variant keys in camelCase, e.g. `{ to: fp16, keepIoTypes: true }` ' +
        '(see [pipelines.md](pipelines.md)).',
      '',
    );
  }
  return lines;
}

const ERRORS_AND_EXIT_CODES = [
  '## Exit codes',
  '',
  '| code | meaning |',
  '|---|---|',
  `| ${EXIT_OK} | Success. For \`validate\`, \`run\` and \`report merge\`: every threshold check held; for \`report compare\`: no regression. |`,
  `| ${EXIT_CHECK_FAILED} | A check failed: \`validate\` or \`run\` measured drift, accuracy or latency past a threshold (for \`report merge\`: in an entry of the merged shards); \`report compare\` found a regression beyond its limits. |`,
  `| ${EXIT_ERROR} | An error: bad arguments, a file that cannot be read or is not a valid model, pipeline or report, a conversion or ONNX Runtime failure. \`run\` (and \`report merge\`) exits ${EXIT_ERROR} when any model or variant could not be converted or validated, even if others failed checks; \`report merge\` exits ${EXIT_ERROR} for reports that are not all the shards of one pipeline. |`,
  '| 130, 143 | `convert` was interrupted by Ctrl-C (SIGINT, 130) or SIGTERM (143): it printed `onnxpress: interrupted` and removed the partial output file it was writing. |',
  '',
  '## Output and errors',
  '',
  '- Results go to stdout: text for a terminal, or JSON with `--json` (then nothing else is printed on stdout).',
  '- Progress bars go to stderr, and only when stderr is a terminal.',
  '- An error is **one line on stderr**, `onnxpress: <file>: <what is wrong>` (no `<file>: ` part when no file is',
  '  involved, as for a usage error); a pipeline file with several problems gives one such line per problem.',
  '  Control characters (from names inside a model file) are written as `\\xNN`, so a problem never spans lines.',
  '  Flags are named as you type them, with the one you probably meant. For example:',
  '',
  '  ```',
  '  onnxpress: nosuch.onnx: cannot open: no such file',
  '  onnxpress: two inputs are named model.onnx; they would write the same file in out',
  '  onnxpress: unknown flag --keep-io-type (did you mean --keep-io-types?)',
  '  onnxpress: --per-channel is an option of --to int8, not of --to fp16 (--to fp16 takes --keep-io-types, …)',
  '  onnxpress: pipelines/models.yaml:14: variants.int8-pc.perChanel: unknown key (did you mean perChannel?)',
  '  onnxpress: pipelines/models.yaml:22: validate.thresholds.int8.cosine: threshold "cosine=high" has no numeric value',
  '  ```',
  '',
  '- An unexpected failure (a bug) prints `onnxpress: internal error: <message>` and the line',
  '  `(run with --verbose for the stack trace)`. With `--verbose`, every error is followed by its stack trace.',
];

/** The whole of docs/cli.md. */
export function cliReference(): string {
  const root = cliSpec();
  const leaves = leafCommands(root);
  const lines = [
    '# CLI reference',
    '',
    '<!-- Generated from the yargs definitions by scripts/gen-cli-docs.mjs (src/cli/reference.ts); do not edit.',
    '     test/docs/cli-docs.test.ts fails when this file is out of date. -->',
    '',
    '```',
    'onnxpress <command> [options]',
    '```',
    '',
    'Run it as `npx onnxpress` (in this repository also `node dist/cli/main.js`, after `npm install`).',
    'A walk-through with real output: [getting-started.md](getting-started.md).',
    '',
    '| command | what it does |',
    '|---|---|',
    ...leaves.map(({ name, spec }) => `| [${code(name)}](#${anchor(name)}) | ${cell(spec.describe)} |`),
    '',
    '## Global options',
    '',
    'Every command takes these.',
    '',
    ...optionTable(root.options),
    '',
    'Boolean flags can be turned off with `--no-<flag>` (e.g. `--no-default-block-list`). Options of type `string[]`',
    'take several values: repeat the flag, or list values after it.',
    '',
    ...ERRORS_AND_EXIT_CODES,
    '',
  ];
  for (const { name, spec, parents } of leaves) lines.push(...commandSection(name, spec, parents));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
