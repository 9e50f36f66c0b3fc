/** Registers every conversion the toolchain ships, for the CLI and pipelines. */
import { registerConversion } from './convert.js';
import type { ConversionDef } from './conversion-def.js';
import { int8Conversion } from './passes/quantize/conversion.js';

const BUILT_IN: ConversionDef[] = [int8Conversion];

for (const def of BUILT_IN) registerConversion(def);
