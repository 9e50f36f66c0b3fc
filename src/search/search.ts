/**
 * Accuracy-guided conversion: which nodes to keep at higher precision so that the converted model meets every
 * threshold on the given inputs, at the smallest size. The full conversion is tried first; if it fails, `diagnose`
 * ranks the nodes it changed by the error each introduces, and the search keeps the top k of that ranking at the
 * next rung of the ladder (ladder.ts), doubling k until the thresholds are met and then bisecting down to the
 * smallest k that meets them; a rung that cannot meet them even with every node passes to the next. Every
 * candidate is converted for real and validated in ONNX Runtime; the budget caps how many validations run.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInConversions } from '../conversions/builtins.js';
import type { ConversionRegistry } from '../conversions/registry.js';
import { applyConversions } from '../convert.js';
import { diagnose } from '../diagnose/diagnose.js';
import { usageError } from '../errors.js';
import { readLabels } from '../io/labels.js';
import { writeFileAtomically } from '../io/atomic-write.js';
import { loadModel } from '../io/load.js';
import { DataType } from '../ir/dtypes.js';
import type { Value } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { saveModel } from '../io/save.js';
import { loadInputs, modelInputs } from '../validate/inputs.js';
import { normalizeValidateOptions } from '../validate/options.js';
import type { Threshold, ThresholdCheck } from '../validate/types.js';
import { runValidation } from '../validate/validate.js';
import { DEFAULT_HOLDOUT_FRACTION, splitHoldout, type InputPart } from './holdout.js';
import { ladderFor, optionsKeeping, type Ladder, type Rung } from './ladder.js';

export const DEFAULT_BUDGET = 20;
/** A diagnosis runs three sessions of the model's size: it counts as two validations. */
const DIAGNOSIS_COST = 2;
/** Introduced error above this SQNR is kernel noise: the node was not changed by the conversion. */
const UNCHANGED_SQNR_DB = 100;

export interface SearchOptions {
  input: string;
  output: string;
  to: string;
  /** The conversion's own options (camelCase). */
  options?: Record<string, unknown>;
  thresholds: readonly Threshold[];
  /** Input files or folders (as validate takes them). */
  inputs: readonly string[];
  labels?: string;
  holdoutFraction?: number;
  /** Most validations the search may run (default 20). */
  budget?: number;
  registry?: ConversionRegistry;
  threads?: number;
  onStep?: (step: SearchStep) => void;
}

export interface SearchStep {
  step: number;
  /** What was tried, e.g. "top 4 nodes at eight-bit". */
  tried: string;
  kept: { node: string; rung: Rung }[];
  bytes: number;
  /** Measured value of each threshold check, by check id. */
  metrics: Record<string, number | null>;
  /** Threshold checks that failed. */
  failed: number;
  passed: boolean;
}

export interface SearchResult {
  input: string;
  output: string;
  inputBytes: number;
  outputBytes: number;
  /** Whether the written model meets every threshold on the search inputs. */
  passed: boolean;
  kept: { node: string; rung: Rung }[];
  /** Embedding tables the conversion leaves float that the search stored at 8 bits to make room (also in `kept`). */
  tables: string[];
  /** The flags that reproduce the written model (lists in files written beside it). */
  reproduce: { flag: string; file: string; nodes: string[] }[];
  steps: SearchStep[];
  /** Validations run, the diagnosis counted as two. */
  validations: number;
  budget: number;
  ranked: number;
  holdout: { description: string; checks?: ThresholdCheck[]; passed?: boolean };
  checks: ThresholdCheck[];
}

interface Evaluation {
  step: SearchStep;
  checks: ThresholdCheck[];
}

class Search {
  readonly steps: SearchStep[] = [];
  validations = 0;
  private readonly work: string;

  constructor(
    private readonly o: SearchOptions,
    private readonly ladder: Ladder,
    private readonly part: InputPart,
    private readonly registry: ConversionRegistry,
    /** The baseline's structure (weights not read), loaded once for the search. */
    private readonly baseline: Model,
  ) {
    this.work = mkdtempSync(join(tmpdir(), 'onnxpress-search-'));
  }

