import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { resultLabel } from '../src/results/result-label.js';
import { renderTable } from '../src/report/table.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import { mergeRuns } from '../src/results/merge.js';
import { buildPlan } from '../src/scenario/options.js';
import { findMetric } from '../src/report/compare/metrics.js';
import { startReferenceServer } from '../src/server/server.js';
import { io } from 'socket.io-client';

test(
  'Socket.IO over WebSocket and over polling → upgrade, with rooms and acked emits: every client connected, ' +
    '0 lost, the ack round trip and the upgrade measured',
  async () => {
    const plan = buildPlan({
      protocols: 'socketio',
      socketioTransports: 'websocket,upgrade',
      clients: 12,
      ramp: '500ms',
      duration: '3s',
      rate: '12/s',
      rooms: 3,
      upstream: 'protocol',
      workers: 1,
      token: 's3cret',
    });
    const results = await runBenchmark(plan);
    assert.equal(results.partial, false, String(results.partialReason));
    assert.deepEqual(results.protocols.map(resultLabel), ['socketio · websocket', 'socketio · upgrade']);
    for (const p of results.protocols) {
      const label = resultLabel(p);
      assert.equal(p.connectedPeak, 12, `${label} connected`);
      assert.equal(p.publishErrors, 0, `${label} publish errors`);
      // Each client follows one room of 3: a third of the events (less what the ramp published before it
      // connected), each exactly once.
      assert.ok(p.delivered >= (p.published / 3) * 12 * 0.75, `${label} delivered ${p.delivered} of ${p.published}`);
      assert.equal(p.lost, 0, `${label} lost`);
      assert.equal(p.duplicated, 0, `${label} duplicated`);
      assert.equal(p.errors, 0, `${label} errors ${JSON.stringify(p.errorsByType)}`);
      assert.ok(p.ackRoundTrip, `${label}: every publish was an emit with an ack`);
      assert.equal(p.ackRoundTrip.count, p.published, `${label}: one round trip per published event`);
      assert.ok(p.ackRoundTrip.p50 > 0 && p.ackRoundTrip.p99 >= p.ackRoundTrip.p50);
      assert.equal(findMetric('ack-p99')!.value(p), p.ackRoundTrip.p99, 'compare gates on the ack round trip');
      assert.ok(p.bytes.in > 0, `${label}: bytes counted at the socket`);
    }
    const [ws, upgrade] = results.protocols;
    assert.equal(ws.upgrade, undefined, 'a WebSocket-only client never polls');
    const u = upgrade.upgrade;
    assert.ok(u, 'the upgrade variant measured its upgrades');
    assert.equal(u.upgrades, 12, 'one upgrade per client');
    assert.ok(u.time.p50 > 0 && u.time.p99 >= u.time.p50, `time on polling ${u.time.p50} µs`);
    // At least the handshake poll and the WebSocket handshake; the upgrade's probe costs bytes.
    assert.ok(u.requests.p50 >= 2, `requests until the upgrade ${u.requests.p50}`);
    assert.ok(u.bytes.p50 > 200, `bytes until the upgrade ${u.bytes.p50}`);
    assert.equal(findMetric('upgrade-p99')!.value(upgrade), u.time.p99);
    assert.equal(findMetric('upgrade-p99')!.value(ws), null);
    assert.match(renderHtmlReport(results), /<section id="transport">.*Polling before the upgrade p50 \/ p99/s);
    const merged = mergeRuns([results, results]).protocols;
    assert.equal(merged[1].upgrade?.upgrades, 24, 'merge adds the upgrades of both runs');
    assert.equal(merged[0].ackRoundTrip?.count, 2 * ws.ackRoundTrip!.count);
    assert.match(renderTable(results), /Polling before the\s+│?\s*.*upgrade p50 \/ p99/s);
  },
);

