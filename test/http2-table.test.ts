import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ProtocolResult, RunResults } from '../src/results/schema.js';
import { http2Cells, http2Pairs, http2Sentence, renderHttp2Table } from '../src/report/http2-table.js';
import { verdict } from '../src/report/html/verdict.js';
import { renderSummary } from '../src/report/summary.js';
import { renderHtmlReport } from '../src/report/html/render.js';

/** A real four-protocol run (the README's example report). */
const example = (): RunResults =>
  JSON.parse(readFileSync(new URL('../../reports/example-run.json', import.meta.url), 'utf8'));

/** The example run with an `sse · h2` row: 1,000 streams on 8 connections, its own figures. */
function withH2Row(): RunResults {
  const r = example();
  const sse = r.protocols.find((p) => p.protocol === 'sse')!;
  const h2 = structuredClone<ProtocolResult>(sse);
  Object.assign(h2, { variant: 'h2', connectedPeak: 1000 });
  // Per stream, as assemble records an h2 row's server memory: 6.4 KB × 1,000 streams = 800 KB × 8 connections.
  Object.assign(h2.server!, { connections: 8, streams: 1000, rssPerConnection: 6_400 });
  Object.assign(h2.client!, { rssPerClient: 20_000 });
  Object.assign(h2.bytes, { inPerEvent: 250, outPerEvent: 2 });
  Object.assign(h2.latency, { p50: 20_000, p99: 300_000 });
  r.protocols.splice(r.protocols.indexOf(sse) + 1, 0, h2);
  return r;
}

test('each h2 row is paired with its HTTP/1.1 row: streams, connections, memory per stream and per connection', () => {
  const [pair, ...more] = http2Pairs(withH2Row());
  assert.equal(more.length, 0);
  assert.equal(pair.label, 'sse · h2');
  assert.equal(pair.h1.variant, undefined);
  assert.equal(pair.streams, 1000);
  assert.equal(pair.connections, 8);
  assert.equal(pair.serverPerStream, 6_400);
  assert.equal(pair.serverPerConnection, 800_000, '6.4 KB × 1,000 streams / 8 connections');
  assert.equal(pair.clientPerStream, 20_000);
  assert.equal(pair.clientPerConnection, 2_500_000, '20 KB × 1,000 streams / 8 connections');
  assert.equal(pair.bytesH2, 252);
  assert.deepEqual(Object.fromEntries(http2Cells(pair)), {
    'Streams/conns': '1000 / 8',
    'Latency p50': '20.0 ms (17.9 ms)',
    'Latency p99': '300 ms (227 ms)',
    'Bytes/event': '252 B (−14%)',
    'Server/conn': '781.3 KB',
    'Server/stream': '6.3 KB',
    'Client/conn': '2.4 MB',
    'Client/stream': '19.5 KB',
  });
});

test('a memory figure at or below zero (below what RSS resolves) is shown as –, not as a negative size', () => {
  const r = withH2Row();
  r.protocols.find((p) => p.variant === 'h2')!.server!.rssPerConnection = -4096;
  const [pair] = http2Pairs(r);
  assert.equal(pair.serverPerConnection, null);
  assert.equal(pair.serverPerStream, null);
  assert.equal(Object.fromEntries(http2Cells(pair))['Server/conn'], '–');
});

test('the HTTP/2 table and HTML section appear only when a run has an HTTP/1.1 and HTTP/2 pair', () => {
  assert.equal(renderHttp2Table(example()), '');
  assert.doesNotMatch(renderHtmlReport(example()), /id="http2"/);
  const r = withH2Row();
  assert.match(renderHttp2Table(r), /│ HTTP\/2 +│ sse · h2 +│/);
  const html = renderHtmlReport(r);
  assert.match(html, /<section id="http2">/);
  assert.match(html, /data-chart="http2-latency"/);
  assert.match(html, /data-chart="http2-bytes"/);
  // An h2 row without its HTTP/1.1 row (a --http 2 run) has nothing to be compared with.
  r.protocols = r.protocols.filter((p) => !(p.protocol === 'sse' && !p.variant));
  assert.equal(renderHttp2Table(r), '');
});

test('the verdict has an HTTP/2 line naming connections, p99, bytes and server memory against HTTP/1.1', () => {
  assert.equal(http2Sentence(example()), null);
  assert.ok(!verdict(example()).some((v) => v.topic === 'http2'));
  const r = withH2Row();
  const sse = r.protocols.find((p) => p.protocol === 'sse' && !p.variant)!;
  const text = http2Sentence(r)!;
  assert.match(
    text,
    /^Against HTTP\/1\.1 in the same run: sse · h2 1000 clients on 8 connections, p99 300 ms vs 227 ms, −14% bytes per event/,
  );
  if (sse.server && sse.server.rssPerConnection > 0) assert.match(text, /server 6\.3 KB per client vs /);
  const line = verdict(r).find((v) => v.topic === 'http2');
  assert.equal(line?.text, text);
  // The terminal summary keeps it whatever the line limit, as it keeps the TLS-cost line.
  assert.match(renderSummary(r, { wide: false, verbose: false }, true, 100), /HTTP\/2: Against HTTP\/1\.1/);
});
