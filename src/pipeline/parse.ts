/**
 * Reading a pipeline file (YAML, or JSON, which the YAML parser reads too) into a tree whose every node
 * knows its line, so that later checks can say `file:line: key.path: what is wrong`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export type Scalar = string | number | boolean | null;

export type Located =
  | { kind: 'map'; line: number; entries: LocatedEntry[] }
  | { kind: 'list'; line: number; items: Located[] }
  | { kind: 'scalar'; line: number; value: Scalar };

export interface LocatedEntry {
  key: string;
  /** The line of the key (where "unknown key" errors point). */
  line: number;
  value: Located;
}

/** A problem in a pipeline file, at a line and a key path such as `variants.int8.perChannel`. */
export interface Issue {
  line: number;
  path: string;
  message: string;
}

export interface ParsedSource {
  root: Located;
  issues: Issue[];
}

const MAX_ALIAS_DEPTH = 50;

/** Parses YAML or JSON text. Syntax errors come back as issues (with an empty map as the root). */
export function parsePipelineText(text: string): ParsedSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined): number => Math.max(1, offset === undefined ? 1 : lines.linePos(offset).line);
  const issues: Issue[] = doc.errors.map((e) => ({ line: lineOf(e.pos[0]), path: '', message: syntaxMessage(e.code, e.message) }));
  if (issues.length > 0) return { root: { kind: 'map', line: 1, entries: [] }, issues };

  const convert = (node: unknown, fallbackLine: number, depth: number): Located => {
    if (isAlias(node)) {
      const target = depth < MAX_ALIAS_DEPTH ? node.resolve(doc) : undefined;
      if (!target) {
        const line = lineOf(node.range?.[0]);
        issues.push({ line, path: '', message: `alias *${node.source} names no anchor` });
        return { kind: 'scalar', line, value: null };
      }
      return convert(target, lineOf(node.range?.[0]), depth + 1);
    }
    if (isMap(node)) {
      const entries: LocatedEntry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const line = lineOf(keyNode?.range?.[0] ?? node.range?.[0]);
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
          issues.push({ line, path: '', message: 'a key must be a plain string' });
          continue;
        }
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- null and objects are turned away above: a string, number, boolean or bigint is left
        entries.push({ key: String(keyNode.value), line, value: convert(pair.value, line, depth) });
      }
      return { kind: 'map', line: lineOf(node.range?.[0]), entries };
    }
    if (isSeq(node)) {
      const line = lineOf(node.range?.[0]);
      return { kind: 'list', line, items: node.items.map((item) => convert(item, line, depth)) };
    }
    if (isScalar(node)) {
      const line = node.range ? lineOf(node.range[0]) : fallbackLine;
      const v = node.value;
      if (v === null || v === undefined) return { kind: 'scalar', line, value: null };
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', line, value: v };
      if (typeof v === 'bigint') return { kind: 'scalar', line, value: Number(v) };
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a value of a YAML tag (a Date, bytes) as its own toString prints it
      issues.push({ line, path: '', message: `unsupported value ${String(v)}` });
      return { kind: 'scalar', line, value: null };
    }
    return { kind: 'scalar', line: fallbackLine, value: null };
  };

  const root = convert(doc.contents, 1, 0);
  return { root, issues };
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping';
  return `syntax error: ${message.split('\n')[0]}`;
}

/** The plain JavaScript value of a tree. */
export function toPlain(node: Located): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'list') return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  // defineProperty, so that a key named __proto__ stays a key.
  for (const entry of node.entries)
    Object.defineProperty(out, entry.key, { value: toPlain(entry.value), enumerable: true, writable: true, configurable: true });
  return out;
}

export function entryOf(node: Located, key: string): LocatedEntry | undefined {
  return node.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}
