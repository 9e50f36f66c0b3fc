/**
 * Messages between the validation runner (child.ts, in the parent) and a session worker (session-worker.ts, one
 * child process per model), over Node's IPC channel as JSON. Tensor data travels in files: the parent writes each
 * input once as raw little-endian bytes; the worker writes each output the same way.
 */

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
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
}

export type ParentMessage =
  | ({ type: 'load'; samples: TensorFile[][] } & SessionSettings)
  /** Runs one sample; with `outputDir`, writes the outputs there (file names start with `outputPrefix`). */
  | { type: 'run'; id: number; sample: number; outputDir?: string; outputPrefix?: string }
  | { type: 'stats'; id: number }
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

export type WorkerMessage =
  | { type: 'ready'; onnxruntimeVersion: string }
  | { type: 'loaded'; createMs: number; rssBeforeLoadBytes: number; inputNames: string[]; outputNames: string[] }
  | { type: 'ran'; id: number; ms: number; outputs?: OutputFile[] }
  | { type: 'stats'; id: number; peakRssBytes: number }
  | { type: 'error'; id?: number; stage: 'load' | 'run' | 'stats'; message: string };
