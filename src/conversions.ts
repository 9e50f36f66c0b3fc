/** Registers every conversion the toolchain ships, for the CLI and pipelines. */
import { registerConversion } from './convert.js';
import type { ConversionDef } from './conversion-def.js';

const BUILT_IN: ConversionDef[] = [];

for (const def of BUILT_IN) registerConversion(def);
