/**
 * What a conversion (`convert --to NAME`, a pipeline variant's `to:`) declares:
 * its CLI flags, how flags (or pipeline keys) become pass options, and the run.
 */
import type { Model } from './ir/model.js';

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

export interface ConversionDef {
  /** The name after `--to`. */
  readonly name: string;
  readonly describe: string;
  /** CLI flags in kebab-case (e.g. `keep-io-types`); pipeline files use their camelCase form. */
  readonly options: Readonly<Record<string, ConversionOption>>;
  /** Runs the conversion in place; `options` has camelCase keys (yargs provides both forms). */
  run(model: Model, options: Record<string, unknown>): ConversionSummary;
}
