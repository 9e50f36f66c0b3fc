/**
 * What "keep a node at higher precision" means for each conversion, rung by rung: for q4 and q4f16 a node goes
 * from 4-bit to 8-bit block-wise weights and then to float; for INT8 from int8 to float; for FP16 from float16 to
 * float32. Each rung is an option of the conversion, so a search's result is reproduced by those flags alone.
 */
import { usageError } from '../errors.js';

export type Rung = 'eight-bit' | 'float';

export interface Ladder {
  /** The rungs above the conversion's own precision, lowest first. */
  rungs: readonly Rung[];
  /** Whether float embedding tables (Gather) the conversion leaves alone may go to 8 bits to pay for kept nodes. */
  tablesAtEightBit: boolean;
  /** The conversion option (camelCase) that lists the nodes kept at each rung, and its flag. */
  option: Readonly<Record<Rung, { name: string; flag: string } | undefined>>;
}

const FLOAT_BY_EXCLUSION = { name: 'excludeNodes', flag: 'exclude-nodes' };
const EIGHT_BIT = { name: 'eightBitNodes', flag: 'eight-bit-nodes' };

const LADDERS: Readonly<Record<string, Ladder>> = {
  int8: { rungs: ['float'], tablesAtEightBit: false, option: { 'eight-bit': undefined, float: FLOAT_BY_EXCLUSION } },
  fp16: { rungs: ['float'], tablesAtEightBit: false, option: { 'eight-bit': undefined, float: { name: 'blockNodes', flag: 'block-nodes' } } },
  q4: { rungs: ['eight-bit', 'float'], tablesAtEightBit: true, option: { 'eight-bit': EIGHT_BIT, float: FLOAT_BY_EXCLUSION } },
  q4f16: { rungs: ['eight-bit', 'float'], tablesAtEightBit: true, option: { 'eight-bit': EIGHT_BIT, float: FLOAT_BY_EXCLUSION } },
};

/** Whether `convert --threshold` can search this conversion. */
export function hasLadder(to: string): boolean {
  return Object.hasOwn(LADDERS, to);
}

export function ladderFor(to: string): Ladder {
  const ladder = LADDERS[to];
  if (!ladder) throw usageError(`--threshold searches conversions ${Object.keys(LADDERS).join(', ')}; --to ${to} has no precision to fall back to`);
  return ladder;
}

function listOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The conversion's options with the kept nodes added to each rung's list (the user's own entries stay). */
export function optionsKeeping(ladder: Ladder, base: Readonly<Record<string, unknown>>, kept: ReadonlyMap<string, Rung>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const rung of ladder.rungs) {
    const option = ladder.option[rung]!;
    const names = [...kept].filter(([, r]) => r === rung).map(([n]) => n);
    if (names.length > 0) out[option.name] = [...listOf(base[option.name]), ...names];
  }
  return out;
}
