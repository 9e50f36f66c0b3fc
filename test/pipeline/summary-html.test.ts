/**
 * The HTML summary of a run, as a user gets it from `onnxpress run`: absolute sizes and milliseconds beside the
 * ratios, failures marked in the charts, which way is better, and latency intervals too wide to conclude flagged;
 * then the page opened in headless Chromium, as test/report/html-render.test.ts does (skipped without Chromium,
 * except in CI).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLORS } from '../../src/report/svg.js';
import type { ValidationSummary } from '../../src/validate/types.js';
import { runCli } from '../helpers/cli.js';
import { countColor, readPng } from '../report/png.js';
import { tempDir, writeFile, writeTinyModel } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const run = promisify(execFile);

async function chromium(profile: string, ...args: string[]): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--hide-scrollbars'];
  const { stdout } = await run(CHROMIUM, [...flags, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function attribute(dom: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(dom)?.[1];
}

describe('the HTML summary of a run', () => {
  const root = tempDir();
  const reports = path.join(root, 'out');
  let html = '';
  let summary: ValidationSummary;

  beforeAll(async () => {
    writeTinyModel(path.join(root, 'models/a.onnx'), 1);
    writeFile(path.join(root, 'models/broken.onnx'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    // Five rounds are too few for the latency interval to conclude anything; 'strict' fails on purpose.
    writeFile(
      path.join(root, 'p.yaml'),
      `models: ['models/*.onnx']
out: out
variants: { copy: none, strict: none }
validate:
  latency: { warmup: 1, rounds: 5 }
  thresholds: { strict: { max-abs: -1 } }
`,
    );
    const r = await runCli(['run', path.join(root, 'p.yaml')]);
    expect(r.exitCode).toBe(2); // broken.onnx cannot be converted
    html = readFileSync(path.join(reports, 'report.html'), 'utf8');
    summary = JSON.parse(readFileSync(path.join(reports, 'report.json'), 'utf8')) as ValidationSummary;
  });

  it('shows absolute sizes and milliseconds, says which way is better, and flags intervals too wide to conclude', () => {
    const overview = html.match(/<table class="overview">[\s\S]*?<\/table>/)![0];
    const a = summary.entries.find((e) => e.model === 'a' && e.variant === 'copy')!.result!;
    expect(overview).toContain(`${a.baseline.fileBytes} B → ${a.candidate.fileBytes} B`);
    expect(overview).toMatch(/<td class="latency">[\d.e-]+ → [\d.e-]+ ms<br\/><small>/);
    expect(overview).toContain('<th title="On disk, baseline → candidate; smaller is better">size ↓</th>');
    expect(overview).toContain('worst cosine ↑');
    expect(html).toContain('↓ lower is better, ↑ higher is better.');
    expect(a.latency!.interval!.tooWide).toBe(true);
    expect(overview).toContain('interval too wide to conclude');

    const charts = html.match(/<svg[^>]*ratio-rows-chart[\s\S]*?<\/svg>/g)!;
    expect(charts).toHaveLength(2);
    const [size, latency] = charts as [string, string];
    expect(size).toContain('<title>Candidate size / baseline size (smaller is better)</title>');
    expect(latency).toContain('(below 1: the candidate is faster)');
    for (const chart of charts) {
      expect(chart).toContain('← lower is better');
      // a/strict failed: a cross in the failure colour, and FAIL beside it
      expect(chart).toMatch(new RegExp(`<path class="dot failed"[^>]*stroke="${COLORS.fail}"`));
      expect(chart).toMatch(/a \/ strict: [^<]*· FAIL/);
    }
    expect(size).toMatch(/<text[^>]*>1× · \d+ B → \d+ B<\/text>/);
    expect(size).toContain('ERROR: could not run'); // broken, in the size chart too
    expect(latency).toMatch(/ms · interval too wide<\/text>/);
    expect(latency).toContain('class="ci inconclusive"');
  });

  it.skipIf(!haveChromium && !process.env.CI)('renders in headless Chromium, failures painted in the charts', async () => {
    const url = pathToFileURL(path.join(reports, 'report.html')).href;
    const dom = await chromium(path.join(root, 'profile-dom'), '--dump-dom', url);
    expect(attribute(dom, 'data-rendered')).toBe('true');
    expect(attribute(dom, 'data-script-error')).toBeUndefined();
    // 2 overview charts + 4 per result (a/copy collapsed: its 4 are not laid out; a/strict open)
    expect(Number(attribute(dom, 'data-charts'))).toBe(2 + 2 * 4);
    expect(Number(attribute(dom, 'data-charts-drawn'))).toBe(2 + 4);
    const png = path.join(root, 'summary.png');
    await chromium(path.join(root, 'profile-shot'), `--screenshot=${png}`, '--window-size=1100,1100', url);
    const image = readPng(readFileSync(png));
    // The FAIL badges and rows, and the crosses and notes of the two overview charts.
    expect(countColor(image, COLORS.fail)).toBeGreaterThan(400);
    expect(countColor(image, COLORS.baseline)).toBeGreaterThan(50); // the passing entry's dot
  });
});
