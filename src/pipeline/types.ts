/** The public types of pipelines: a normalized pipeline file, and what a run produces. */
import type { ConversionSummary } from '../conversions/types.js';
import type { ReportFormat } from '../report/index.js';
import type { NormalizedValidateOptions, PlannedOptionName } from '../validate/options.js';
import type { ConversionKind, ValidationResult } from '../validate/types.js';

/** One conversion of a variant, with camelCase options (defaults filled in). */
export interface PassSpec {
  to: string;
  options: Record<string, unknown>;
  /** `threshold:` of the step (`cosine=0.999` texts): the conversion is an accuracy-guided search (src/search). */
  thresholds?: string[];
}

export interface VariantSpec {
  name: string;
  /** Applied in order to the same in-memory model; one for a plain variant, several for a chain. */
  passes: PassSpec[];
  /** The kind its conversions share (fp16, int8, q4; q4 then fp16 is q4), else 'other' (see kindOf). */
  kind: ConversionKind;
  /** A variant of a `preset:` entry: its file is `<model file stem><fileSuffix>.onnx` (`model_q4.onnx`), not `<name>.onnx`. */
  fileSuffix?: string;
  /**
   * The `validate:` section for this variant, normalized (src/validate/options.ts): everything but what the plan
   * fills in for each model (planPipeline completes it into PlannedVariant.validate).
   */
  validate: Omit<NormalizedValidateOptions, PlannedOptionName>;
  line: number;
}

export interface ModelSpec {
  /** As written in the file (for messages). */
  pattern: string;
  /** True when `pattern` is a glob (matched from the pipeline's folder); otherwise a file or folder path. */
  isGlob: boolean;
  id?: string;
  /** Absolute test-data folder, 'random', or undefined: `<model folder>/test_data_set_0` when present, else random. */
  inputs?: string;
  /** Absolute labels file, false for none, or undefined: `<model folder>/labels.pb` when present. */
  labels?: string | false;
  dims: Record<string, number>;
  /** `models[i]`, and the line, for errors found when the models are listed. */
  path: string;
  line: number;
}

export interface ReportSettings {
  dir: string;
  formats: ReportFormat[];
  title: string;
}

export interface PipelineConfig {
  /** Absolute path of the pipeline file, and as the user named it. */
  file: string;
  displayFile: string;
  /** The pipeline file's folder: relative paths and globs in the file start here. */
  baseDir: string;
  name: string;
  /** The name and a hash of the file's content, written into the summary report (PipelineIdentity). */
  identity: { name: string; hash: string };
  out: string;
  models: ModelSpec[];
  variants: VariantSpec[];
  /** Absolute path of a custom validator module (`validate.runner`), or undefined for onnxpress's own. */
  validate: { runner?: string };
  report: ReportSettings;
  /** Seconds one variant may take to convert and validate; undefined: no limit. */
  timeout?: number;
}

export type EntryStatus = 'pass' | 'fail' | 'error';
export type EntryStage = 'convert' | 'validate' | 'worker';

export interface EntryError {
  /** Where it failed: converting, validating, or the worker process itself (a crash). */
  stage: EntryStage;
  message: string;
  code?: string;
}

/** The outcome of one model in one variant. */
export interface EntryOutcome {
  model: string;
  variant: string;
  status: EntryStatus;
  /** The original model file, and its size with external data. */
  input: string;
  inputBytes: number;
  /** The converted file, and its size with external data (absent when conversion failed). */
  output?: string;
  outputBytes?: number;
  /** One summary per pass of the variant. */
  conversion?: ConversionSummary[];
  result?: ValidationResult;
  error?: EntryError;
  /** True when this outcome was reused from the cache instead of computed in this run. */
  cached: boolean;
  /** Wall time of the conversion and validation when it was computed. */
  seconds: number;
}
