/** The public API of onnxpress. */
export * from './ir/index.js';
export { float16ToFloat32, float32ToFloat16, float32ToFloat16Clamped, bfloat16ToFloat32, float32ToBfloat16 } from './ir/float16.js';
export { loadModel, parseModel, type ParseOptions } from './io/load.js';
export { saveModel, type SaveOptions, type SaveResult } from './io/save.js';
export { modelToBytes } from './io/bytes.js';
export {
  OnnxpressError,
  isOnnxpressError,
  externalDataError,
  inputError,
  modelError,
  parseError,
  passError,
  pipelineError,
  readError,
  runtimeError,
  timeoutError,
  tooLargeError,
  usageError,
  writeError,
  type ErrorCode,
  type ErrorOptions,
} from './errors.js';
export { summarizeModel, type ModelSummary } from './analysis/inspect.js';
export {
  applyConversions,
  convertFile,
  convertModel,
  outputPaths,
  summarizePasses,
  type ConversionStep,
  type ConvertFileOptions,
  type ConvertFileResult,
} from './convert.js';
export { makeVariants, type MakeVariantsOptions, type VariantOutcome, type VariantsResult } from './variants/variants.js';
export type { ConversionContext, ConversionDef, ConversionOption, ConversionSummary } from './conversions/types.js';
export { ConversionRegistry, loadConversionModule } from './conversions/registry.js';
export { BUILT_IN_CONVERSIONS, builtInConversions } from './conversions/builtins.js';

// Passes
export { PassBase, type Condition, type Pass, type PassResult } from './passes/pass.js';
export { PassError, PassManager, Sequential, type PassManagerOptions, type PassManagerResult, type PassRecord } from './passes/manager.js';
export { graphSorted } from './passes/conditions.js';

// Conversions
export { toFloat16, Fp16Pass, type Fp16Result } from './passes/fp16/convert.js';
export type { Fp16Options, AutoBlockOptions, ActivationStats } from './passes/fp16/options.js';
export { measureActivations, measureForAutoBlock, type MeasureOptions } from './runtime/activations.js';
export type { Fp16Summary } from './passes/fp16/summary.js';
export { DEFAULT_BLOCK_RULES, blockRuleFor, type BlockRule } from './passes/fp16/blocklist.js';
export { cleanupCasts, CastCleanupPass } from './passes/cleanup/casts.js';
export { quantizeDynamic, QuantizeDynamicPass, type QuantizeResult, type QuantizeSummary } from './passes/quantize/quantize.js';
export type { QuantizeDynamicOptions, QuantFormat } from './passes/quantize/options.js';
export { quantizeTensor, computeQuantParams } from './passes/quantize/params.js';
export { quantizeNBits, QuantizeNBitsPass, type QuantizeNBitsResult, type QuantizeNBitsSummary } from './passes/quantize-nbits/quantize.js';
export type { QuantizeNBitsOptions, NBitsFormat, NBitsOpType } from './passes/quantize-nbits/options.js';
export type { QuantizedNode, SkippedNode } from './passes/quantize-nbits/context.js';
export { upgradeOpset, UpgradeOpsetPass, type UpgradeSummary } from './passes/version/upgrade.js';

// Validation
export { validate, inferKind, type ValidateOptions, type ValidateProgress } from './validate/validate.js';
export { normalizeValidateOptions, type NormalizedValidateOptions, type RawValidateOptions, type LatencyOptions } from './validate/options.js';
export { synthesizeInputs, type SynthesisOptions } from './validate/synthesize.js';
export { loadInputs, modelInputs, type InputSet, type InputSample, type ModelInput } from './validate/inputs.js';
export { readTensorFile, loadTestDataSet } from './io/tensor-files.js';
export { toOrtTensor, fromOrtTensor } from './runtime/ort-tensors.js';
export { parseNpy, readNpyFile } from './io/npy.js';
export { readLabels } from './io/labels.js';
export { compareOutputs, accuracy } from './validate/metrics.js';
export { parseThreshold, resolveThresholds, DEFAULT_THRESHOLDS } from './validate/thresholds.js';
export { buildValidationResult, buildSummary, exitCodeFor } from './validate/result.js';
export type * from './validate/types.js';

// Reports
export { writeReports, renderJson, renderMarkdown, renderHtml, renderJUnit, parseReport, compareReports, type ReportFormat } from './report/index.js';
export { mergeSummaries, type MergeInput, type MergeOptions } from './report/merge.js';

// Pipelines
export { loadPipeline, parsePipeline } from './pipeline/normalize.js';
export { planPipeline, parseShard, type Plan } from './pipeline/plan.js';
export { runPipeline, type RunOptions, type PipelineRunResult } from './pipeline/run.js';
export { PipelineError } from './pipeline/errors.js';
export type { PipelineConfig, EntryOutcome } from './pipeline/types.js';
export type { ValidateFn } from './pipeline/validator.js';