test('Socket.IO with --tls: clients trust the generated certificate over wss and https polling', async () => {
  const plan = buildPlan({
    protocols: 'socketio',
    socketioTransports: 'websocket,upgrade',
    clients: 6,
    ramp: '300ms',
    duration: '2s',
    rate: '5/s',
    workers: 1,
    tls: 'on',
  });
  const results = await runBenchmark(plan);
  assert.equal(results.partial, false, String(results.partialReason));
  assert.deepEqual(results.protocols.map(resultLabel), ['socketio · websocket · tls', 'socketio · upgrade · tls']);
  for (const p of results.protocols) {
    assert.equal(p.connectedPeak, 6, `${resultLabel(p)} connected`);
    assert.equal(p.lost, 0, `${resultLabel(p)} lost`);
    assert.equal(p.errors, 0, `${resultLabel(p)} errors ${JSON.stringify(p.errorsByType)}`);
    assert.ok(p.delivered >= 6 * 8, `${resultLabel(p)} delivered ${p.delivered}`);
  }
  assert.equal(results.protocols[1].upgrade?.upgrades, 6, 'the upgrade happened over TLS too');
});

test(
  "a blackhole silences half the Socket.IO connections; Socket.IO's own pings (--heartbeat 1s) find them " +
    'and resume loses nothing for good',
  async () => {
    const plan = buildPlan({
      protocols: 'socketio',
      socketioTransports: 'websocket',
      clients: 20,
      ramp: '1s',
      duration: '8s',
      rate: '20/s',
      workers: 1,
      heartbeat: '1s',
      faults: 'blackhole=50%@3s',
      reconnectBackoff: '50ms..500ms',
    });
    const results = await runBenchmark(plan);
    assert.equal(results.partial, false, String(results.partialReason));
    const [p] = results.protocols;
    const h = p.heartbeat;
    assert.ok(h, 'heartbeat figures');
    const b = h.blackhole!;
    assert.equal(b.silenced, 10, 'half the 20 connections silenced');
    assert.ok(b.detected >= 10, `every silenced client detected it (${b.detected})`);
    assert.equal(p.errorsByType['heartbeat-timeout'], b.detected);
    assert.ok(b.timeToDetect.max <= 3_800_000, `slowest detection ${b.timeToDetect.max} µs`);
    assert.ok(b.timeToDetect.p50 >= 1_500_000, `detection p50 ${b.timeToDetect.p50} µs`);
    assert.ok(p.reconnects >= 10, `the silenced clients reconnected (${p.reconnects})`);
    assert.equal(p.lost, 0, 'resume (since in the handshake auth) recovered everything');
    assert.equal(b.lostForGood, 0);
    assert.ok(b.recovered > 0, 'events missed while silenced came back by resume');
    // One engine.io ping a second: the packet "2" in a 2-byte WebSocket frame, × 3600.
    assert.ok(
      h.bytesPerConnectionHour > 3 * 3600 * 0.6 && h.bytesPerConnectionHour < 3 * 3600 * 1.4,
      `${h.bytesPerConnectionHour} B per connection-hour`,
    );
  },
);

test(
  'against a Socket.IO target: --socketio names the path, the token goes in the handshake auth (a wrong one is ' +
    'refused), and --socketio-event must name what the target emits',
  async () => {
    const server = await startReferenceServer({ port: 0, token: 'right' });
    try {
      const refused = await new Promise<string>((resolve) => {
        const s = io(server.url, {
          path: '/socket.io',
          transports: ['websocket'],
          reconnection: false,
          auth: { token: 'wrong' },
        });
        s.on('connect', () => resolve('connected'));
        s.on('connect_error', (e) => resolve(e.message));
      });
      assert.equal(refused, 'missing or wrong token');
      const run = (socketioEvent: string) =>
        runBenchmark(
          buildPlan({
            target: server.url,
            protocols: 'socketio',
            socketio: '/socket.io?room={room}',
            publish: 'POST /publish?room={room}',
            rooms: 2,
            socketioEvent,
            token: 'right',
            socketioTransports: 'websocket',
            clients: 4,
            ramp: '200ms',
            duration: '1500ms',
            rate: '10/s',
            workers: 1,
          }),
        );
      const results = await run('event');
      assert.equal(results.partial, false, String(results.partialReason));
      const [p] = results.protocols;
      assert.equal(p.connectedPeak, 4);
      assert.ok(p.delivered > 0 && p.lost === 0, `delivered ${p.delivered}, lost ${p.lost}`);
      assert.equal(p.errors, 0, JSON.stringify(p.errorsByType));
      // Listening for an event the target never emits: connected, and nothing arrives, which fails the phase.
      const other = await run('news');
      assert.equal(other.protocols[0].delivered, 0);
      assert.equal(other.partial, true);
    } finally {
      await server.close();
    }
  },
);
