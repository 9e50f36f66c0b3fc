/**
 * The typed result of a validation run, and of a summary of many runs.
 *
 * These are the shapes written to report.json (docs/report-schema.md documents every field).
 * The runner fills a `ValidationRun` with what it measured; `buildValidationResult` (result.ts)
 * derives the rest (latency statistics, threshold checks, op differences, notes).
 */
import type { AdapterInfo } from '../runtime/runners.js';

/** Bumped only when a field is removed or changes meaning; adding fields keeps it. */
export const REPORT_SCHEMA_VERSION = 1;

export type ConversionKind = 'fp16' | 'int8' | 'q4' | 'other';

/** Metric names accepted by `--threshold NAME=VALUE`. */
export type MetricName =
  'cosine' | 'top1' | 'top5' | 'max-abs' | 'mean-abs' | 'rmse' | 'max-rel' | 'snr' | 'nan' | 'degenerate' | 'accuracy-drop' | 'latency-ratio';

/** `min`: the actual value must be >= limit; `max`: it must be <= limit. */
export type ThresholdDirection = 'min' | 'max';

export interface Threshold {
  metric: MetricName;
  limit: number;
  direction: ThresholdDirection;
  /** Only for per-output metrics: restrict the check to this output (otherwise every output is checked). */
  output?: string;
  /**
   * Only for per-output metrics without `output`: check only outputs of these roles (absent: every output).
   * The defaults use it (top-k only on class scores, a looser cosine on recurrent states).
   */
  appliesTo?: OutputRole[];
  source: 'default' | 'user';
}

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface ThresholdCheck {
  /** Stable key, unique within a result: `cosine@logits`, `accuracy-drop`, `latency-ratio`. */
  id: string;
  metric: MetricName;
  output?: string;
  direction: ThresholdDirection;
  limit: number;
  /** null when skipped (the metric does not exist for this output or run). May be +-Infinity (snr). */
  actual: number | null;
  status: CheckStatus;
  source: 'default' | 'user';
  /** One human sentence, e.g. "cosine of logits = 0.99982 >= 0.999". */
  message: string;
}

export interface NonFiniteCounts {
  baseline: number;
  candidate: number;
}

/** What `compareOutputs` measures on one output tensor (definitions in docs/validation.md). */
export interface OutputMetrics {
  /** Number of elements in the tensor. */
  elements: number;
  /** Elements where both values are finite; the error metrics below are computed over these only. */
  compared: number;
  maxAbs: number;
  meanAbs: number;
  rmse: number;
  /** max |b - c| / max(|b|, relFloor). */
  maxRel: number;
  /** The denominator floor used for maxRel. */
  relFloor: number;
  /** Cosine similarity of the flattened tensors; 1 when both are all zero, 0 when only one is. */
  cosine: number;
  /** 10*log10(sum b^2 / sum (b-c)^2); +Infinity when identical, -Infinity when b is all zero and c is not. */
  snrDb: number;
  /** Fraction of rows (all but the last axis) whose argmax agrees; absent unless floating point with last dim >= 2. */
  top1?: number;
  /** Fraction of rows whose top-5 index sets are equal; absent unless floating point with last dim > 5. */
  top5?: number;
  /** Number of rows top1/top5 were computed over (product of all dims but the last). */
  rows?: number;
  nan: NonFiniteCounts;
  /** +Inf and -Inf together. */
  inf: NonFiniteCounts;
  /**
   * Positions where at least one side is non-finite and the two differ (NaN equals NaN here).
   * This is what the `nan` threshold limits.
   */
  nonFiniteMismatch: number;
  /**
   * Present when the candidate's output carries no information and the baseline's does: every element NaN/Inf,
   * all zeros, or one constant value (see degeneracy in metrics.ts). The `degenerate` check fails on it.
   */
  degenerate?: 'all-zero' | 'constant' | 'non-finite';
}

/**
 * What an output is, read from the graph (src/validate/roles.ts): 'class-scores' (labels are given for it, or its
 * last axis is made by a Softmax/LogSoftmax or a linear layer as wide as that axis), 'recurrent-state' (the final
 * h/c of an LSTM/GRU/RNN, or a key/value cache by its name), or 'other' (hidden states, maps, boxes, ...).
 */
export type OutputRole = 'class-scores' | 'recurrent-state' | 'other';

export interface OutputComparison {
  name: string;
  dims: number[];
  /** Element type names as onnxruntime reports them: 'float32', 'float16', 'int64', ... */
  baselineType: string;
  candidateType: string;
  metrics: OutputMetrics;
  /** Absent in reports written before roles existed (then top-k defaults applied to every output that had top-k). */
  role?: OutputRole;
  /** Why the output has that role, in a few words. */
  roleReason?: string;
}

/** Top-1 accuracy of one model against the labels (see `accuracy` in metrics.ts). */
export interface AccuracyScore {
  correct: number;
  /** Labelled rows counted (rows whose label is negative are ignored). */
  count: number;
  /** correct / count (0 when count is 0). */
  accuracy: number;
}

