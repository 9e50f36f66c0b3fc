/** Runs the built CLI (dist/, made by `npm install`'s prepare step and the test setup) in a child process. */
import { execa } from 'execa';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = await execa('node', [CLI, ...args], { reject: false, cwd: options.cwd ?? REPO_ROOT, env: options.env, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), signal: result.signal };
}
