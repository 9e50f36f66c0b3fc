/** The layering docs/architecture.md promises, checked on the import statements of src/. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/corpus.js';

const SRC = path.join(REPO_ROOT, 'src');

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.name.endsWith('.ts')) yield p;
  }
}

/** Every file of src/ (path relative to src/) with what it imports: relative imports resolved to src/ paths, packages by name. */
const IMPORTS: [string, string[]][] = [...files(SRC)].map((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g,
    ),
  ].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4])!);
  const resolved = specs.map((s) => (s.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), s)).replace(/\.js$/, '.ts') : s));
  return [path.relative(SRC, file), resolved];
});

function importersOf(target: (spec: string) => boolean, scope: (file: string) => boolean): string[] {
  return IMPORTS.filter(([file]) => scope(file)).flatMap(([file, specs]) => specs.filter(target).map((s) => `${file} -> ${s}`));
}

const under =
  (...dirs: string[]) =>
  (p: string) =>
    dirs.some((d) => p.startsWith(`${d}/`));

describe('layers', () => {
  it('the scan sees imports (a check that reads nothing would pass anything)', () => {
    const convert = IMPORTS.find(([f]) => f === 'convert.ts')?.[1] ?? [];
    expect(convert).toContain('passes/manager.ts');
    expect(IMPORTS.length).toBeGreaterThan(100);
  });

  it('the IR knows nothing of protobuf, files, runtimes or passes', () => {
    expect(importersOf(under('proto', 'io', 'passes', 'runtime', 'validate', 'pipeline', 'report', 'cli', 'conversions'), under('ir'))).toEqual([]);
  });

  it('passes depend on the IR and pure helpers only: no validate/, io/, runtime/, cli/, pipeline/, report/, proto/, node:', () => {
    const forbidden = (s: string) =>
      under('validate', 'io', 'runtime', 'cli', 'pipeline', 'report', 'proto', 'conversions')(s) ||
      s.startsWith('node:') ||
      (!s.includes('/') && !s.endsWith('.ts'));
    expect(importersOf(forbidden, under('passes'))).toEqual([]);
  });

  it('protobuf code is imported only by the I/O layer (benchmarks aside)', () => {
    expect(importersOf(under('proto'), (f) => !under('proto', 'io', 'bench')(f))).toEqual([]);
  });

  it('ONNX Runtime sessions are created in two modules only, the session worker and its browser twin (benchmarks aside)', () => {
    const creators = [...files(SRC)]
      .map((f) => path.relative(SRC, f))
      .filter((f) => !f.startsWith('bench/') && /InferenceSession\s*\.\s*create\s*\(/.test(readFileSync(path.join(SRC, f), 'utf8')));
    // session-worker.ts: onnxruntime-node or onnxruntime-web in a child process; browser/page-worker.ts: onnxruntime-web in a page.
    expect(creators.sort()).toEqual(['runtime/browser/page-worker.ts', 'runtime/session-worker.ts']);
  });

  it('onnxruntime-node is loaded only by the runtime layer (benchmarks aside)', () => {
    expect(
      importersOf(
        (s) => s === 'onnxruntime-node',
        (f) => !under('runtime', 'bench')(f),
      ),
    ).toEqual([]);
  });

  it('onnxruntime-web and the browser driver are loaded only by the runtime layer', () => {
    expect(
      importersOf(
        (s) => s === 'onnxruntime-web' || s === 'playwright-core' || s.startsWith('playwright-core/'),
        (f) => !under('runtime')(f),
      ),
    ).toEqual([]);
  });

  it('validation chooses its runners through the one factory, not by constructing them', () => {
    const validateFiles = IMPORTS.filter(([f]) => under('validate')(f)).map(([f]) => f);
    const constructing = validateFiles.filter((f) =>
      /new\s+(SessionProcess|BrowserSession|BrowserHost)\b/.test(readFileSync(path.join(SRC, f), 'utf8')),
    );
    expect(constructing).toEqual([]);
  });
});