export interface AccuracyComparison {
  /** The output whose argmax over the last axis is the prediction. */
  output: string;
  /** Where the labels came from (a path), for the reader. */
  labels: string;
  baseline: AccuracyScore;
  candidate: AccuracyScore;
  /** baseline.accuracy - candidate.accuracy (positive = the candidate is worse). */
  drop: number;
}

export interface ParameterBytes {
  /** Lower-case ONNX type name: 'float', 'float16', 'int8', 'uint8', 'int64', ... */
  dtype: string;
  /** Elements across all initializers (and Constant nodes) of this type. */
  count: number;
  /** Bytes of raw storage (packed sub-byte types count their packed size). */
  bytes: number;
}

export interface SessionStats {
  /** Wall time of InferenceSession.create, in milliseconds. */
  createMs: number;
  /**
   * Peak resident set size of the child process that ran this model (Node + onnxruntime + session + all
   * inference), from process.resourceUsage().maxRSS, in bytes.
   */
  peakRssBytes: number;
  /** Resident set size of the child just before the session was created, in bytes (the fixed cost of Node). */
  rssBeforeLoadBytes?: number;
}

export interface ModelReport {
  /** Display name (a file's base name, or the pipeline's variant name). */
  name: string;
  path: string;
  /** Size on disk: the model file plus its external data files. */
  fileBytes: number;
  /** The part of fileBytes that is in external data files (0 when none). */
  externalDataBytes: number;
  /** Parameter storage by element type, largest first. */
  parameters: ParameterBytes[];
  /** Op histogram; keys are `OpType` for the default domain and `domain::OpType` otherwise. */
  ops: Record<string, number>;
  /**
   * SHA-256 (hex) of the graph's structure without weights (src/validate/graph-hash.ts): the same for the same
   * model file, a re-saved copy, or new weights in the same graph. `report compare` checks the baselines' hashes.
   * Absent in reports written before it existed.
   */
  graphHash?: string;
  /**
   * Nodes holding block-quantized weights (com.microsoft MatMulNBits, GatherBlockQuantized, MatMulBnb4;
   * DequantizeLinear with a `block_size`): what makes inferKind say 'q4'. Absent when there are none.
   */
  blockQuantizedNodes?: number;
  /** Absent when the model was not run (size-only report). */
  session?: SessionStats;
  /** What ran the model: runtime, version, execution provider, browser and WebGPU adapter. Absent in older reports. */
  runtime?: RuntimeReport;
}

/** Where a model ran (runtime/runners.ts RuntimeInfo), with what its page's console reported. */
export interface RuntimeReport {
  name: 'onnxruntime-node' | 'onnxruntime-web';
  version: string;
  /** As the runtime names it: 'cpu', 'wasm', 'webgpu'. */
  provider: string;
  /** 'Node 20.19.0', or the browser: 'Chromium 156.0.8078.114'. */
  host: string;
  /** The WebGPU adapter (software: SwiftShader or another, right answers, not a GPU's speed). */
  adapter?: AdapterInfo;
  /** WebGPU errors the page's console reported (kept only with --allow-console-errors; otherwise they fail the run). */
  consoleErrors?: string[];
}

export interface OpCountChange {
  op: string;
  baseline: number;
  candidate: number;
  /** candidate - baseline. */
  delta: number;
}