  get remaining(): number {
    return (this.o.budget ?? DEFAULT_BUDGET) - this.validations;
  }

  close(): void {
    rmSync(this.work, { recursive: true, force: true });
  }

  /** Converts with `kept` and writes the model to `path`; returns its size. */
  async convert(kept: ReadonlyMap<string, Rung>, path: string, protect: readonly string[] = []): Promise<number> {
    const model = loadModel(this.o.input);
    await applyConversions(model, [{ to: this.o.to, options: optionsKeeping(this.ladder, this.o.options ?? {}, kept) }], this.registry);
    return saveModel(model, path, { protect: [this.o.input, ...protect] }).bytes;
  }

  async validate(candidate: string, part: InputPart): Promise<ThresholdCheck[]> {
    this.validations++;
    const options = normalizeValidateOptions({
      baseline: this.o.input,
      candidate,
      thresholds: [...this.o.thresholds],
      defaultThresholds: false,
      ...(this.o.threads !== undefined ? { threads: this.o.threads } : {}),
    });
    const result = await runValidation(options, { inputSet: part.set, ...(part.labels ? { labels: part.labels } : {}) });
    return result.checks;
  }

  async evaluate(kept: ReadonlyMap<string, Rung>, tried: string): Promise<Evaluation> {
    const path = join(this.work, `step-${this.steps.length}.onnx`);
    const bytes = await this.convert(kept, path);
    const checks = await this.validate(path, this.part);
    rmSync(path, { force: true });
    const step: SearchStep = {
      step: this.steps.length,
      tried,
      kept: [...kept].map(([node, rung]) => ({ node, rung })),
      bytes,
      metrics: Object.fromEntries(checks.map((c) => [c.id, c.actual])),
      failed: checks.filter((c) => c.status === 'fail').length,
      passed: checks.every((c) => c.status !== 'fail'),
    };
    this.steps.push(step);
    this.o.onStep?.(step);
    return { step, checks };
  }

  /** Elements of each ranked node's weights (what keeping it at a higher rung costs). */
  readonly weightElements = new Map<string, number>();

  /** The baseline's nodes the full conversion changed, worst introduced error first. */
  async rank(fullPath: string): Promise<string[]> {
    this.validations += DIAGNOSIS_COST;
    const result = await diagnose({
      baseline: this.o.input,
      candidate: fullPath,
      inputSet: this.part.set,
      ...(this.o.threads ? { threads: this.o.threads } : {}),
    });
    const baseline = this.baseline;
    const named = new Set([...baseline.graph.nodes].map((n) => n.name).filter((n): n is string => !!n));
    const changed = result.nodes.filter((n) => n.introduced && n.introduced.sqnrDb < UNCHANGED_SQNR_DB && named.has(n.name));
    // The last layers' error reaches the outputs with no normalization to damp it: they go first (the usual advice
    // of keeping the last layer at higher precision; on char_gpt its head alone gained the most cosine at 8 bits).
    const final = finalNodes(baseline);
    changed.sort((a, b) => Number(final.has(b.name)) - Number(final.has(a.name)));
    for (const n of changed)
      this.weightElements.set(
        n.name,
        n.weights.reduce((sum, w) => sum + w.elements, 0),
      );
    return changed.map((n) => n.name);
  }

  workPath(name: string): string {
    return join(this.work, name);
  }
}

/** Nodes whose output reaches a graph output through ops that only move data. */
function finalNodes(model: Model): Set<string> {
  const out = new Set<string>();
  const todo = [...model.graph.outputs];
  const seen = new Set<Value>();
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const producer = v.producer();
    if (!producer) continue;
    // A bias Add (one constant operand) moves the value too; an Add of two computed values is a residual join.
    const biasAdd = producer.opType === 'Add' && producer.inputs.some((i) => i?.initializer);
    if (MOVERS.has(producer.opType) || biasAdd) {
      for (const input of producer.inputs) if (input && !input.initializer) todo.push(input);
    } else if (producer.name) out.add(producer.name);
  }
  return out;
}

