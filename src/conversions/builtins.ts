/** The conversions onnxpress ships. Their modules are light: each loads its passes only when it runs. */
import { fp16Conversion } from './fp16.js';
import { int8Conversion } from './int8.js';
import { q4Conversion } from './q4.js';
import { q4f16Conversion } from './q4f16.js';
import { ConversionRegistry } from './registry.js';
import type { ConversionDef } from './types.js';
import { upgradeConversion } from './upgrade.js';

/** `--to none`: re-save the model unchanged (lossless). */
export const noneConversion: ConversionDef = {
  name: 'none',
  describe: 're-save the model unchanged (lossless)',
  options: {},
  passes: () => [],
  summarize: () => ({ kind: 'none', modified: false }),
};

export const BUILT_IN_CONVERSIONS: readonly ConversionDef[] = [
  noneConversion,
  fp16Conversion,
  int8Conversion,
  q4Conversion,
  q4f16Conversion,
  upgradeConversion,
];

/** A registry of the built-in conversions. */
export function builtInConversions(): ConversionRegistry {
  return new ConversionRegistry(BUILT_IN_CONVERSIONS);
}
