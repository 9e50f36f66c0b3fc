/**
 * The loopback HTTP server a browser session's page talks to: the page and its script, onnxruntime-web's files
 * from node_modules/onnxruntime-web/dist, and the model and input files the parent registers. It listens on
 * 127.0.0.1 on a random port and serves nothing it was not given. Cross-origin isolation headers let
 * onnxruntime-web use WebAssembly threads.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeError } from '../../errors.js';

/** onnxruntime-web's dist/ folder (its package exports only its entry points, so the folder is found from one). */
export function onnxruntimeWebDist(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-web');
  return dirname(entry);
}

/** The compiled page script: beside this file in dist/, or in dist/ when this file runs from src/ (tests). */
function pageScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const file of [join(here, 'page-worker.js'), resolve(here, '../../../dist/runtime/browser/page-worker.js')]) {
    if (existsSync(file)) return file;
  }
  throw runtimeError(`the browser page script page-worker.js is missing; build onnxpress (npm run build)`);
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>onnxpress</title><script type="module" src="/page-worker.js"></script>\n';

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
};

export class PageServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly files: Map<string, string>,
  ) {}

  static async start(): Promise<PageServer> {
    const dist = onnxruntimeWebDist();
    const script = pageScript();
    const files = new Map<string, string>();
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const headers = {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cache-control': 'no-store',
      };
      let file: string | undefined;
      if (path === '/') {
        response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
        response.end(PAGE);
        return;
      }
      if (path === '/page-worker.js') file = script;
      else if (path.startsWith('/ort/') && basename(path) === path.slice(5)) file = join(dist, path.slice(5));
      else if (path.startsWith('/files/')) file = files.get(path.slice(7));
      if (!file || !existsSync(file) || !statSync(file).isFile()) {
        response.writeHead(404, headers);
        response.end();
        return;
      }
      const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '';
      response.writeHead(200, { ...headers, 'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': statSync(file).size });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((accept, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => accept());
    });
    const port = (server.address() as AddressInfo).port;
    return new PageServer(server, `http://127.0.0.1:${port}`, files);
  }

  /** Serves `file` and returns its URL path (`/files/<n>-<name>`). */
  serve(file: string): string {
    const key = `${this.files.size}-${encodeURIComponent(basename(file))}`;
    this.files.set(key, file);
    return `/files/${key}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((accept) => this.server.close(() => accept()));
  }
}