const MOVERS = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Cast']);

function keeping(ranked: readonly string[], count: number, rung: Rung, below?: Rung, base: ReadonlyMap<string, Rung> = new Map()): Map<string, Rung> {
  const kept = new Map<string, Rung>(base);
  ranked.forEach((name, i) => {
    if (i < count) kept.set(name, rung);
    else if (below) kept.set(name, below);
  });
  return kept;
}

/**
 * Smallest k in [1, n] for which `passes(k)` holds, assuming it holds from some k on: doubling, then bisection.
 * Undefined when even n fails or the budget runs out first.
 */
async function smallestPassing(n: number, passes: (k: number) => Promise<boolean | undefined>): Promise<number | undefined> {
  let failed = 0;
  let k = 1;
  let passedAt: number | undefined;
  for (;;) {
    const ok = await passes(k);
    if (ok === undefined) return undefined;
    if (ok) {
      passedAt = k;
      break;
    }
    failed = k;
    if (k === n) return undefined;
    k = Math.min(n, k * 2);
  }
  let lo = failed;
  let hi = passedAt;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const ok = await passes(mid);
    if (ok === undefined) break;
    if (ok) hi = mid;
    else lo = mid;
  }
  return hi;
}

export async function searchConversion(o: SearchOptions): Promise<SearchResult> {
  if (o.thresholds.length === 0) throw usageError('an accuracy-guided conversion needs at least one --threshold');
  if (o.inputs.length === 0) throw usageError('--threshold needs --inputs: the search measures the thresholds on them');
  const ladder = ladderFor(o.to);
  const input = resolve(o.input);
  const registry = o.registry ?? builtInConversions();
  const baseline = loadModel(input, { deferWeights: true });
  const set = loadInputs(o.inputs, modelInputs(baseline));
  const labels = o.labels !== undefined ? readLabels(o.labels) : undefined;
  const split = splitHoldout(set, labels, o.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION);
  const search = new Search({ ...o, input }, ladder, split.search, registry, baseline);
  try {
    const passing: Evaluation[] = [];
    const note = (e: Evaluation): boolean => {
      if (e.step.passed) passing.push(e);
      return e.step.passed;
    };
    const full = await search.evaluate(new Map(), 'the full conversion');
    let ranked: string[] = [];
    let tables: string[] = [];
    if (!note(full) && search.remaining > DIAGNOSIS_COST) {
      const fullPath = search.workPath('full.onnx');
      await search.convert(new Map(), fullPath);
      ranked = await search.rank(fullPath);
      rmSync(fullPath, { force: true });
      // Embedding tables the conversion leaves float go to 8 bits: the room they free pays for nodes kept at 8 bits.
      const base = new Map<string, Rung>(ladder.tablesAtEightBit ? floatTables(baseline, ranked).map((t) => [t, 'eight-bit'] as const) : []);
      tables = [...base.keys()];
      let below: Rung | undefined;
      for (const rung of ladder.rungs) {
        if (ranked.length === 0) break;
        const tryK = async (k: number): Promise<boolean | undefined> => {
          // One validation stays for the held-out inputs.
          if (search.remaining < 2) return undefined;
          const what = `top ${k} of ${ranked.length} ranked nodes at ${rung}${below ? ` (the rest at ${below})` : ''}`;
          return note(await search.evaluate(keeping(ranked, k, rung, below, base), what));
        };
        const k = await smallestPassing(ranked.length, tryK);
        if (k !== undefined) {
          await prune(search, keeping(ranked, k, rung, below, base), new Set(ranked), rung, below, note);
          break;
        }
        below = rung;
      }
    }
    // The smallest passing model; if none passed, the one closest to passing (fewest failed checks, then smallest).
    const best =
      passing.sort((a, b) => a.step.bytes - b.step.bytes)[0] ??
      [...search.steps]
        .map((step) => ({ step, checks: [] as ThresholdCheck[] }))
        .sort((a, b) => a.step.failed - b.step.failed || a.step.bytes - b.step.bytes)[0]!;
    const kept = new Map(best.step.kept.map((k) => [k.node, k.rung] as const));
    const outputBytes = await search.convert(kept, resolve(o.output));
    const checks = passing.includes(best) ? best.checks : await search.validate(resolve(o.output), split.search);
    let holdout: SearchResult['holdout'] = { description: split.description };
    if (split.holdout) {
      const held = await search.validate(resolve(o.output), split.holdout);
      holdout = { description: split.description, checks: held, passed: held.every((c) => c.status !== 'fail') };
    }
    return {
      input,
      output: resolve(o.output),
      inputBytes: statSync(input).size,
      outputBytes,
      passed: checks.every((c) => c.status !== 'fail'),
      kept: best.step.kept,
      tables: tables.filter((t) => kept.has(t)),
      reproduce: writeKeptLists(resolve(o.output), ladder, best.step.kept),
      steps: search.steps,
      validations: search.validations,
      budget: o.budget ?? DEFAULT_BUDGET,
      ranked: ranked.length,
      holdout,
      checks,
    };
  } finally {
    search.close();
  }
}

