/**
 * report.json: the document as JSON (docs/report-schema.md). JSON has no literal for Infinity or NaN, so
 * non-finite numbers are written as the strings "Infinity", "-Infinity" and "NaN" and read back as numbers.
 */
import { REPORT_SCHEMA_VERSION, type ReportDocument } from '../validate/types.js';

/** Keys whose values are numbers (or arrays of numbers) that may be non-finite. */
const NUMERIC_KEYS = new Set([
  'maxAbs',
  'meanAbs',
  'rmse',
  'maxRel',
  'cosine',
  'snrDb',
  'top1',
  'top5',
  'actual',
  'limit',
  'accuracy',
  'drop',
  'median',
  'ci',
  'mean',
  'stdev',
  'min',
  'max',
  'p50',
  'p90',
  'p99',
  'samplesMs',
  'roundBootstrap',
  'batchMeans',
  'relativeWidth',
]);

const NON_FINITE: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

export function renderJson(doc: ReportDocument): string {
  return `${collapseFlatArrays(JSON.stringify(doc, encodeNonFinite, 2))}\n`;
}

/** Puts arrays of plain values (dims, latency samples) on one line; JSON strings hold no raw newlines, so this is safe. */
function collapseFlatArrays(text: string): string {
  return text.replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_match, inner: string) => `[${inner.split(/,\n\s*/).join(', ')}]`);
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export class ReportFormatError extends Error {
  readonly code = 'REPORT_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'ReportFormatError';
  }
}

/** Parses report.json text, checking that it is an onnxpress document this version can read. */
export function parseReport(text: string): ReportDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReportFormatError(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new ReportFormatError('not an onnxpress report');
  const { schema, schemaVersion } = value as { schema?: unknown; schemaVersion?: unknown };
  if (schema !== 'onnxpress/validation' && schema !== 'onnxpress/summary') {
    throw new ReportFormatError(`not an onnxpress report (schema is ${JSON.stringify(schema)})`);
  }
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new ReportFormatError(`schemaVersion ${JSON.stringify(schemaVersion)} is not a positive integer`);
  }
  if (schemaVersion > REPORT_SCHEMA_VERSION) {
    throw new ReportFormatError(`report schema version ${schemaVersion} is newer than this onnxpress reads (${REPORT_SCHEMA_VERSION})`);
  }
  return decodeNonFinite(value) as ReportDocument;
}

function decodeNonFinite(value: unknown, numeric = false): unknown {
  if (typeof value === 'string') return numeric && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : value;
  if (Array.isArray(value)) return value.map((item) => decodeNonFinite(item, numeric));
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = decodeNonFinite(record[key], NUMERIC_KEYS.has(key));
    return record;
  }
  return value;
}
