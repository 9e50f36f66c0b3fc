/** Conditions a weight must meet before any rewrite touches the graph. */
import type { QuantizeContext } from './context.js';
import { floatData, type ConstantWeight } from './weights.js';

/** Why the weight cannot be quantized, or undefined when it can. */
export function weightProblem(ctx: QuantizeContext, weight: ConstantWeight, what: string, ranks: readonly number[]): string | undefined {
  const rank = weight.tensor.dims.length;
  if (!ranks.includes(rank)) return `${what} has rank ${rank}, expected ${ranks.join(' or ')}`;
  const count = weight.tensor.elementCount;
  if (count === 0) return `${what} is empty`;
  if (count < ctx.options.minElements) return `${what} has ${count} elements, fewer than --min-elements ${ctx.options.minElements}`;
  const data = floatData(weight);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) return `${what} holds ${Number.isNaN(data[i]!) ? 'NaN' : 'infinite'} values`;
  }
  return undefined;
}
