/**
 * Messages between SessionProcess (session.ts, in the parent) and a session worker (session-worker.ts, one child
 * process per model), over Node's IPC channel as JSON. Every ONNX Runtime session of onnxpress lives in such a
 * worker. Tensor data travels in files: the parent writes each input once as raw little-endian bytes; the worker
 * writes each output the same way. Statistics of outputs are computed in the worker, so large activations never
 * cross the process boundary.
 *
 * The parent sends one request at a time and waits for its answer: `load` first, then any number of `run`, `time`,
 * `measure` and `memory` requests, then `close`. A request the worker cannot serve is answered with `error`.
 */

/** The runtime a session worker loads (its first argument). */
export type WorkerRuntime = 'onnxruntime-node' | 'onnxruntime-web';

/** A tensor stored as raw bytes in a file. */
export interface TensorFile {
  name: string;
  /** ONNX element type (DataType). */
  dataType: number;
  dims: number[];
  file: string;
}

export interface SessionSettings {
  modelPath: string;
  /** onnxruntime-node executionProviders, e.g. ['cpu']. */
  providers: string[];
  /** 0: ONNX Runtime's default. */
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Values of the main graph (node outputs, graph inputs) to return as well as the graph outputs: the worker
   * reads the model into the IR, adds them as graph outputs and creates the session from that copy.
   */
  expose?: string[];
}

/** Per-output statistics, accumulated over every sample measured. */
export interface OutputStats {
  /** Largest finite |x| (0 when there is none). */
  maxAbs: number;
  /** NaN and +-Inf elements. */
  nonFinite: number;
}

export type ParentMessage =
  | ({ type: 'load'; samples: TensorFile[][] } & SessionSettings)
  /**
   * Runs one sample and writes the outputs to `outputDir` (file names start with `outputPrefix`): those named in
   * `outputs`, else every output of the session (graph outputs, then exposed values).
   */
  | { type: 'run'; id: number; sample: number; outputDir: string; outputPrefix: string; outputs?: string[] }
  /** Runs one sample and reports only how long session.run took. */
  | { type: 'time'; id: number; sample: number }
  /** Runs the samples (default: all) and reports OutputStats of the named outputs, accumulated over them. */
  | { type: 'measure'; id: number; outputs: string[]; samples?: number[] }
  /** Peak resident set size of the worker. */
  | { type: 'memory'; id: number }
  | { type: 'close' };

export interface OutputFile {
  name: string;
  /** The type as onnxruntime-node names it ('float32', 'float16', 'int64', 'string', ...). */
  type: string;
  dims: number[];
  /** Raw little-endian data (numeric types). */
  file?: string;
  /** The values of a string output. */
  strings?: string[];
}

/** What a request was doing when it failed. */
export type WorkerStage = 'load' | 'run' | 'time' | 'measure' | 'memory';

export type WorkerMessage =
  | { type: 'ready'; onnxruntimeVersion: string }
  | { type: 'loaded'; createMs: number; rssBeforeLoadBytes: number; inputNames: string[]; outputNames: string[] }
  | { type: 'ran'; id: number; ms: number; outputs: OutputFile[] }
  | { type: 'timed'; id: number; ms: number }
  /** Statistics in the order the outputs were asked for. */
  | { type: 'measured'; id: number; stats: (OutputStats & { name: string })[] }
  | { type: 'memory'; id: number; peakRssBytes: number }
  | { type: 'error'; id?: number; stage: WorkerStage; message: string };
