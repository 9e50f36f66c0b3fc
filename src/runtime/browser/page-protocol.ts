/**
 * Requests and answers between a BrowserSession (host.ts, in Node) and its page (page-worker.ts, in Chromium):
 * protocol.ts's requests with URLs on the loopback server in place of files, and outputs carried back as base64.
 * The page exposes `onnxpressPage.handle(request)`; the parent calls it with page.evaluate, one request at a time.
 * One page serves every model of a validation (one WebAssembly instance, one WebGPU device: each costs seconds to
 * start); requests about a model name its session.
 */
import type { AdapterInfo } from '../runners.js';
import type { OutputStats } from '../protocol.js';

export interface PageTensor {
  name: string;
  dataType: number;
  dims: number[];
  url: string;
}

export type PageRequest =
  /**
   * Loads onnxruntime-web and, for WebGPU, requests the adapter it will use. `placements`: sessions log where each
   * node runs (onnxruntime's verbose "Node placements" lines, on the console), which the parent reads.
   */
  | { type: 'start'; ortUrl: string; wasmPaths: string; webgpu: boolean; placements: boolean }
  | {
      type: 'load';
      session: string;
      modelUrl: string;
      executionProviders: string[];
      numThreads: number;
      graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
      samples: PageTensor[][];
    }
  | { type: 'run'; session: string; sample: number; outputs?: string[] }
  | { type: 'time'; session: string; sample: number }
  | { type: 'measure'; session: string; outputs: string[]; samples?: number[] }
  | { type: 'memory' }
  | { type: 'close'; session: string };

export interface PageOutput {
  name: string;
  type: string;
  dims: number[];
  /** Raw little-endian bytes, base64 (numeric types). */
  base64?: string;
  strings?: string[];
}

export type PageAnswer =
  | { type: 'started'; version: string; adapter?: AdapterInfo; crossOriginIsolated: boolean; numThreadsMax: number }
  /** `placementLog`: onnxruntime's node placement lines, when the page was started with `placements`. */
  | { type: 'loaded'; createMs: number; inputNames: string[]; outputNames: string[]; placementLog?: string[] }
  | { type: 'ran'; ms: number; outputs: PageOutput[] }
  | { type: 'timed'; ms: number }
  | { type: 'measured'; stats: (OutputStats & { name: string })[] }
  | { type: 'memory'; bytes: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };
