/**
 * The pass contract. A pass changes a model through the IR's mutation API (in place, or by returning a new
 * model), visits subgraphs and functions, declares what it needs before it runs (`requires`) and what it
 * guarantees after (`ensures`), and returns whether it changed anything plus a summary the CLI and reports print.
 * Passes depend on src/ir only: anything that needs files or a runtime is done before, by whoever builds them.
 */
import type { Model } from '../ir/model.js';

export interface PassResult<Summary = unknown> {
  /** The model after the pass: the same object for in-place passes. */
  model: Model;
  /** False when the pass found nothing to change. */
  modified: boolean;
  summary?: Summary;
}

/** A property of a model: `check` returns what is wrong (one line), or undefined when it holds. */
export interface Condition {
  readonly name: string;
  check(model: Model): string | undefined;
}

export interface Pass<Summary = unknown> {
  readonly name: string;
  /** True when `run` changes the model it is given (and returns it); false when it returns a new model. */
  readonly inPlace: boolean;
  readonly requires: readonly Condition[];
  readonly ensures: readonly Condition[];
  run(model: Model): PassResult<Summary> | Promise<PassResult<Summary>>;
}

/** A base for passes that change the model in place: subclasses implement `call`. */
export abstract class PassBase<Summary = unknown> implements Pass<Summary> {
  abstract readonly name: string;
  readonly inPlace: boolean = true;
  readonly requires: readonly Condition[] = [];
  readonly ensures: readonly Condition[] = [];

  protected abstract call(model: Model): { modified: boolean; summary?: Summary };

  run(model: Model): PassResult<Summary> {
    return { model, ...this.call(model) };
  }
}