/**
 * Bisection finds the smallest k of the ranking; the ranking is a heuristic, so some of the top k may not be
 * needed. With budget left, each kept node is tried without its rung, largest weights first, and stays dropped
 * when the thresholds still hold.
 */
async function prune(
  search: Search,
  kept: Map<string, Rung>,
  ranked: ReadonlySet<string>,
  rung: Rung,
  below: Rung | undefined,
  note: (e: Evaluation) => boolean,
): Promise<void> {
  const nodes = [...kept].filter(([n, r]) => r === rung && ranked.has(n)).map(([n]) => n);
  nodes.sort((a, b) => (search.weightElements.get(b) ?? 0) - (search.weightElements.get(a) ?? 0));
  for (const node of nodes) {
    if (search.remaining < 2) return;
    const without = new Map(kept);
    if (below) without.set(node, below);
    else without.delete(node);
    if (note(await search.evaluate(without, `without ${node} at ${rung}`))) kept = without;
  }
}

/** Tables smaller than this stay float: the room they would free is not worth their error. */
const MIN_TABLE_ELEMENTS = 16_384;

/**
 * Gathers of a constant float table of at least MIN_TABLE_ELEMENTS that the conversion did not change (not among
 * the ranked nodes): embedding tables that q4's default op types leave float.
 */
function floatTables(model: Model, ranked: readonly string[]): string[] {
  const changed = new Set(ranked);
  return [...model.graph.nodes]
    .filter((n) => n.isOnnxOp('Gather') && n.name && !changed.has(n.name))
    .filter((n) => {
      const table = n.input(0)?.initializer;
      return table !== undefined && table.dataType === DataType.FLOAT && table.dims.reduce<number>((a, d) => a * Number(d), 1) >= MIN_TABLE_ELEMENTS;
    })
    .map((n) => n.name!);
}

/** Writes each rung's kept nodes, one per line, beside the output (`model.q4.eight-bit-nodes.txt`): `--flag @FILE` reads them. */
function writeKeptLists(output: string, ladder: Ladder, kept: readonly { node: string; rung: Rung }[]): SearchResult['reproduce'] {
  const stem = output.replace(/\.onnx$/i, '');
  return ladder.rungs.flatMap((rung) => {
    const nodes = kept.filter((k) => k.rung === rung).map((k) => k.node);
    const option = ladder.option[rung]!;
    if (nodes.length === 0) return [];
    const file = `${stem}.${option.flag}.txt`;
    writeFileAtomically(file, `${nodes.join('\n')}\n`);
    return [{ flag: option.flag, file, nodes }];
  });
}
