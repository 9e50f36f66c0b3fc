/** Registers every conversion the toolchain ships, for the CLI and pipelines. */
import { registerConversion } from './convert.js';
import type { ConversionDef } from './conversion-def.js';
import { fp16Conversion } from './passes/fp16/conversion.js';
import { int8Conversion } from './passes/quantize/conversion.js';

const BUILT_IN: ConversionDef[] = [fp16Conversion, int8Conversion];

for (const def of BUILT_IN) registerConversion(def);
