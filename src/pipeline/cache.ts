/**
 * The run cache: one JSON record per (model, variant) in `<out>/.onnxpress-cache/`, keyed by a hash of
 * everything the outcome depends on: the model's bytes and external data, the variant's passes and
 * options, the validation settings (with the contents of test data and labels), the validator, and the
 * onnxpress and ONNX Runtime versions. A record whose key matches (and whose output file is still there)
 * replaces the conversion and the validation.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { constantTensors } from '../analysis/inspect.js';
import { writeFileAtomically } from '../io/atomic-write.js';
import { resolveExternalPath } from '../io/external-data.js';
import { parseModel } from '../io/load.js';
import { readBytes } from '../io/read-bytes.js';
import type { PlannedVariant } from './plan.js';
import { parseLossless, stringifyLossless } from './task.js';
import type { EntryOutcome } from './types.js';
import type { NormalizedValidateOptions } from '../validate/options.js';
import { toolVersions } from './versions.js';

const CACHE_FORMAT = 1;

export interface ModelFingerprint {
  /** sha256 of the model file. */
  model: string;
  /** External data files the model names, with their sha256, sorted by location. */
  external: [string, string][];
  /** Size of the model file plus its external data. */
  bytes: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Hashes a model and the external data it names. A file that does not parse is hashed as bytes alone
 * (the worker will report why it does not parse).
 */
export async function fingerprintModel(file: string): Promise<ModelFingerprint> {
  const bytes = readBytes(file);
  const locations = new Set<string>();
  try {
    const model = parseModel(bytes, { path: file });
    for (const { tensor } of constantTensors(model)) if (tensor.storage.kind === 'external') locations.add(tensor.storage.ref.location);
  } catch {
    // Not a model (or a broken one): its bytes are all there is to hash.
  }
  const external: [string, string][] = [];
  let size = bytes.length;
  for (const location of [...locations].sort()) {
    let target: string;
    try {
      target = resolveExternalPath(file, path.dirname(file), location);
      size += statSync(target).size;
      external.push([location, await hashFile(target)]);
    } catch {
      external.push([location, 'missing']);
    }
  }
  return { model: sha256(bytes), external, bytes: size };
}

type Hasher = (file: string) => Promise<string>;

async function hashFolder(dir: string, hash: Hasher): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) out.push([name, await hash(file)]);
  }
  return out;
}

/** What a validation depends on besides the two models: contents, not paths, so a moved project keeps its cache. */
async function optionsIdentity(options: NormalizedValidateOptions, hash: Hasher): Promise<unknown> {
  const { baseline: _baseline, candidate: _candidate, inputs, labels, ...settings } = options;
  return {
    ...settings,
    inputs: await Promise.all(inputs.map(async (p) => (statSync(p).isDirectory() ? hashFolder(p, hash) : hash(p)))),
    labels: labels === undefined ? null : await hash(labels),
  };
}

/**
 * A hasher that reads each file once: the variants of a model share its test data, labels and validator,
 * so keys made with one `sharedHashes()` hash them once, not once per variant.
 */
export function sharedHashes(): Hasher {
  const hashes = new Map<string, Promise<string>>();
  return (file) => {
    let hash = hashes.get(file);
    if (!hash) hashes.set(file, (hash = hashFile(file)));
    return hash;
  };
}

export interface KeyParts {
  fingerprint: ModelFingerprint;
  variant: PlannedVariant;
  /** The variant's validation options. */
  options: NormalizedValidateOptions;
  /** A custom validator module, or undefined for onnxpress's own. */
  validator?: string;
  /** Modules of extra conversions (their code decides the output too). */
  plugins?: readonly string[];
  /** Hashes of files the key depends on (default: read every time); see sharedHashes. */
  hash?: Hasher;
}

export async function entryKey(parts: KeyParts): Promise<string> {
  const hash = parts.hash ?? hashFile;
  const identity = {
    format: CACHE_FORMAT,
    versions: toolVersions(),
    model: { sha256: parts.fingerprint.model, external: parts.fingerprint.external },
    passes: parts.variant.passes,
    validate: await optionsIdentity(parts.options, hash),
    validator: parts.validator === undefined ? 'onnxpress' : { path: parts.validator, sha256: await hash(parts.validator) },
    // Only when there are any, so that keys made before plugins existed still match.
    ...(parts.plugins?.length ? { plugins: await Promise.all(parts.plugins.map(async (p) => ({ path: p, sha256: await hash(p) }))) } : {}),
  };
  return sha256(Buffer.from(canonicalJson(identity)));
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return stringifyLossless(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => [k, sortDeep(record[k])]),
    );
  }
  return value;
}

interface CacheRecord {
  format: number;
  key: string;
  savedAt: string;
  /** The converted files (model and external data) with their sizes when the outcome was stored. */
  files: [string, number][];
  outcome: Omit<EntryOutcome, 'cached'>;
}

export function recordPath(cacheDir: string, model: string, variant: string): string {
  return path.join(cacheDir, model, `${variant}.json`);
}

/** The stored outcome when the key matches and the converted file is still what was measured. */
export function readCached(cacheDir: string, model: string, variant: string, key: string): EntryOutcome | undefined {
  let record: CacheRecord;
  try {
    record = parseLossless(readFileSync(recordPath(cacheDir, model, variant), 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
  if (record?.format !== CACHE_FORMAT || record.key !== key || !Array.isArray(record.files)) return undefined;
  if (!record.files.every(([file, size]) => sizeOf(path.resolve(cacheDir, file)) === size)) return undefined;
  return { ...record.outcome, cached: true };
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Stores an outcome; `files` are the converted files it describes (checked before the record is reused). */
export function writeCached(cacheDir: string, outcome: EntryOutcome, key: string, files: readonly string[]): void {
  const target = recordPath(cacheDir, outcome.model, outcome.variant);
  mkdirSync(path.dirname(target), { recursive: true });
  const { cached: _cached, ...stored } = outcome;
  const record: CacheRecord = {
    format: CACHE_FORMAT,
    key,
    savedAt: new Date().toISOString(),
    // Relative to the cache, so that a project moved with its output folder keeps its cache.
    files: files.map((file) => [path.relative(cacheDir, file), sizeOf(file) ?? -1]),
    outcome: stored,
  };
  writeFileAtomically(target, `${stringifyLossless(record, 1)}\n`);
}
