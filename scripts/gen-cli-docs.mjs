#!/usr/bin/env node
/**
 * Writes docs/cli.md from the yargs definitions of the CLI (the generator is src/cli/reference.ts; run
 * `npm run build` first so dist/ is current). `--check` compares instead of writing and exits 1 on a difference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliReference } from '../dist/cli/reference.js';

const target = fileURLToPath(new URL('../docs/cli.md', import.meta.url));
const text = cliReference();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file differs
  }
  if (current !== text) {
    process.stderr.write('docs/cli.md is out of date: run `npm run docs:cli`\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote docs/cli.md (${text.split('\n').length - 1} lines)\n`);
}
