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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const html = renderHtmlReport(results);
  assert.match(html, /<section id="tls-cost">/);
  // The charts pair each protocol's plaintext and TLS bars: four protocols, two bars each.
  for (const chart of ['tls-connect', 'tls-bytes']) {
    const svg = new RegExp(`<svg[^>]*data-chart="${chart}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';
    assert.ok(svg, `${chart} chart drawn`);
    assert.equal(svg.match(/<rect[^>]*class="bar"/g)?.length, 8, `${chart}: 8 bars`);
  }
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

test('rtbench serve --tls serves https with a generated certificate that --cert-out hands to clients', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-serve-tls-'));
  const certFile = join(dir, 'server.pem');
  const bin = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--tls', '--cert-out', certFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 200 && !/https:\/\/\S+:\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /(https:\/\/\S+:\d+)/.exec(out)?.[1];
    assert.ok(url, `serve printed its https URL: ${out}`);
    assert.match(out, /WSS \/ws/);
    const ca = readFileSync(certFile, 'utf8');
    const status = await new Promise<number>((resolve, reject) =>
      httpsGet(`${url}/metrics`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    assert.equal(status, 200, 'a client trusting the written certificate gets /metrics');
    const untrusted = await new Promise<string>((resolve) =>
      httpsGet(`${url}/metrics`, (res) => resolve(`status ${res.statusCode}`)).on('error', (e: NodeJS.ErrnoException) =>
        resolve(e.code ?? e.message),
      ),
    );
    assert.equal(untrusted, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'a client trusting nothing refuses it');
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rtbench serve --cert-out without --tls is a one-line usage error', async () => {
  const bin = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--cert-out', join(tmpdir(), 'x.pem')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2);
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.match(err, /--cert-out writes the certificate --tls generates .*add --tls/);
});
