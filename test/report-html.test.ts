import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtmlReport } from '../src/report/html/render.js';
import { writeHtmlReport } from '../src/report/html/write.js';
import { reportAction } from '../src/cli/report-command.js';
import { writeResults } from '../src/results/results-file.js';
import { MANY_EVENTS, makeResults, withChanges } from './fixtures/results-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MAIN_CHARTS = [
  'latency-percentiles',
  'latency-timeline',
  'wasted-requests',
  'bytes-per-event',
  'memory-per-connection',
];
const SERVER_CHARTS = [
  'server-healthyP99Micros',
  'server-rss',
  'server-buffered',
  'server-dropped',
  'server-disconnected',
  'server-reconnects',
];
const REPORTS = fileURLToPath(new URL('../../reports/', import.meta.url));

let dir: string;
let browser: Browser | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rtbench-report-'));
  if (!existsSync(CHROMIUM)) return;
  // Never a downloaded browser: the system chromium, isolated from every network service it has.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  requests: string[];
  consoleErrors: string[];
}

/** Opens a report from file:// and records every request and console error it causes. */
async function open(file: string): Promise<Opened> {
  assert.ok(browser, `headless chromium is needed at ${CHROMIUM} (Debian: apt-get install chromium)`);
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, consoleErrors };
}

/** Series elements (lines, points, bars) of a chart that the browser actually laid out with area. */
async function drawnShapes(page: Page, name: string): Promise<number> {
  return page.$eval(
    `svg[data-chart="${name}"]`,
    (svg) =>
      [...svg.querySelectorAll('.series path, .series circle, .bars rect')].filter((e) => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && box.height > 0;
      }).length,
  );
}

test('the HTML report opens offline from file:// with every chart drawn and the verdict on top', async () => {
  const file = join(dir, 'run.html');
  writeHtmlReport(makeResults(undefined, { ...MANY_EVENTS, serverTimeline: true }), file);
  const { page, requests, consoleErrors } = await open(file);

  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(requests, [pathToFileURL(file).href], 'the report must not request anything but itself');
  for (const name of [...MAIN_CHARTS, ...SERVER_CHARTS]) {
    assert.ok((await drawnShapes(page, name)) > 0, `chart ${name} has drawn shapes`);
    const labels = await page.$$eval(`svg[data-chart="${name}"] .axis-label`, (els) => els.map((e) => e.textContent));
    assert.ok(labels.length >= 1, `chart ${name} has axis labels`);
    assert.ok((await page.$$(`svg[data-chart="${name}"] .legend-item`)).length >= 1, `chart ${name} has a legend`);
  }
  const p99 = await page.textContent('#verdict li[data-topic="latency-p99"]');
  assert.match(p99 ?? '', /WebSocket delivered events fastest: p99 [\d.]+ ms vs [\d.]+ (ms|s) for Polling/);
  const verdictTop = await page.$eval('#verdict', (e) => e.getBoundingClientRect().top);
  const tableTop = await page.$eval('#comparison', (e) => e.getBoundingClientRect().top);
  assert.ok(verdictTop < tableTop, 'the verdict comes before the table');
  assert.equal(await page.$('[data-banner="partial"]'), null);
  assert.equal(await page.$$eval('table.comparison thead th', (ths) => ths.length), 5);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 1366, `fits a laptop screen without sideways scrolling (${scrollWidth}px)`);

  mkdirSync(REPORTS, { recursive: true });
  await page.screenshot({ path: join(REPORTS, 'report-screenshot.png'), fullPage: true });
  // Printing must lay out too (print CSS): a PDF with pages comes out.
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 10_000);
  await page.close();
});

test('a partial run with missing data still renders: banner, no server memory, a protocol with no events', async () => {
  const specs = withChanges({ sse: { delivered: 0, errorsByType: { 'http-5xx': 40 } } }).map((s) => ({
    ...s,
    serverRssPerConnection: null,
  }));
  const file = join(dir, 'partial.html');
  writeHtmlReport(makeResults(specs, { partial: true }), file);
  const { page, requests, consoleErrors } = await open(file);

  assert.deepEqual(consoleErrors, []);
  assert.equal(requests.length, 1);
  assert.match((await page.textContent('[data-banner="partial"]')) ?? '', /PARTIAL RUN: interrupted/);
  assert.match(
    (await page.textContent('#verdict li[data-topic="server-memory"]')) ?? '',
    /not measured for any protocol/,
  );
  assert.match((await page.textContent('#verdict li[data-topic="latency-p50"]')) ?? '', /SSE delivered no events/);
  assert.equal(await page.$('#server-timeline'), null, 'no server timeline section without server timelines');
  for (const name of MAIN_CHARTS) assert.ok((await drawnShapes(page, name)) > 0, `chart ${name} still draws`);
  await page.close();
});

test('the report holds no script, no external reference and escapes text from the results file', () => {
  const results = makeResults();
  results.notes.push('<script>alert(1)</script> & "quotes"');
  results.params.name = 'dash<b>board</b>';
  const html = renderHtmlReport(results);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /\b(src|href)="(?!data:)/i, 'no src/href outside data: URLs');
  assert.doesNotMatch(html, /url\(/i);
  assert.deepEqual(
    [...new Set(html.match(/https?:\/\/[^"\s<]*/g))],
    ['http://www.w3.org/2000/svg'],
    'the only URL is the SVG namespace',
  );
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
  assert.match(html, /dash&lt;b&gt;board&lt;\/b&gt;/);
  for (const name of MAIN_CHARTS) assert.match(html, new RegExp(`data-chart="${name}"`));
  assert.match(html, /@media print/);
});

test('the report lists the parameters, machine and a command that repeats the run', () => {
  const html = renderHtmlReport(makeResults());
  assert.match(
    html,
    /rtbench run --protocols polling,long-polling,sse,websocket --clients 200 --duration 20s --ramp 2s --rate 2\/s --payload 256B --poll-interval 500ms/,
  );
  assert.match(html, /Example CPU @ 3.0GHz × 8/);
  assert.match(html, /Clients ran in 2 worker process\(es\) per protocol\./);
});

test('rtbench report re-renders a results file next to it and reports a missing file as a usage error', async () => {
  const json = join(dir, 'again.json');
  writeResults(json, makeResults());
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
  assert.equal(await reportAction(json, {}, io), 0);
  assert.match(readFileSync(join(dir, 'again.html'), 'utf8'), /data-chart="latency-percentiles"/);
  assert.equal(await reportAction(join(dir, 'nope.json'), { out: join(dir, 'x.html') }, io), 2);
  assert.equal(err.length, 1);
  assert.match(err[0], /^rtbench: results file .* does not exist/);
});
