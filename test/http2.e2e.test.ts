import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { runBenchmark } from '../src/load/runner.js';
import { http2Pairs } from '../src/report/http2-table.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import { renderSummary } from '../src/report/summary.js';
import { resultLabel } from '../src/results/result-label.js';
import type { RunResults } from '../src/results/schema.js';
import { buildPlan } from '../src/scenario/options.js';
import { startReferenceServer } from '../src/server/server.js';
import { selfSignedCertificate } from '../src/server/tls.js';
import type { ServerMetrics } from '../src/contracts/server-metrics.js';

/** 40 clients, 20 streams to a connection: every HTTP/2 row must show the server 2 connections. */
const CLIENTS = 40;
const PER_CONNECTION = 20;

function checkRows(results: RunResults, expected: string[]): void {
  assert.equal(results.partial, false, String(results.partialReason));
  assert.deepEqual(results.protocols.map(resultLabel), expected);
  for (const p of results.protocols) {
    const label = resultLabel(p);
    assert.equal(p.connectedPeak, CLIENTS, `${label} connected`);
    assert.ok(p.delivered >= CLIENTS * 5, `${label} delivered ${p.delivered}`);
    assert.equal(p.lost, 0, `${label} lost`);
    assert.equal(p.errors, 0, `${label} errors ${JSON.stringify(p.errorsByType)}`);
    const h2 = label.endsWith('· h2');
    // The server counts connections (an HTTP/2 one once, however many streams it carries).
    assert.equal(p.server?.connections, h2 ? CLIENTS / PER_CONNECTION : CLIENTS, `${label} connections at the server`);
    // Memory compares per client across rows: an h2 row's is divided by the streams, not the 2 connections.
    assert.equal(p.server?.streams, h2 ? CLIENTS : undefined, `${label} memory divided by streams`);
    if (h2) assert.match(p.server.method, /divided by the 40 clients \(HTTP\/2 streams\) the 2 connections/);
  }
}

const load = {
  protocols: 'polling,sse',
  clients: CLIENTS,
  duration: '2s',
  ramp: '300ms',
  rate: '5/s',
  pollInterval: '100ms',
  workers: 1,
  http: '1.1,2',
  streamsPerConnection: String(PER_CONNECTION),
};

test('--http 1.1,2 in plaintext (h2c): polling and SSE both ways, 20 streams per connection, 0 lost', async () => {
  const results = await runBenchmark(buildPlan(load));
  checkRows(results, ['polling', 'polling · h2', 'sse', 'sse · h2']);
  const pairs = http2Pairs(results);
  assert.deepEqual(
    pairs.map((c) => [c.label, c.streams, c.connections]),
    [
      ['polling · h2', CLIENTS, 2],
      ['sse · h2', CLIENTS, 2],
    ],
  );
  // A poll's request and answer headers are most of its bytes: HPACK sends them once, then by index.
  const polling = pairs[0];
  assert.ok(polling.bytesH2! < polling.bytesH1!, `polling: ${polling.bytesH2} B/event over h2 vs ${polling.bytesH1}`);
  const summary = renderSummary(results, { wide: false, verbose: false }, false, 100);
  assert.match(summary, /│ HTTP\/2 +│ polling · h2 +│ sse · h2 +│/);
  assert.match(summary, /│ Streams\/conns │ 40 \/ 2 +│ 40 \/ 2 +│/);
  const html = renderHtmlReport(results);
  assert.match(html, /<section id="http2"><h2>HTTP\/2 against HTTP\/1\.1<\/h2>/);
  assert.match(html, /<svg[^>]*data-chart="http2-latency"/);
});

test('--http 1.1,2 with --tls (h2 by ALPN): polling and SSE both ways, 20 streams per connection, 0 lost', async () => {
  const results = await runBenchmark(buildPlan({ ...load, tls: 'on' }));
  checkRows(results, ['polling · tls', 'polling · tls · h2', 'sse · tls', 'sse · tls · h2']);
});

test('a dropped HTTP/2 connection takes all its streams: each of its clients reconnects and resumes', async () => {
  const results = await runBenchmark(
    buildPlan({
      protocols: 'long-polling,sse',
      clients: 20,
      duration: '3s',
      ramp: '300ms',
      rate: '10/s',
      workers: 1,
      http: '2',
      streamsPerConnection: '10',
      faults: 'drop-connections=50%@1500ms',
    }),
  );
  assert.equal(results.partial, false, String(results.partialReason));
  for (const p of results.protocols) {
    const label = resultLabel(p);
    assert.equal(p.lost, 0, `${label} lost`);
    // 2 connections of 10 streams, one dropped: its 10 clients reconnect, the other 10 never notice.
    assert.equal(p.reconnects, 10, `${label} reconnects ${JSON.stringify(p.errorsByType)}`);
  }
});

/** GET `path` over HTTP/2 on `session`: the status and body. */
function h2Get(session: http2.ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (body += c.toString()));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
}

function h1Get(url: string, ca?: string): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          alpn: (res.socket as { alpnProtocol?: string | false }).alpnProtocol ?? null,
        }),
      );
    });
    req.on('error', reject);
  });
}

test('the bundled server answers HTTP/1.1 and HTTP/2 on one port, plain (h2c) and over TLS (ALPN)', async () => {
  for (const material of [null, selfSignedCertificate()]) {
    const server = await startReferenceServer({ host: '127.0.0.1', port: 0, tls: material });
    const session = http2.connect(server.url, material ? { ca: material.cert } : {});
    try {
      const h1 = await h1Get(`${server.url}/poll`, material?.cert);
      assert.equal(h1.status, 200);
      assert.match(h1.body, /^\{"cursor":\d+,"events":\[\]\}$/);
      if (material) assert.equal(h1.alpn, false, 'an HTTP/1.1 client that offers no ALPN still gets HTTP/1.1');
      const answers = await Promise.all([h2Get(session, '/poll'), h2Get(session, '/poll'), h2Get(session, '/nope')]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 404],
      );
      assert.match(answers[0].body, /^\{"cursor":\d+,"events":\[\]\}$/);
      const metrics = JSON.parse((await h2Get(session, '/metrics')).body) as ServerMetrics;
      assert.deepEqual(metrics.http2, { sessions: 1, open: 1 }, `${material ? 'h2' : 'h2c'}: one session`);
    } finally {
      session.destroy();
      await server.close();
    }
  }
});