export interface LatencySummary {
  /** One latency per round in milliseconds, in round order (round i of baseline pairs with round i of candidate). */
  samplesMs: number[];
  mean: number;
  stdev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface RatioEstimate {
  /** Median of the per-round ratios. */
  median: number;
  /** Percentile-bootstrap confidence interval of that median, [low, high], at `bootstrap.confidence` (0.95 by default). */
  ci: [number, number];
}

export interface LatencyComparison {
  warmupRuns: number;
  rounds: number;
  /** Rounds alternate which model runs first: even rounds baseline first, odd rounds candidate first. */
  interleaved: true;
  baseline: LatencySummary;
  candidate: LatencySummary;
  /** Per round candidate/baseline; below 1 means the candidate is faster. The `latency-ratio` threshold reads `.median`. */
  ratio: RatioEstimate;
  /** Per round baseline/candidate; above 1 means the candidate is faster. */
  speedup: RatioEstimate;
  bootstrap: { resamples: number; seed: number; confidence: number };
  /**
   * Why `rounds` rounds: 'given' (the iterations option), 'default' (50), or 'fast-model' (the median round took under
   * 1 ms, so more rounds ran). Absent in reports written before it existed.
   */
  roundsRule?: RoundsRule;
  /** How `ratio.ci` was made and whether it is narrow enough to conclude. Absent in reports written before it existed. */
  interval?: LatencyInterval;
}

export type RoundsRule = 'given' | 'default' | 'fast-model';

/**
 * The ratio's interval (docs/validation.md, "Latency"): `ratio.ci` is the hull of a percentile bootstrap over single
 * rounds and a batch-means interval over consecutive blocks of rounds, which sees slow drift and run-to-run noise
 * that resampling single rounds cannot.
 */
export interface LatencyInterval {
  /** Consecutive blocks of rounds (at least 5 rounds each, at most 20 blocks); 0 when there were fewer than 10 rounds. */
  blocks: number;
  /** Percentile-bootstrap interval of the median ratio, resampling single rounds. */
  roundBootstrap: [number, number];
  /** median ± t(blocks - 1) · stdev(block medians) / sqrt(blocks); absent with fewer than 2 blocks. */
  batchMeans?: [number, number];
  /** (ratio.ci[1] - ratio.ci[0]) / ratio.median. */
  relativeWidth: number;
  /** The widest relativeWidth that supports a conclusion (0.1). */
  maxRelativeWidth: number;
  /** relativeWidth > maxRelativeWidth, or no blocks: the interval is too wide to conclude how the two compare. */
  tooWide: boolean;
  /** Why it is too wide, when it is. */
  reason?: string;
}

/** Baseline and candidate that look the wrong way round (src/validate/swap.ts). */
export interface SuspectedSwap {
  /** The two files, as validated. */
  baseline: string;
  candidate: string;
  /** One sentence per sign: the candidate is larger, or stores higher-precision parameters than the baseline. */
  reasons: string[];
}

export interface RunEnvironment {
  /** The execution provider that ran both models, e.g. 'cpu'. */
  executionProvider: string;
  onnxruntimeVersion: string;
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel?: string;
  nodeVersion: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
}

export interface InputTensorInfo {
  name: string;
  dims: number[];
  type: string;
}

export interface InputProvenance {
  /** 'test-data': an ONNX test_data_set folder; 'random': generated; 'files': user-supplied tensors. */
  source: 'test-data' | 'random' | 'files';
  /** A path or a sentence saying how the inputs were made. */
  description: string;
  /** The seed of generated inputs. */
  seed?: number;
  tensors: InputTensorInfo[];
}

/** What the runner measured; `buildValidationResult` turns it into a `ValidationResult`. */
export interface ValidationRun {
  kind: ConversionKind;
  environment: RunEnvironment;
  inputs: InputProvenance;
  baseline: ModelReport;
  candidate: ModelReport;
  outputs: OutputComparison[];
  accuracy?: Omit<AccuracyComparison, 'drop'>;
  /** Raw interleaved timings, one per round and model (equal lengths). */
  latency?: { warmupRuns: number; baselineMs: number[]; candidateMs: number[]; roundsRule?: RoundsRule };
}

export interface ToolInfo {
  name: 'onnxpress';
  version: string;
}

export interface ValidationResult {
  schema: 'onnxpress/validation';
  schemaVersion: number;
  tool: ToolInfo;
  /** ISO 8601 time the result was built. */
  createdAt: string;
  kind: ConversionKind;
  /**
   * The model's name for report titles (`validate --name`). Absent: titles use the baseline's folder when its file
   * is `model.onnx`, and nothing more otherwise (see report/document.ts `modelName`).
   */
  name?: string;
  /** True when no threshold check failed. */
  passed: boolean;
  environment: RunEnvironment;
  inputs: InputProvenance;
  baseline: ModelReport;
  candidate: ModelReport;
  /** Ops whose count differs between the two models, sorted by op name. */
  opDiff: OpCountChange[];
  outputs: OutputComparison[];
  accuracy?: AccuracyComparison;
  latency?: LatencyComparison;
  /** Present when the baseline and the candidate look swapped; a note says so too. */
  suspectedSwap?: SuspectedSwap;
  /** The thresholds in force (defaults for the kind, overridden by the user's). */
  thresholds: Threshold[];
  checks: ThresholdCheck[];
  /** Sentences the reader must see (e.g. that a CPU run of an FP16 model computes in float32). */
  notes: string[];
}

export type SummaryEntryStatus = 'pass' | 'fail' | 'error';

export interface SummaryEntry {
  model: string;
  variant: string;
  status: SummaryEntryStatus;
  /** Present unless status is 'error'. */
  result?: ValidationResult;
  /** Present when status is 'error': the run could not complete. */
  error?: { message: string; code?: string };
}

/** Which pipeline a summary is of: `report merge` joins only summaries of the same pipeline. */
export interface PipelineIdentity {
  /** The pipeline's `name` (default: its file name without extension). */
  name: string;
  /**
   * SHA-256 (hex) of the pipeline file's content as parsed (JSON with sorted keys): the same for the same file
   * whatever its formatting, comments and key order, on any machine (its paths are relative to the file).
   */
  hash: string;
  /** The `--shard I/N` the run was (absent: every model, or a merge of all shards). */
  shard?: { index: number; count: number };
  /** The `--only` filter of the run (absent: none). */
  only?: string[];
}

export interface ValidationSummary {
  schema: 'onnxpress/summary';
  schemaVersion: number;
  tool: ToolInfo;
  createdAt: string;
  title: string;
  /** The pipeline of a `run` (and of a `report merge` of its shards); absent in summaries made otherwise. */
  pipeline?: PipelineIdentity;
  /** True when every entry passed. */
  passed: boolean;
  entries: SummaryEntry[];
}

/** Anything the report writers render. */
export type ReportDocument = ValidationResult | ValidationSummary;
