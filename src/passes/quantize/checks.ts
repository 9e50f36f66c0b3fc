/** Conditions a weight must meet before any rewrite touches the graph. */
import type { QuantizeContext } from './context.js';
import type { ConstantWeight } from './weights.js';

/** Why the weight cannot be quantized, or undefined when it can. */
export function weightProblem(ctx: QuantizeContext, weight: ConstantWeight, what: string, ranks: readonly number[]): string | undefined {
  const rank = weight.tensor.dims.length;
  if (!ranks.includes(rank)) return `${what} has rank ${rank}, expected ${ranks.join(' or ')}`;
  const count = weight.tensor.elementCount;
  if (count === 0) return `${what} is empty`;
  if (count < ctx.options.minElements) return `${what} has ${count} elements, fewer than --min-elements ${ctx.options.minElements}`;
  const data = ctx.floatData(weight);
  // x * 0 is 0 for every finite x and NaN for NaN and +-Infinity: one branch-free pass.
  let probe = 0;
  for (let i = 0; i < data.length; i++) probe += data[i]! * 0;
  if (probe === 0) return undefined;
  return `${what} holds ${data.some(Number.isNaN) ? 'NaN' : 'infinite'} values`;
}
