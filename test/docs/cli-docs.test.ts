/** docs/cli.md is generated from the yargs definitions: it must equal the generator's output, and the generator must see what yargs sees. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/commands.js';
import { cliReference, cliSpec, leafCommands, type CommandSpec, type OptionSpec } from '../../src/cli/reference.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const DOC = path.join(REPO_ROOT, 'docs/cli.md');

/** The help text yargs itself prints for a command (unwrapped), without exiting. */
function yargsHelp(words: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    void buildCli(yargs(), () => {})
      .exitProcess(false)
      .wrap(null)
      .parse([...words, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)));
  });
}

/** Flag lines of a yargs help text by flag name, e.g. `--to` -> `Conversion to apply  [string] [required] ...`. */
function helpOptions(help: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const line of help.split('\n')) {
    const match = /^\s+(?:-\w, )?--([\w-]+)\s{2,}(.*)$/.exec(line);
    if (match) flags.set(match[1]!, match[2]!);
  }
  return flags;
}

function helpPositionals(help: string): Map<string, string> {
  const section = /\nPositionals:\n((?:\s+\S.*\n?)+)/.exec(help)?.[1] ?? '';
  return new Map([...section.matchAll(/^\s+(\w+)\s{2,}(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** What yargs shows in brackets after an option's description. */
function expectedTags(o: OptionSpec): string[] {
  const tags = [o.array ? '[array]' : `[${o.type}]`];
  if (o.demandOption) tags.push('[required]');
  if (o.choices) tags.push(`[choices: ${o.choices.map((c) => JSON.stringify(c)).join(', ')}]`);
  if (o.default !== undefined) tags.push(`[default: ${JSON.stringify(o.default)}]`);
  return tags;
}

const root = cliSpec();

describe('docs/cli.md', () => {
  it('is what scripts/gen-cli-docs.mjs generates from the current yargs definitions', () => {
    const current = readFileSync(DOC, 'utf8');
    expect(current, 'docs/cli.md is out of date: run `npm run docs:cli` (npm run build && node scripts/gen-cli-docs.mjs)').toBe(cliReference());
  });

  it('documents every command, with a section each', () => {
    const doc = readFileSync(DOC, 'utf8');
    const names = leafCommands(root).map((c) => c.name);
    expect(names).toEqual(['inspect', 'convert', 'run', 'validate', 'diagnose', 'variants', 'report compare', 'report merge']);
    for (const name of names) expect(doc).toContain(`\n## ${name}\n`);
    expect(doc).toContain('## Exit codes');
  });

  it('groups the per-conversion flags of convert under --to fp16 and --to int8', () => {
    const doc = readFileSync(DOC, 'utf8');
    const fp16 = doc.indexOf('### Options for `--to fp16`');
    const int8 = doc.indexOf('### Options for `--to int8`');
    expect(fp16).toBeGreaterThan(doc.indexOf('## convert'));
    expect(int8).toBeGreaterThan(fp16);
    expect(doc.slice(fp16, int8)).toContain('`--keep-io-types`');
    expect(doc.slice(int8)).toContain('`--per-channel`');
  });
});

describe('the reference sees what yargs sees', () => {
  const paths: { words: string[]; spec: CommandSpec; inherited: OptionSpec[] }[] = [{ words: [], spec: root, inherited: [] }];
  const walk = (spec: CommandSpec, words: string[], inherited: OptionSpec[]) => {
    for (const sub of spec.commands) {
      const subWords = [...words, sub.command.split(' ')[0]!];
      paths.push({ words: subWords, spec: sub, inherited });
      walk(sub, subWords, inherited);
    }
  };
  walk(root, [], root.options);

  it.each(paths.map((p) => [p.words.join(' ') || '(program)', p] as const))('%s', async (_name, { words, spec, inherited }) => {
    const help = await yargsHelp(words);
    const shown = helpOptions(help);
    const options = [...inherited, ...spec.options];
    expect([...shown.keys()].sort()).toEqual(options.map((o) => o.name).sort());
    for (const o of options) {
      const line = shown.get(o.name)!;
      if (o.describe) expect(line).toContain(o.describe);
      for (const tag of expectedTags(o)) expect(line, `--${o.name}`).toContain(tag);
    }
    const positionals = helpPositionals(help);
    expect([...positionals.keys()]).toEqual(spec.positionals.map((p) => p.name));
    for (const p of spec.positionals) expect(positionals.get(p.name)).toContain(p.describe ?? '');
    for (const sub of spec.commands) expect(help).toContain(`onnxpress ${[...words, sub.command].join(' ')}`);
  });
});
