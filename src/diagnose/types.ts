/** What `diagnose` finds: per-node error of the candidate against the baseline, worst introduced error first. */
import type { ErrorMetrics } from './error-stats.js';

export type { ErrorMetrics } from './error-stats.js';

export interface WeightStats {
  name: string;
  elements: number;
  min: number;
  max: number;
  std: number;
  /** max |w| / standard deviation: how far the largest weight is from the bulk. */
  outlierRatio: number;
}

export interface NodeDiagnosis {
  /** The baseline node's name (its first output's name when it has none). */
  name: string;
  opType: string;
  /** The baseline value compared (the node's first floating-point output). */
  output: string;
  /** The candidate value it was compared with, and how it was found. */
  candidateOutput: string;
  matchedBy: 'name' | 'provenance';
  /** Position of the node in the baseline's graph order (the x axis of the depth chart). */
  index: number;
  /** The candidate's computation of this node fed the baseline's inputs, against the baseline's output. */
  introduced?: ErrorMetrics;
  /** Why the introduced error could not be measured. */
  introducedSkipped?: string;
  /** The candidate's value against the baseline's, end to end. */
  accumulated: ErrorMetrics;
  /** Largest |x| of the baseline's output. */
  outputMaxAbs: number;
  weights: WeightStats[];
  /** Largest |x| of the node's inputs over their RMS (activation outliers), when it has activation inputs. */
  inputOutlierRatio?: number;
  /** Why the node is sensitive, where that can be said. */
  reasons: string[];
}

export interface UnmatchedNodeReport {
  name: string;
  opType: string;
  output: string;
  reason: string;
}

export interface DiagnoseResult {
  baseline: string;
  candidate: string;
  inputs: string;
  samples: number;
  /** Worst introduced error first (nodes without one last, by accumulated error). */
  nodes: NodeDiagnosis[];
  unmatched: UnmatchedNodeReport[];
  /** Baseline nodes without a floating-point output (not compared). */
  notFloat: number;
  accuracy?: { output: string; baseline: number; candidate: number };
  notes: string[];
}
