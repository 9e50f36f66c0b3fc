/**
 * The pass contract. A pass changes a model in place through the IR's
 * mutation API, visits subgraphs and functions, and returns a summary of what
 * it did that the CLI and reports can print.
 */
import type { Model } from '../ir/model.js';

export interface PassResult<Summary> {
  /** False when the pass found nothing to change (the model is untouched). */
  modified: boolean;
  summary: Summary;
}

export interface Pass<Options, Summary> {
  readonly name: string;
  run(model: Model, options: Options): PassResult<Summary>;
}
