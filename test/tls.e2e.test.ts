import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetError } from '../src/errors.js';
import { runBenchmark } from '../src/load/runner.js';
import { resultLabel } from '../src/results/result-label.js';
import { renderSummary } from '../src/report/summary.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import { tlsCosts } from '../src/report/tls-cost.js';
import { buildPlan } from '../src/scenario/options.js';
import { startReferenceServer } from '../src/server/server.js';
import { selfSignedCertificate } from '../src/server/tls.js';

test('--tls off,on runs all four protocols both ways against the bundled server: 0 lost, TLS costs bytes', async () => {
  const plan = buildPlan({
    clients: 8,
    duration: '2s',
    ramp: '300ms',
    rate: '5/s',
    pollInterval: '100ms',
    workers: 1,
    tls: 'off,on',
  });
  const results = await runBenchmark(plan);
  assert.equal(results.partial, false, String(results.partialReason));
  assert.deepEqual(results.protocols.map(resultLabel), [
    'polling',
    'polling · tls',
    'long-polling',
    'long-polling · tls',
    'sse',
    'sse · tls',
    'websocket',
    'websocket · tls',
  ]);
  for (const p of results.protocols) {
    const label = resultLabel(p);
    assert.equal(p.connectedPeak, 8, `${label} connected`);
    assert.ok(p.delivered >= 8 * 8, `${label} delivered ${p.delivered}`);
    assert.equal(p.lost, 0, `${label} lost`);
    assert.equal(p.errors, 0, `${label} errors ${JSON.stringify(p.errorsByType)}`);
    assert.ok(p.serverCpuMicrosPerEvent !== undefined, `${label} server CPU read`);
  }
  const costs = tlsCosts(results);
  assert.deepEqual(
    costs.map((c) => c.label),
    ['polling', 'long-polling', 'sse', 'websocket'],
  );
  for (const c of costs) {
    // Bytes are counted on the TCP socket: TLS records (header, tag) and the handshake come on top.
    const plain = c.plain.bytes.inPerEvent;
    const tls = c.tls.bytes.inPerEvent;
    assert.ok(tls > plain, `${c.label}: ${tls} B/event over TLS vs ${plain} B/event plaintext`);
    assert.ok(c.connectP50Micros !== null, `${c.label} connect times compared`);
  }
  const summary = renderSummary(results, { wide: false, verbose: false }, true, 100);
  assert.match(summary, /TLS cost/);
  assert.match(summary, /TLS cost: Against plaintext in the same run: polling \+\d+% bytes/);
  assert.match(renderSummary(results, { wide: true, verbose: true }, false), /websocket · tls/);
  assert.match(renderHtmlReport(results), /<section id="tls-cost">/);
});

test('an https target with a self-signed certificate is refused naming --insecure, and accepted with it', async () => {
  const server = await startReferenceServer({ host: '127.0.0.1', port: 0, tls: selfSignedCertificate() });
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const options = {
      target: server.url,
      protocols: 'sse,websocket',
      clients: 4,
      duration: '1s',
      ramp: '200ms',
      rate: '5/s',
      workers: 1,
    };
    await assert.rejects(
      runBenchmark(buildPlan(options)),
      (e: unknown) =>
        e instanceof TargetError &&
        /certificate was refused \(DEPTH_ZERO_SELF_SIGNED_CERT\)/.test(e.message) &&
        /--insecure/.test(e.hint ?? ''),
    );
    const results = await runBenchmark(buildPlan({ ...options, insecure: true }));
    assert.equal(results.partial, false, String(results.partialReason));
    for (const p of results.protocols) {
      assert.equal(p.variant ?? null, null, 'a target row is named by its protocol alone');
      assert.equal(p.connectedPeak, 4, `${p.protocol} connected over TLS`);
      assert.ok(p.delivered >= 4 * 4, `${p.protocol} delivered ${p.delivered}`);
      assert.equal(p.lost, 0, `${p.protocol} lost`);
      assert.ok(p.server, `${p.protocol}: the target's /metrics read over https`);
    }
  } finally {
    await server.close();
  }
});
