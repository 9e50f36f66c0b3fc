import { describe, expect, it } from 'vitest';
import { parseReport, renderJson, ReportFormatError } from '../../src/report/json.js';
import { REPORT_SCHEMA_VERSION } from '../../src/validate/types.js';
import { sampleResult, sampleSummary } from './sample.js';

describe('report.json', () => {
  it('round-trips a result, infinite SNR included', () => {
    const result = sampleResult();
    expect(result.outputs[1]!.metrics.snrDb).toBe(Infinity);
    const text = renderJson(result);
    expect(text).toContain('"snrDb": "Infinity"');
    expect(parseReport(text)).toEqual(result);
  });

  it('round-trips a summary', () => {
    const summary = sampleSummary();
    expect(parseReport(renderJson(summary))).toEqual(summary);
  });

  it('turns only numeric fields back into numbers', () => {
    const result = sampleResult();
    result.outputs[0]!.name = 'Infinity';
    result.outputs[0]!.metrics.snrDb = -Infinity;
    result.outputs[0]!.metrics.maxRel = NaN;
    const back = parseReport(renderJson(result));
    if (back.schema !== 'onnxpress/validation') throw new Error('wrong schema');
    expect(back.outputs[0]!.name).toBe('Infinity');
    expect(back.outputs[0]!.metrics.snrDb).toBe(-Infinity);
    expect(back.outputs[0]!.metrics.maxRel).toBeNaN();
  });

  it('refuses documents it cannot read', () => {
    expect(() => parseReport('{')).toThrow(ReportFormatError);
    expect(() => parseReport('{"schema":"other","schemaVersion":1}')).toThrow(/not an onnxpress report/);
    expect(() => parseReport(`{"schema":"onnxpress/validation","schemaVersion":${REPORT_SCHEMA_VERSION + 1}}`)).toThrow(/newer/);
    expect(() => parseReport('{"schema":"onnxpress/summary","schemaVersion":"1"}')).toThrow(/schemaVersion/);
  });
});
