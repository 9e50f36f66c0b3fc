import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { HOSTILE_NAME, sampleResult, sampleSummary } from './sample.js';

/** Table rows (lines starting with "|") and their cell counts, ignoring escaped pipes. */
function tables(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.replace(/\\\|/g, '').split('|').slice(1, -1));
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
      let width = -1;
      for (const row of tables(md)) {
        if (row.every((c) => /^:?-+:?$/.test(c.trim()))) {
          width = row.length;
          continue;
        }
        if (width > 0) expect(row.length === width || row.length > 2).toBe(true);
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
    const rows = tables(md).filter((r) => !r.every((c) => /^:?-+:?$/.test(c.trim())));
    expect(rows).toHaveLength(5); // header + 4 entries
    expect(md).toContain('| bert\\_tiny | int8 | ⚠️ ERROR |');
    expect(md).toContain('session failed: &lt;invalid&gt; &amp; "broken"');
    expect(md).toContain('<summary>Failed checks</summary>');
    expect(md).toMatch(/cosine similarity of logits = 0\.99/);
  });
});
