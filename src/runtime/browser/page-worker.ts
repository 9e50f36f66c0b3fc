/**
 * Runs in the browser page, not in Node: answers a BrowserSession's requests (page-protocol.ts) with onnxruntime-web,
 * loaded from the loopback server. It times session.run with performance.now() including the download of every
 * output (getData), so WebGPU work is awaited, not just queued.
 *
 * One of the two modules where onnxpress creates ONNX Runtime sessions (the other is ../session-worker.ts).
 * It imports nothing at run time: the server serves this one file.
 */
import type * as OrtWeb from 'onnxruntime-web';
import type { AdapterInfo } from '../runners.js';
import type { OutputStats } from '../protocol.js';
import type { PageAnswer, PageOutput, PageRequest, PageTensor } from './page-protocol.js';

/** The WebGPU API as far as this page uses it (the project's TypeScript library has no DOM). */
interface GpuAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  features: Iterable<string>;
  isFallbackAdapter?: boolean;
}
interface PageGlobals {
  navigator: { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } };
  crossOriginIsolated?: boolean;
  performance: { now(): number; memory?: { usedJSHeapSize: number } };
  onnxpressPage?: { handle(request: PageRequest): Promise<PageAnswer> };
}
const page = globalThis as unknown as PageGlobals;

type OrtModule = typeof OrtWeb;
type Session = OrtWeb.InferenceSession;
type Feed = Record<string, OrtWeb.Tensor>;

/** ONNX element types the page feeds: onnxruntime-web's name and typed array. */
const TYPES: Record<number, [OrtWeb.Tensor.Type, new (buffer: ArrayBuffer) => ArrayBufferView]> = {
  1: ['float32', Float32Array],
  2: ['uint8', Uint8Array],
  3: ['int8', Int8Array],
  4: ['uint16', Uint16Array],
  5: ['int16', Int16Array],
  6: ['int32', Int32Array],
  7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array],
  10: ['float16', Uint16Array],
  11: ['float64', Float64Array],
  12: ['uint32', Uint32Array],
  13: ['uint64', BigUint64Array],
};

let ort: OrtModule | undefined;
let logPlacements = false;
/** Where onnxruntime's node placement lines go while a session is created (see captureConsole). */
let placementLog: string[] | undefined;
/** Each model's session and input samples, by the name the parent gave it. */
const sessions = new Map<string, { session: Session; feeds: Feed[] }>();

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function toTensor(t: PageTensor): Promise<OrtWeb.Tensor> {
  const type = TYPES[t.dataType];
  if (!type) throw new Error(`input '${t.name}': ONNX type ${t.dataType} cannot be fed to onnxruntime-web`);
  const data = new type[1](await fetchBytes(t.url));
  return new ort!.Tensor(type[0], data as Float32Array, t.dims);
}

/**
 * Routes onnxruntime's node placement lines (it logs through the console functions it found when it started, so
 * this is installed before it loads) to `placementLog`; everything else goes to the console as before.
 */
function captureConsole(): void {
  for (const m of ['log', 'warn', 'error', 'info'] as const) {
    const original = console[m].bind(console);
    console[m] = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.includes('VerifyEachNodeIsAssignedToAnEp')) placementLog?.push(text);
      else original(...args);
    };
  }
}

function isSoftware(adapter: GpuAdapter): boolean {
  const info = adapter.info ?? {};
  const words = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  return info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software|warp/i.test(words);
}

async function start(request: Extract<PageRequest, { type: 'start' }>): Promise<PageAnswer> {
  if (request.placements) captureConsole();
  ort = (await import(request.ortUrl)) as OrtModule;
  logPlacements = request.placements;
  // Verbose only so that a session can log its node placements; runs log errors only (their run options).
  ort.env.logLevel = logPlacements ? 'verbose' : 'error';
  ort.env.wasm.wasmPaths = request.wasmPaths;
  let adapter: AdapterInfo | undefined;
  if (request.webgpu) {
    const gpu = await page.navigator.gpu?.requestAdapter();
    if (!gpu) throw new Error('the browser offers no WebGPU adapter (navigator.gpu.requestAdapter() returned null)');
    const info = gpu.info ?? {};
    adapter = {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      features: [...gpu.features].sort(),
      software: isSoftware(gpu),
    };
    // The session uses the adapter whose features the report shows.
    (ort.env.webgpu as { adapter?: unknown }).adapter = gpu;
  }
  const isolated = page.crossOriginIsolated === true;
  return {
    type: 'started',
    version: ort.env.versions.web ?? ort.env.versions.common,
    ...(adapter ? { adapter } : {}),
    crossOriginIsolated: isolated,
    numThreadsMax: isolated ? 64 : 1,
  };
}

