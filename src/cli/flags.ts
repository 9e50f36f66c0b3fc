/**
 * Command-line words as the user typed them: which flags a command line gives, the error for a flag that belongs
 * to another conversion than `--to`'s, and yargs' "Unknown arguments" turned into a message that names flags as
 * they are spelled (`--keep-io-types`, never yargs' camelCase copies) with a did-you-mean.
 */
import { usageError, type OnnxpressError } from '../errors.js';
import { suggest } from '../pipeline/schema.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { OPSET_FLAG } from '../conversions/upgrade.js';
import { SEARCH_FLAGS } from './convert-search.js';
import { cliSpec, type CommandSpec } from './reference.js';

/** `keepIoTypes` -> `keep-io-types`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The words before `--`: after it everything is a positional argument. */
function optionWords(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** The long flags a command line gives, in kebab-case (`--no-x` gives `x`), in order, once each. */
export function givenFlags(argv: readonly string[]): string[] {
  const flags = new Set<string>();
  for (const word of optionWords(argv)) {
    const match = /^--([^=]+)/.exec(word);
    if (!match) continue;
    const name = kebabCase(match[1]!);
    flags.add(name.startsWith('no-') ? name.slice(3) : name);
  }
  return [...flags];
}

/**
 * Refuses a flag of another conversion than the one `--to` names (`--to fp16 --per-channel`): yargs accepts
 * every conversion's flags, because which ones apply depends on `--to`.
 */
export function checkConversionFlags(to: string, registry: ConversionRegistry, argv: readonly string[]): void {
  const chosen = registry.get(to);
  for (const flag of givenFlags(argv)) {
    // --opset: an upgrade before any conversion; the search's flags apply to every conversion.
    if (Object.hasOwn(chosen.options, flag) || flag === OPSET_FLAG || SEARCH_FLAGS.includes(flag)) continue;
    const owners = registry.list().filter((def) => Object.hasOwn(def.options, flag));
    if (owners.length === 0) continue;
    const which = owners.map((def) => `--to ${def.name}`).join(' and ');
    throw usageError(`--${flag} is an option of ${which}, not of --to ${to}`, {
      hint: Object.keys(chosen.options).length
        ? `--to ${to} takes ${Object.keys(chosen.options)
            .map((n) => `--${n}`)
            .join(', ')}`
        : `--to ${to} takes no options`,
    });
  }
}

/** The command a command line runs (`report compare`), and the flags it knows: its own and the global ones. */
function commandOf(root: CommandSpec, words: readonly string[]): { path: string[]; spec: CommandSpec; flags: string[]; aliases: string[] } {
  let spec = root;
  const path: string[] = [];
  const flags = root.options.map((o) => o.name);
  for (const word of words) {
    if (word.startsWith('-')) continue;
    const sub = spec.commands.find((c) => c.command.split(/\s+/)[0] === word);
    if (!sub) break;
    spec = sub;
    path.push(word);
    flags.push(...sub.options.map((o) => o.name));
  }
  const aliases = [root, spec].flatMap((s) => s.options.flatMap((o) => [o.alias ?? []].flat()));
  return { path, spec, flags: [...new Set(flags)], aliases };
}

/** The candidate a word is probably a typo or an abbreviation of. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  return suggest(word, candidates) ?? candidates.find((c) => word.length >= 2 && c.startsWith(word));
}

/**
 * yargs' "Unknown arguments: keep-io-type, keepIoType" as our message: each unknown flag once, as typed, with the
 * flag it is probably a typo of; an unknown command with the command it is probably a typo of.
 */
export function unknownArgumentsError(unknown: readonly string[], argv: readonly string[], registry?: ConversionRegistry): OnnxpressError {
  const command = commandOf(cliSpec(registry), optionWords(argv));
  const words = optionWords(argv);
  const nameOf = (word: string) => /^--?([^=]+)/.exec(word)?.[1];
  const typed = (name: string): string | undefined =>
    words.find((w) => {
      const flag = nameOf(w);
      return flag !== undefined && (flag === name || kebabCase(flag) === kebabCase(name) || flag === `no-${kebabCase(name)}`);
    });
  const problems: string[] = [];
  const seen = new Set<string>();
  let unsure = false;
  for (const name of unknown) {
    const word = typed(name);
    const key = word !== undefined ? kebabCase(nameOf(word)!) : name;
    if (seen.has(key)) continue;
    seen.add(key);
    if (word !== undefined) {
      const flag = word.replace(/=.*$/, '');
      const negated = flag.startsWith('--no-') ? 'no-' : '';
      const hint = closest(kebabCase(flag.replace(/^--?(no-)?/, '')), command.flags);
      unsure ||= hint === undefined;
      problems.push(`unknown flag ${flag}${hint ? ` (did you mean --${negated}${hint}?)` : ''}`);
      continue;
    }
    if (command.spec.commands.length > 0) {
      // A word where a command goes: a misspelt command (the words after it are not worth listing).
      const names = command.spec.commands.map((c) => c.command.split(/\s+/)[0]!);
      const hint = closest(name, names);
      const where = command.path.map((w) => `${w} `).join('');
      problems.push(`unknown command '${where}${name}'${hint ? ` (did you mean ${where}${hint}?)` : ` (commands: ${names.join(', ')})`}`);
      break;
    }
    unsure = true;
    problems.push(`unexpected argument '${name}'`);
  }
  const help = ['onnxpress', ...command.path, '--help'].join(' ');
  return usageError(problems.join('; '), unsure ? { hint: `${help} lists what it takes` } : {});
}

/** yargs' "Not enough non-option arguments" as the usage the command wants. */
function missingPositionalError(message: string, argv: readonly string[], registry?: ConversionRegistry): OnnxpressError | undefined {
  if (!/^Not enough non-option arguments/.test(message)) return undefined;
  const command = commandOf(cliSpec(registry), optionWords(argv));
  if (command.path.length === 0) return undefined;
  const usage = ['onnxpress', ...command.path.slice(0, -1), command.spec.command].join(' ');
  return usageError(`missing arguments: the usage is ${usage} [options]`);
}

/** yargs' "Invalid values: Argument: to, Given: "fp17", Choices: ..." as `--to fp17: expected one of ...`. */
export function invalidValuesError(message: string): OnnxpressError | undefined {
  const items = [...message.matchAll(/Argument: ([^,]+), Given: (.+?), Choices: (.+?)(?=\s*Argument:|$)/gs)];
  if (items.length === 0) return undefined;
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [, name, given, choices] of items) {
    const flag = kebabCase(name!.trim());
    if (seen.has(flag)) continue;
    seen.add(flag);
    const values = [...choices!.matchAll(/"((?:[^"\\]|\\.)*)"|([^,\s]+)/g)].map((m) => m[1] ?? m[2]!);
    const givenValues = [...given!.matchAll(/"((?:[^"\\]|\\.)*)"|([^,\s]+)/g)].map((m) => m[1] ?? m[2]!);
    const bad = givenValues.find((v) => !values.includes(v)) ?? givenValues[0] ?? '';
    const hint = suggest(bad, values);
    problems.push(`--${flag} ${bad}: expected one of ${values.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  return usageError(problems.join('; '));
}

/** yargs' "Missing required argument(s): to, candidate" as `missing --to, --candidate`. */
export function missingArgumentsError(message: string): OnnxpressError | undefined {
  const match = /^Missing required arguments?: (.+)$/s.exec(message.trim());
  if (!match) return undefined;
  const names = [...new Set(match[1]!.split(/\s*,\s*/).map((n) => kebabCase(n.trim())))];
  return usageError(`missing ${names.map((n) => `--${n}`).join(', ')}`);
}

/** What a yargs failure message says, in our words where we know the message, else as yargs put it (on one line). */
export function yargsUsageError(message: string, argv: readonly string[], registry?: ConversionRegistry): OnnxpressError {
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message.trim());
  if (unknown) return unknownArgumentsError(unknown[1]!.split(', '), argv, registry);
  return (
    invalidValuesError(message) ??
    missingArgumentsError(message) ??
    missingPositionalError(message, argv, registry) ??
    // yargs spreads some messages over several lines; ours are one.
    usageError(message.replace(/\s*\n\s*/g, ' '))
  );
}
