/** Headless Chromium for the report tests: run it on a page (dump its DOM, take a screenshot) and read attributes. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromiumOnPath, HEADLESS_FLAGS } from '../../src/runtime/browser/chromium.js';

export const CHROMIUM = chromiumOnPath();
export const haveChromium = CHROMIUM !== undefined;

const run = promisify(execFile);

/** Runs Chromium headless with a profile of its own and `args`; returns its stdout (the DOM with --dump-dom). */
export async function chromium(profile: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(CHROMIUM!, [...HEADLESS_FLAGS, '--disable-gpu', `--user-data-dir=${profile}`, ...args], {
    timeout: 90_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export const dumpDom = (profile: string, url: string): Promise<string> => chromium(profile, '--dump-dom', url);

export function attribute(dom: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(dom)?.[1];
}
