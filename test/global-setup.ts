/**
 * Vitest global setup: tests that run the CLI as a child process need an
 * up-to-date `dist/`. Compiles once, before any test file, when some source
 * file is newer than its compiled output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(p);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield p;
  }
}

function distIsStale(): boolean {
  const src = path.join(repoRoot, 'src');
  for (const file of sourceFiles(src)) {
    const out = path.join(repoRoot, 'dist', path.relative(src, file).replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) return true;
  }
  return false;
}

export default function setup(): void {
  if (!distIsStale()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, stdio: 'pipe' });
  } catch (e) {
    // Type errors still emit JavaScript; only a build that produced no CLI is fatal.
    if (!existsSync(path.join(repoRoot, 'dist/cli/main.js'))) throw e;
  }
}
