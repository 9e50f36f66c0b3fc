/** The public API of onnxpress. */
import './conversions.js';

export * from './ir/index.js';
export { float16ToFloat32, float32ToFloat16, float32ToFloat16Clamped, bfloat16ToFloat32, float32ToBfloat16 } from './ir/float16.js';
export { loadModel, parseModel, type ParseOptions } from './io/load.js';
export { saveModel, type SaveOptions, type SaveResult } from './io/save.js';
export { modelToBytes } from './io/bytes.js';
export { OnnxpressError, isOnnxpressError, type ErrorCode } from './errors.js';
export { summarizeModel, type ModelSummary } from './analysis/inspect.js';
export { convertFile, convertModel, conversionNames, registerConversion, outputPaths } from './convert.js';
export type { ConversionDef, ConversionOption, ConversionSummary } from './conversion-def.js';
export type { Pass, PassResult } from './passes/pass.js';

// Conversions
export { toFloat16, fp16Pass, type Fp16Result } from './passes/fp16/convert.js';
export type { Fp16Options, AutoBlockOptions } from './passes/fp16/options.js';
export type { Fp16Summary } from './passes/fp16/summary.js';
export { DEFAULT_BLOCK_RULES, blockRuleFor, type BlockRule } from './passes/fp16/blocklist.js';
export { cleanupCasts, castCleanupPass } from './passes/cleanup/casts.js';
export { quantizeDynamic, quantizeDynamicPass, type QuantizeResult, type QuantizeSummary } from './passes/quantize/quantize.js';
export type { QuantizeDynamicOptions, QuantFormat } from './passes/quantize/options.js';
export { quantizeTensor, computeQuantParams } from './passes/quantize/params.js';

// Validation
export { validate, inferKind, type ValidateOptions, type LatencyOptions, type ValidateProgress } from './validate/validate.js';
export { synthesizeInputs, type SynthesisOptions } from './validate/synthesize.js';
export { loadInputs, modelInputs, type InputSet, type InputSample, type ModelInput } from './validate/inputs.js';
export { readTensorFile, loadTestDataSet } from './io/tensor-files.js';
export { toOrtTensor, fromOrtTensor } from './runtime/ort-tensors.js';
export { parseNpy, readNpyFile } from './io/npy.js';
export { readLabels } from './io/labels.js';
export { compareOutputs, accuracy } from './validate/metrics.js';
export { parseThreshold, DEFAULT_THRESHOLDS } from './validate/thresholds.js';
export { buildValidationResult, buildSummary, exitCodeFor } from './validate/result.js';
export type * from './validate/types.js';

// Reports
export { writeReports, renderJson, renderMarkdown, renderHtml, renderJUnit, parseReport, compareReports, type ReportFormat } from './report/index.js';

// Pipelines
export { loadPipeline, parsePipeline } from './pipeline/normalize.js';
export { planPipeline, parseShard, type Plan } from './pipeline/plan.js';
export { runPipeline, type RunOptions, type PipelineRunResult } from './pipeline/run.js';
export { PipelineError } from './pipeline/errors.js';
export type { PipelineConfig, EntryOutcome } from './pipeline/types.js';
export type { ValidateRequest, ValidateFn } from './pipeline/validator.js';