async function load(request: Extract<PageRequest, { type: 'load' }>): Promise<PageAnswer> {
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  // (Read once, when the first session starts the WebAssembly module.)
  ort!.env.wasm.numThreads = page.crossOriginIsolated === true ? request.numThreads : 1;
  const feeds: Feed[] = [];
  for (const sample of request.samples) {
    const feed: Feed = {};
    for (const t of sample) feed[t.name] = await toTensor(t);
    feeds.push(feed);
  }
  const log: string[] = [];
  placementLog = log;
  const started = page.performance.now();
  const session = await ort!.InferenceSession.create(request.modelUrl, {
    executionProviders: request.executionProviders,
    graphOptimizationLevel: request.graphOptimizationLevel,
    logSeverityLevel: logPlacements ? 0 : 3,
    logVerbosityLevel: 0,
  });
  const createMs = page.performance.now() - started;
  placementLog = undefined;
  await sessions.get(request.session)?.session.release();
  sessions.set(request.session, { session, feeds });
  return {
    type: 'loaded',
    createMs,
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    ...(logPlacements ? { placementLog: log } : {}),
  };
}

/** session.run and the download of every output, timed together. */
async function timedRun(
  name: string,
  sample: number,
  fetchNames?: readonly string[],
): Promise<{ ms: number; values: [string, OrtWeb.Tensor, unknown][] }> {
  const loaded = sessions.get(name);
  if (!loaded) throw new Error('no session loaded');
  const { session, feeds } = loaded;
  const feed = feeds[sample];
  if (!feed) throw new Error(`there is no input sample ${sample}`);
  const names = fetchNames ?? session.outputNames;
  const known = new Set(session.outputNames);
  const missing = names.filter((n) => !known.has(n));
  if (missing.length > 0) throw new Error(`the session has no output ${missing.map((n) => `'${n}'`).join(', ')}`);
  const started = page.performance.now();
  const results = await session.run(feed, [...names], { logSeverityLevel: 3 });
  const values: [string, OrtWeb.Tensor, unknown][] = [];
  for (const name of names) {
    const value = results[name]!;
    values.push([name, value, await value.getData()]);
  }
  const ms = page.performance.now() - started;
  for (const [, value] of values) value.dispose();
  return { ms, values };
}

function base64(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

async function run(request: Extract<PageRequest, { type: 'run' }>): Promise<PageAnswer> {
  const { ms, values } = await timedRun(request.session, request.sample, request.outputs);
  const outputs: PageOutput[] = values.map(([name, value, data]) => {
    const dims = value.dims.map(Number);
    if (value.type === 'string') return { name, type: value.type, dims, strings: [...(data as string[])] };
    return { name, type: value.type, dims, base64: base64(data as ArrayBufferView) };
  });
  return { type: 'ran', ms, outputs };
}

function halfToFloat(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

async function measure(request: Extract<PageRequest, { type: 'measure' }>): Promise<PageAnswer> {
  const names = [...new Set(request.outputs)];
  const stats = new Map<string, OutputStats>(names.map((n) => [n, { maxAbs: 0, nonFinite: 0 }]));
  for (const sample of request.samples ?? (sessions.get(request.session)?.feeds ?? []).map((_, i) => i)) {
    const { values } = await timedRun(request.session, sample, names);
    for (const [name, value, data] of values) {
      const s = stats.get(name)!;
      const numbers = value.type === 'float16' ? Array.from(data as Uint16Array, halfToFloat) : (data as ArrayLike<number>);
      if (value.type !== 'float32' && value.type !== 'float64' && value.type !== 'float16') continue;
      for (let i = 0; i < numbers.length; i++) {
        const x = numbers[i]!;
        if (!Number.isFinite(x)) s.nonFinite++;
        else if (Math.abs(x) > s.maxAbs) s.maxAbs = Math.abs(x);
      }
    }
  }
  return { type: 'measured', stats: request.outputs.map((name) => ({ name, ...stats.get(name)! })) };
}

async function handle(request: PageRequest): Promise<PageAnswer> {
  try {
    switch (request.type) {
      case 'start':
        return await start(request);
      case 'load':
        return await load(request);
      case 'run':
        return await run(request);
      case 'time':
        return { type: 'timed', ms: (await timedRun(request.session, request.sample)).ms };
      case 'measure':
        return await measure(request);
      case 'memory':
        return { type: 'memory', bytes: page.performance.memory?.usedJSHeapSize ?? 0 };
      case 'close':
        await sessions.get(request.session)?.session.release();
        sessions.delete(request.session);
        return { type: 'closed' };
    }
  } catch (e) {
    return { type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
}

page.onnxpressPage = { handle };
