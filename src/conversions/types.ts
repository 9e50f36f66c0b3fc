/**
 * What a conversion (`convert --to NAME`, a pipeline variant's `to:`) is: a name, an options schema (its CLI
 * flags, which pipeline files spell in camelCase), and a factory that turns options into the passes to run.
 */
import type { Model } from '../ir/model.js';
import type { PassRecord } from '../passes/manager.js';
import type { Pass } from '../passes/pass.js';
import type { ConversionKind } from '../validate/types.js';

export interface ConversionOption {
  type: 'string' | 'boolean' | 'number' | 'array';
  describe: string;
  default?: unknown;
  choices?: readonly string[];
}

export interface ConversionSummary {
  kind: string;
  /** False when nothing was changed (the honest result for some inputs). */
  modified?: boolean;
  /** One-line notes for the user (what was skipped and why, what is off by default). */
  notes?: string[];
  [key: string]: unknown;
}

/** What a conversion's factory may look at: the model as it is when the conversion's turn comes. */
export interface ConversionContext {
  model: Model;
}

export interface ConversionDef {
  /** The name after `--to`. */
  readonly name: string;
  readonly describe: string;
  /** The default validation thresholds for a variant made by this conversion alone (default: 'other'). */
  readonly kind?: ConversionKind;
  /** CLI flags in kebab-case (e.g. `keep-io-types`); pipeline files use their camelCase form. */
  readonly options: Readonly<Record<string, ConversionOption>>;
  /**
   * The passes to run, from camelCase options (yargs provides both forms). Anything that needs files or a
   * runtime (reading inputs, measuring activations) happens here, so the passes stay pure IR.
   */
  passes(options: Record<string, unknown>, context: ConversionContext): Pass[] | Promise<Pass[]>;
  /** The summary users see, from what the passes reported (default: see summarizePasses). */
  summarize?(records: readonly PassRecord[]): ConversionSummary;
}
