import type { RunResults } from '../../results/schema.js';
import { bytesChart, memoryChart, wastedChart } from './bar-charts.js';
import { comparisonTable } from './comparison-table.js';
import { esc } from './escape.js';
import { protocolColor, protocolLabel } from './labels.js';
import { latencyTimelineChart, percentileChart } from './latency-charts.js';
import { runDetails } from './run-details.js';
import { serverTimelineCharts } from './server-timeline-charts.js';
import { heartbeatSection } from './heartbeat-section.js';
import { transportSection } from './transport-section.js';
import { STYLES } from './styles.js';
import { tlsCostCharts, tlsCostTable } from './tls-cost-section.js';
import { http2BytesChart, http2LatencyChart, http2Table } from './http2-section.js';
import { http2Pairs } from '../http2-table.js';
import type { ReportProtocol } from './types.js';
import { verdict } from './verdict.js';

function figure(title: string, svg: string, caption?: string): string {
  return `<figure><figcaption>${esc(title)}</figcaption>${svg}${caption ? `<p>${esc(caption)}</p>` : ''}</figure>`;
}

/** A grid of figures side by side. */
function charts(...figures: string[]): string {
  return `<div class="charts">${figures.join('')}</div>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function verdictSection(r: RunResults): string {
  const items = verdict(r).map((v) => {
    const winner = v.winner ? ` data-winner="${esc(v.winner)}" style="--winner:${protocolColor(v.winner)}"` : '';
    return `<li data-topic="${v.topic}"${winner}><strong>${esc(v.heading)}</strong> ${esc(v.text)}</li>`;
  });
  return section('verdict', 'Verdict', `<ul class="verdict">${items.join('')}</ul>`);
}

function header(r: RunResults): string {
  const title = r.params.name ? `rtbench: ${r.params.name}` : 'rtbench report';
  const protocols = [...new Set(r.protocols.map((p) => protocolLabel(p.protocol)))].join(', ') || 'no protocols';
  const banner = r.partial
    ? `<div class="banner" role="alert" data-banner="partial">PARTIAL ` +
      `RUN${r.partialReason ? `: ${esc(r.partialReason)}` : ''}. Figures cover only what was measured before ` +
      `the run stopped.</div>`
    : '';
  return (
    `<header><h1>${esc(title)}</h1><div class="subtitle">${esc(protocols)} · ${esc(r.params.clients)} ` +
    `clients per protocol · started ${esc(r.startedAt)}</div>${banner}</header>`
  );
}

/** The whole report as one self-contained HTML file: inline CSS and SVG, no script, no network. */
export function renderHtmlReport(results: RunResults): string {
  const protocols = results.protocols;
  const body = [
    header(results),
    verdictSection(results),
    comparisonSection(protocols),
    latencySection(protocols),
    efficiencySection(protocols),
    tlsCostSection(results),
    http2ComparisonSection(results),
    serverTimelineSection(protocols),
    heartbeatSection(protocols),
    transportSection(protocols),
    section('run', 'Run', runDetails(results)),
    `<footer>Written by rtbench ${esc(results.tool.version)} from a results file (schema ` +
      `${esc(results.schemaVersion)}); re-render any results file with <code>rtbench report FILE.json -o ` +
      `FILE.html</code>.</footer>`,
  ].join('\n');
  const title = results.params.name ? `rtbench: ${results.params.name}` : 'rtbench report';
  return page(title, body);
}

function comparisonSection(protocols: ReportProtocol[]): string {
  const table = protocols.length
    ? `<div class="table-wrap">${comparisonTable(protocols)}</div>`
    : '<p class="muted">The results hold no protocol.</p>';
  return section('comparison', 'Comparison', table);
}

function latencySection(protocols: ReportProtocol[]): string {
  return section(
    'latency',
    'Latency',
    charts(
      figure(
        'Latency by percentile',
        percentileChart(protocols),
        'HDR percentile spectrum: the x axis stretches the tail (90%, 99%, 99.9% … equally spaced).',
      ),
      figure(
        'Latency over time',
        latencyTimelineChart(protocols),
        'Per second of each protocol’s phase: solid mean, dashed maximum.',
      ),
    ),
  );
}

function efficiencySection(protocols: ReportProtocol[]): string {
  return section(
    'efficiency',
    'Requests, bytes and memory',
    charts(
      figure('Wasted requests', wastedChart(protocols)),
      figure('Bytes per delivered event', bytesChart(protocols)),
      figure(
        'Memory per connection',
        memoryChart(protocols),
        'RSS after all clients connected minus the idle baseline, divided by connections (server) or clients ' +
          '(load generator).',
      ),
    ),
  );
}

/** Only for a `--tls off,on` run: each protocol's TLS row minus its plaintext row. */
function tlsCostSection(results: RunResults): string {
  const table = tlsCostTable(results);
  const pairs = tlsCostCharts(results).map((c) => figure(c.title, c.svg));
  return table ? section('tls-cost', 'What TLS costs', table + charts(...pairs)) : '';
}

/** Only for a `--http 1.1,2` run: each HTTP/2 row next to its HTTP/1.1 row. */
function http2ComparisonSection(results: RunResults): string {
  const pairs = http2Pairs(results);
  if (!pairs.length) return '';
  return section(
    'http2',
    'HTTP/2 against HTTP/1.1',
    http2Table(results) +
      charts(
        figure(
          'Latency: streams sharing a connection',
          http2LatencyChart(pairs),
          'Each HTTP/1.1 row next to its HTTP/2 row: what queueing on one connection (head-of-line) cost.',
        ),
        figure('Bytes per delivered event', http2BytesChart(pairs), 'In + out at the TCP socket: HPACK and framing.'),
      ),
  );
}

/** Only when a run had slow consumers or faults: what the server's buffers and connections did. */
function serverTimelineSection(protocols: ReportProtocol[]): string {
  const server = serverTimelineCharts(protocols);
  if (!server.length) return '';
  const title = 'Server over time (slow consumers and faults)';
  return section('server-timeline', title, charts(...server.map((c) => figure(c.title, c.svg))));
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLES}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
