/**
 * Finding and starting headless Chromium: the system's browser (Debian's `chromium` package), never a downloaded
 * one. The report's HTML test and the browser runtime both start it through here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runtimeError, usageError } from '../../errors.js';

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

/** A running browser: its DevTools endpoint, and a kill that takes every process it started with it. */
export interface ChromiumProcess {
  endpoint: string;
  pid: number;
  /** Kills the browser's whole process group and removes its profile; safe to call twice. */
  kill(): void;
  exited: Promise<void>;
}

/**
 * Starts Chromium headless with a fresh profile and DevTools on a random loopback port. It runs in a process group
 * of its own, so `kill()` also ends its GPU, renderer and zygote processes.
 */
export async function launchChromium(executable: string, flags: readonly string[] = [], timeoutMs = 30_000): Promise<ChromiumProcess> {
  const profile = mkdtempSync(join(tmpdir(), 'onnxpress-chromium-'));
  const child: ChildProcess = spawn(
    executable,
    [...HEADLESS_FLAGS, ...flags, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let killed = false;
  const kill = (): void => {
    if (!killed && child.pid !== undefined) {
      killed = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    void exited.then(() => rmSync(profile, { recursive: true, force: true }));
  };
  let stderr = '';
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DevTools endpoint after ${timeoutMs / 1000} s`)), timeoutMs);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`it exited (${signal ?? `code ${code}`}) before it was ready`)));
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8192);
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    // Nothing more is read from stderr; it must not fill its pipe and block the browser.
    child.stderr!.resume();
    return { endpoint, pid: child.pid!, kill, exited };
  } catch (e) {
    kill();
    const last = stderr.trim().split('\n').slice(-3).join(' ');
    throw runtimeError(`cannot start ${executable}: ${(e as Error).message}${last ? ` (${last})` : ''}`, { file: executable, cause: e });
  }
}
