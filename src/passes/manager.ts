/**
 * Running passes: `PassManager` runs a list in order, checks each pass's declared `requires` before it and
 * `ensures` after it, and, when one fails, says which pass it was and which passes ran before it.
 * `Sequential` groups passes into one pass, so a conversion made of several passes nests in a longer chain.
 */
import { isOnnxpressError, messageOf, OnnxpressError } from '../errors.js';
import type { Model } from '../ir/model.js';
import type { Condition, Pass, PassResult } from './pass.js';

/** What one pass did, in the order the passes ran. */
export interface PassRecord {
  name: string;
  modified: boolean;
  summary?: unknown;
}

export interface PassManagerResult extends PassResult<PassRecord[]> {
  summary: PassRecord[];
}

export interface PassManagerOptions {
  /** Run the whole list again while something changes, at most this many times in all (default 1: once). */
  maxRounds?: number;
  /** Check `requires`/`ensures` (default true). */
  checkContracts?: boolean;
}

/**
 * A pass failed, or broke its contract: names it and the passes that ran before it. The first pass's own
 * errors (already written for users, like "fp16: cannot convert this model safely ...") keep their text.
 */
export class PassError extends OnnxpressError {
  constructor(
    readonly pass: string,
    readonly ranBefore: readonly string[],
    message: string,
    cause: unknown,
    code: OnnxpressError['code'] = 'E_PASS',
  ) {
    const ownWords = isOnnxpressError(cause) && ranBefore.length === 0;
    super(code, ownWords ? message : `${message} [pass ${pass}${ranBefore.length ? `, after ${ranBefore.join(', ')}` : ''}]`, {
      cause,
      ...(isOnnxpressError(cause) && cause.file !== undefined ? { file: cause.file } : {}),
    });
    this.name = 'PassError';
  }
}

function unmet(conditions: readonly Condition[], model: Model): string | undefined {
  for (const condition of conditions) {
    const problem = condition.check(model);
    if (problem !== undefined) return `'${condition.name}' does not hold: ${problem}`;
  }
  return undefined;
}

export class PassManager {
  private readonly maxRounds: number;
  private readonly checkContracts: boolean;

  constructor(
    readonly passes: readonly Pass[],
    options: PassManagerOptions = {},
  ) {
    this.maxRounds = Math.max(1, options.maxRounds ?? 1);
    this.checkContracts = options.checkContracts ?? true;
  }

  /** `ranBefore`: passes already run on this model by an earlier manager, for error messages. */
  async run(model: Model, options: { ranBefore?: readonly string[] } = {}): Promise<PassManagerResult> {
    const records: PassRecord[] = [];
    const earlier = options.ranBefore ?? [];
    let current = model;
    let modified = false;
    for (let round = 0; round < this.maxRounds; round++) {
      let changed = false;
      for (const pass of this.passes) {
        const ran = [...earlier, ...records.map((r) => r.name)];
        const result = await this.runOne(pass, current, ran);
        records.push({ name: pass.name, modified: result.modified, ...(result.summary !== undefined ? { summary: result.summary } : {}) });
        current = result.model;
        changed ||= result.modified;
      }
      modified ||= changed;
      if (!changed) break;
    }
    return { model: current, modified, summary: records };
  }

  private async runOne(pass: Pass, model: Model, ranBefore: readonly string[]): Promise<PassResult> {
    if (this.checkContracts) {
      const problem = unmet(pass.requires, model);
      if (problem) throw new PassError(pass.name, ranBefore, `cannot run: ${problem}`, undefined);
    }
    let result: PassResult;
    try {
      result = await pass.run(model);
    } catch (e) {
      if (e instanceof PassError) throw e;
      // The file goes back in front of the message through the error's own `file`.
      const text = isOnnxpressError(e) && e.file !== undefined ? e.message.slice(e.file.length + 2) : messageOf(e);
      throw new PassError(pass.name, ranBefore, text, e, isOnnxpressError(e) ? e.code : 'E_PASS');
    }
    if (pass.inPlace && result.model !== model) {
      throw new PassError(pass.name, ranBefore, 'declared in place but returned another model', undefined);
    }
    if (this.checkContracts) {
      const problem = unmet(pass.ensures, result.model);
      if (problem) throw new PassError(pass.name, ranBefore, `broke its promise: ${problem}`, undefined);
    }
    return result;
  }
}

/** Several passes as one: runs them in order (through a PassManager, so contracts hold inside too). */
export class Sequential implements Pass<PassRecord[]> {
  readonly inPlace: boolean;
  readonly requires: readonly Condition[];
  readonly ensures: readonly Condition[];

  constructor(
    readonly name: string,
    readonly passes: readonly Pass[],
  ) {
    this.inPlace = passes.every((p) => p.inPlace);
    this.requires = passes[0]?.requires ?? [];
    this.ensures = passes[passes.length - 1]?.ensures ?? [];
  }

  run(model: Model): Promise<PassManagerResult> {
    return new PassManager(this.passes).run(model);
  }
}
