import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { findAll, parseXml } from './xml.js';
import { HOSTILE_NAME, sampleResult, sampleSummary } from './sample.js';

function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

describe('report.html', () => {
  const single = renderHtml(sampleResult({ name: HOSTILE_NAME, kind: 'fp16', thresholds: ['latency-ratio=1'] }));
  const summary = renderHtml(sampleSummary());

  it('is one self-contained document that may not fetch anything', () => {
    for (const html of [single, summary]) {
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none'`);
      expect(html).not.toMatch(/\ssrc=/i);
      expect(html).not.toMatch(/<link\b/i);
      expect(html).not.toMatch(/@import|url\(/i);
      expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
      for (const href of html.match(/href="[^"]*"/g) ?? []) expect(href).toMatch(/^href="#/);
    }
  });

  it('escapes names everywhere', () => {
    expect(single).not.toContain('<b>&"quoted"</b>');
    expect(single).toContain('model &lt;b&gt;&amp;&quot;quoted&quot;&lt;/b&gt;');
    expect(summary).not.toContain('<invalid>');
    expect(summary).toContain('<title>Pipeline &lt;demo&gt; &amp; &quot;friends&quot;</title>');
  });

  it('draws well-formed SVG charts for size, outputs and latency', () => {
    const charts = svgs(single).map(parseXml);
    expect(charts.map((c) => c.attributes.class)).toEqual(['chart size-chart', 'chart error-chart', 'chart latency-chart', 'chart ratio-chart']);
    const [size, error, latency, ratio] = charts;
    expect(findAll(size!, 'rect').filter((r) => r.attributes.class === 'bar').length).toBeGreaterThanOrEqual(4);
    expect(findAll(error!, 'rect').filter((r) => r.attributes.class === 'bar')).toHaveLength(2);
    expect(findAll(latency!, 'circle')).toHaveLength(120); // 60 rounds x 2 models
    expect(findAll(latency!, 'rect').filter((r) => r.attributes.class === 'box')).toHaveLength(2);
    expect(findAll(ratio!, 'circle')).toHaveLength(60);
    for (const chart of charts) {
      for (const rect of findAll(chart, 'rect')) expect(Number(rect.attributes.width)).toBeGreaterThanOrEqual(0);
      for (const el of [...findAll(chart, 'circle'), ...findAll(chart, 'line')]) {
        for (const v of Object.values(el.attributes)) expect(v).not.toMatch(/NaN|Infinity/);
      }
    }
  });

  it('shows the execution provider, thread count, notes, thresholds and op changes', () => {
    expect(single).toMatch(/Execution provider <strong>cpu<\/strong>/);
    expect(single).toContain('2 intra-op');
    expect(single).toContain('float16 operators in float32');
    expect(single).toContain('<table class="checks">');
    expect(single).toContain('Operators that changed');
    expect(single).toContain('Session and memory');
  });

  it('renders a summary as an overview with one section per entry', () => {
    expect(summary.match(/<section id="entry-\d+">/g)).toHaveLength(4);
    const overview = parseXml(summary.match(/<table class="overview">[\s\S]*?<\/table>/)![0]);
    expect(findAll(overview, 'tr')).toHaveLength(5);
    expect(summary).toContain('class="error-box"');
    expect(
      svgs(summary)
        .map((s) => parseXml(s).attributes.class)
        .slice(0, 2),
    ).toEqual(['chart ratio-rows-chart', 'chart ratio-rows-chart']);
  });
});
