/**
 * Opset imports for the quantized model. The integer ops need opset 11
 * (DynamicQuantizeLinear) and per-axis DequantizeLinear needs 13; q4's blocked
 * DequantizeLinear (QDQ) needs 21. An older model is upgraded by the version
 * converter (../version/), which rewrites the ops whose signature changed.
 */
import type { Model } from '../../ir/model.js';
import { isOnnxpressError, modelError } from '../../errors.js';
import { upgradeBlockers, upgradeOpset } from '../version/upgrade.js';

export interface OpsetChange {
  from: number;
  to: number;
  /** What the version converter did (ops rewritten, IR version, assumptions). */
  notes: string[];
}

/** The error for a model that cannot reach `minimum`; `needs` says what needs it ('int8 quantization'). */
function opsetError(model: Model, minimum: number, needs: string, why: string, hint: string | undefined, cause?: unknown) {
  const current = model.opsetVersion('') ?? 1;
  return modelError(`${needs} needs opset ${minimum} and the model imports opset ${current}: ${why}`, {
    file: model.sourcePath,
    ...(hint !== undefined ? { hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Makes the default-domain opset at least `minimum` with the version converter (../version/upgrade.ts), which
 * rewrites the ops whose signature changed on the way. Throws naming the ops it cannot upgrade (the model is
 * then unchanged); `needs` says what needs the opset. Returns what changed.
 */
export function ensureDefaultOpset(model: Model, minimum: number, needs = 'int8 quantization'): OpsetChange | undefined {
  const current = model.opsetVersion('') ?? 1;
  if (current >= minimum) return undefined;
  try {
    return { from: current, to: minimum, notes: upgradeOpset(model, minimum).notes };
  } catch (e) {
    if (!isOnnxpressError(e)) throw e;
    throw opsetError(model, minimum, needs, e.message, e.hint, e);
  }
}

/**
 * Throws what ensureDefaultOpset would, without changing the model, when it could not raise the opset to
 * `minimum`: for a pass that raises the opset after its rewrite and must refuse before it.
 */
export function checkDefaultOpset(model: Model, minimum: number, needs: string, hint?: string): void {
  if ((model.opsetVersion('') ?? 1) >= minimum) return;
  const blockers = upgradeBlockers(model, minimum);
  if (blockers.length > 0) throw opsetError(model, minimum, needs, `cannot upgrade: ${blockers.join('; ')}`, hint);
}

export const MS_DOMAIN = 'com.microsoft';

/** Adds the com.microsoft opset import if the model lacks it. */
export function ensureMicrosoftOpset(model: Model): void {
  if (model.opsetVersion(MS_DOMAIN) === undefined) model.setOpsetVersion(MS_DOMAIN, 1);
}
