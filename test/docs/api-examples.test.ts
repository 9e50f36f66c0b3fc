/** Every ```js example of docs/api.md runs against the built package (`import ... from 'onnxpress'`, dist/). */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/corpus.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');

/** Each example with the heading of the section it is in. */
const examples: [string, string][] = [];
let heading = '(top)';
for (const part of doc.split(/^```js\n([\s\S]*?)^```$/m).map((text, i) => ({ text, code: i % 2 === 1 }))) {
  if (part.code) examples.push([`${heading} #${examples.filter(([h]) => h.startsWith(heading)).length + 1}`, part.text]);
  else heading = [...part.text.matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? heading;
}

describe('docs/api.md examples', () => {
  it('has one per group', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  // The package imports itself by name from the repository root (package.json "exports"), as a user's code would.
  it.each(examples)('%s', async (_name, code) => {
    const result = await execa(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, reject: false, stdin: 'ignore' });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
