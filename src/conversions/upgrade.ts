/**
 * `convert --to upgrade --opset N` (and pipeline `to: upgrade, opset: N`): the version converter as a
 * conversion, so that pipelines can chain it before others. `convert --opset N --to X` runs it before X.
 */
import { usageError } from '../errors.js';
import type { ConversionDef } from './types.js';

/** The highest opset accepted (passes/version/versions.ts MAX_TARGET_OPSET; kept here so this module stays light). */
const MAX_OPSET = 23;

/** The target opset from the `opset` flag; undefined when it was not given. */
export function opsetFromFlags(flags: Record<string, unknown>): number | undefined {
  const raw = flags.opset;
  if (raw === undefined || raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 7 || n > MAX_OPSET) {
    const given = typeof raw === 'string' || typeof raw === 'number' ? raw : JSON.stringify(raw);
    throw usageError(`--opset must be an opset from 7 to ${MAX_OPSET} (got ${given})`);
  }
  return n;
}

/** The flag (and pipeline key of `to: upgrade`): a global option of `convert`, whatever `--to` is. */
export const OPSET_FLAG = 'opset';

export const OPSET_OPTION = {
  type: 'number',
  describe: `Upgrade the model to this default-domain opset (7-${MAX_OPSET}) first, rewriting ops whose signature changed`,
} as const;

export const upgradeConversion: ConversionDef = {
  name: 'upgrade',
  describe: 'raise the default-domain opset (--opset N), rewriting every op whose signature changed on the way',
  options: { [OPSET_FLAG]: OPSET_OPTION },
  async passes(options) {
    const opset = opsetFromFlags(options);
    if (opset === undefined) throw usageError('--to upgrade needs --opset N (the target opset)');
    const { UpgradeOpsetPass } = await import('../passes/version/upgrade.js');
    return [new UpgradeOpsetPass(opset)];
  },
};
