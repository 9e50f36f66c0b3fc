/**
 * Finding headless Chromium and its flags: the system's browser (Debian's `chromium` package), never a downloaded
 * one. The report's HTML test and the browser runtime (host.ts, which starts it with playwright-core) both use it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { usageError } from '../../errors.js';

/** Executable names tried on PATH, in order. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** Flags for a quiet headless browser that talks to nothing but the pages it is given. */
export const HEADLESS_FLAGS: readonly string[] = [
  '--headless',
  // As root in a container there is no user namespace to sandbox into; the pages are our own.
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--hide-scrollbars',
];

/**
 * WebGPU in headless Chromium: a GPU when there is one, else SwiftShader (a software Vulkan), which Chromium offers
 * only with --enable-unsafe-swiftshader.
 */
export const WEBGPU_FLAGS: readonly string[] = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Chromium on PATH (or $CHROMIUM), or undefined. */
export function chromiumOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM) return isExecutable(env.CHROMIUM) ? env.CHROMIUM : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CHROMIUM_NAMES) {
      const file = join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

/** The browser to start: `explicit` (--browser) when given, else Chromium on PATH; E_USAGE when there is none. */
export function findChromium(explicit?: string): string {
  if (explicit !== undefined) {
    if (!isExecutable(explicit)) throw usageError(`--browser ${explicit}: not an executable file`);
    return explicit;
  }
  const found = chromiumOnPath();
  if (!found) {
    throw usageError(
      `no Chromium found on PATH (tried ${CHROMIUM_NAMES.join(', ')}); install it (apt-get install chromium) or name it with --browser PATH`,
    );
  }
  return found;
}
