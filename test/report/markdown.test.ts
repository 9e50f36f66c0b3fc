import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { HOSTILE_NAME, sampleResult, sampleSummary } from './sample.js';

/** Each table of the document (consecutive `|` lines) as rows of cells; escaped pipes are not separators. */
function tables(markdown: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) out.push((current = []));
    current.push(line.replace(/\\\|/g, '').split('|').slice(1, -1));
  }
  return out;
}

describe('report.md', () => {
  it('shows size, latency, memory, accuracy, outputs and checks of one result', () => {
    const md = renderMarkdown(sampleResult({ kind: 'fp16' }));
    expect(md).toMatch(/^### (✅|❌) /);
    expect(md).toContain('| size on disk |');
    expect(md).toContain('| latency p50 |');
    expect(md).toContain('speedup');
    expect(md).toContain('| peak RSS |');
    expect(md).toContain('| accuracy (logits) | 0.9889 | 0.9861 | −0.0028 |');
    expect(md).toContain('| logits | 0.999984 |');
    expect(md).toContain('∞ (identical)');
    expect(md).toContain('2 intra-op threads');
    expect(md).toContain('Execution provider **cpu**');
    expect(md).toContain('float16 operators in float32');
    expect(md).toMatch(/<summary>Thresholds: \d+ passed/);
  });

  it('keeps every table row the width of its header, whatever the names', () => {
    for (const doc of [sampleResult({ name: HOSTILE_NAME }), sampleSummary()]) {
      const md = renderMarkdown(doc);
      const found = tables(md);
      expect(found.flat().length).toBeGreaterThan(5);
      for (const [header, separator, ...rows] of found) {
        expect(separator!.every((c) => /^:?-+:?$/.test(c.trim()))).toBe(true);
        for (const row of rows) expect(row, row.join('|')).toHaveLength(header!.length);
      }
      // no raw HTML from names reaches the page
      expect(md).not.toContain('<b>');
      expect(md).toContain('&lt;b&gt;');
    }
  });

  it('escapes names so they cannot split cells or start formatting', () => {
    const md = renderMarkdown(sampleSummary());
    const row = md.split('\n').find((line) => line.includes('quoted'))!;
    expect(row).toContain('\\|');
    expect(row).toContain('\\*x\\*');
    const cells = row.replace(/\\\|/g, '').split('|').slice(1, -1);
    expect(cells).toHaveLength(9);
  });

  it('lists one row per model and variant in a summary, with errors and failed checks', () => {
    const md = renderMarkdown(sampleSummary());
    expect(md).toMatch(/^### ⚠️ Pipeline &lt;demo&gt; &amp; "friends": 1 passed, 2 failed, 1 error$/m);
    const rows = tables(md)
      .flat()
      .filter((r) => !r.every((c) => /^:?-+:?$/.test(c.trim())));
    expect(rows).toHaveLength(5); // header + 4 entries
    expect(md).toContain('| bert\\_tiny | int8 | ⚠️ ERROR |');
    expect(md).toContain('session failed: &lt;invalid&gt; &amp; "broken"');
    expect(md).toContain('<summary>Failed checks</summary>');
    expect(md).toMatch(/cosine similarity of logits = 0\.99/);
  });
});
