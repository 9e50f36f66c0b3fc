/**
 * Opens report.html in headless Chromium: the charts must lay out with a size, the inline script must run
 * without error, and the screenshot must show the chart colours. junit.xml must load without a parser error.
 * Skips when Chromium is not installed, except in CI (process.env.CI), where .ci/run installs it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/report/index.js';
import { COLORS } from '../../src/report/svg.js';
import { attribute, chromium, haveChromium } from './chromium.js';
import { countColor, readPng } from './png.js';
import { HOSTILE_NAME, sampleResult, sampleSummary } from './sample.js';

if (!haveChromium && !process.env.CI) {
  console.warn('html-render tests skipped: no chromium on PATH or in $CHROMIUM (apt-get install chromium; CI installs it)');
}

describe.skipIf(!haveChromium && !process.env.CI)('report.html in headless Chromium', () => {
  let dir = '';

  beforeAll(async () => {
    if (!haveChromium) throw new Error('CI needs chromium on PATH; .ci/run installs it with apt-get');
    dir = await mkdtemp(path.join(os.tmpdir(), 'onnxpress-html-'));
    await writeReports(path.join(dir, 'single'), sampleResult({ name: HOSTILE_NAME, kind: 'int8', thresholds: ['latency-ratio=1'] }));
    await writeReports(path.join(dir, 'summary'), sampleSummary());
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lays out every chart of a single result and runs its script without error', async () => {
    const url = pathToFileURL(path.join(dir, 'single', 'report.html')).href;
    const dom = await chromium(path.join(dir, 'profile-dom'), '--dump-dom', url);
    expect(attribute(dom, 'data-rendered')).toBe('true');
    expect(attribute(dom, 'data-script-error')).toBeUndefined();
    expect(attribute(dom, 'data-charts')).toBe('4');
    expect(attribute(dom, 'data-charts-drawn')).toBe('4');
    expect(dom.match(/<svg\b/g)).toHaveLength(4);
    expect(dom).toContain('model &lt;b&gt;&amp;"quoted"&lt;/b&gt;');
  });

  it('would notice a script error (the check itself works)', async () => {
    const html = await readFile(path.join(dir, 'single', 'report.html'), 'utf8');
    const broken = path.join(dir, 'broken.html');
    await writeFile(broken, html.replace('</main>', '</main><script>undefinedFunction()</script>'));
    const dom = await chromium(path.join(dir, 'profile-broken'), '--dump-dom', pathToFileURL(broken).href);
    expect(attribute(dom, 'data-script-error')).toMatch(/undefinedFunction/);
  });

  it('renders the summary with its overview charts and the failing entries open', async () => {
    const url = pathToFileURL(path.join(dir, 'summary', 'report.html')).href;
    const dom = await chromium(path.join(dir, 'profile-summary'), '--dump-dom', url);
    expect(attribute(dom, 'data-rendered')).toBe('true');
    expect(attribute(dom, 'data-script-error')).toBeUndefined();
    const total = Number(attribute(dom, 'data-charts'));
    const drawn = Number(attribute(dom, 'data-charts-drawn'));
    // 2 overview charts + 4 per result (3 results); the passing entry is collapsed, so its 4 are not laid out
    expect(total).toBe(2 + 3 * 4);
    expect(drawn).toBe(total - 4);
  });

  it('paints the charts: the screenshot holds the baseline and candidate colours', async () => {
    const png = path.join(dir, 'single.png');
    const url = pathToFileURL(path.join(dir, 'single', 'report.html')).href;
    await chromium(path.join(dir, 'profile-shot'), `--screenshot=${png}`, '--window-size=1200,2000', url);
    const image = readPng(await readFile(png));
    expect(image.width).toBe(1200);
    expect(image.height).toBe(2000);
    // the size bars alone are hundreds of pixels wide and 22 high
    expect(countColor(image, COLORS.baseline)).toBeGreaterThan(2000);
    expect(countColor(image, '#59a14f')).toBeGreaterThan(1000); // int8 parameters in the candidate's size bar
    expect(countColor(image, COLORS.candidate)).toBeGreaterThan(1000); // SNR bars
  });

  it("loads junit.xml in Chromium's XML parser without an error", async () => {
    const url = pathToFileURL(path.join(dir, 'summary', 'junit.xml')).href;
    const dom = await chromium(path.join(dir, 'profile-xml'), '--dump-dom', url);
    expect(dom).not.toContain('parsererror');
    expect(dom).toContain('testsuites');
  });
});
