/** The public API of onnxpress. */
import './conversions.js';

export * from './ir/index.js';
export { float16ToFloat32, float32ToFloat16, float32ToFloat16Clamped, bfloat16ToFloat32, float32ToBfloat16 } from './ir/float16.js';
export { loadModel, parseModel, type ParseOptions } from './io/load.js';
export { saveModel, type SaveOptions, type SaveResult } from './io/save.js';
export { modelToBytes } from './io/bytes.js';
export { OnnxpressError, isOnnxpressError, type ErrorCode } from './io/errors.js';
export { summarizeModel, type ModelSummary } from './analysis/inspect.js';
export { convertFile, convertModel, conversionNames, registerConversion, outputPaths } from './convert.js';
export type { ConversionDef, ConversionOption, ConversionSummary } from './conversion-def.js';
export type { Pass, PassResult } from './passes/pass.js';
