import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { renderTable } from '../src/report/table.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import { resultLabel } from '../src/results/result-label.js';

test(
  'a slow-consumer run covers every backpressure policy in one run, each row labelled, healthy and slow ' + 'apart',
  async () => {
    const plan = buildPlan({
      protocols: 'websocket',
      clients: 10,
      duration: '4s',
      ramp: '200ms',
      rate: '60/s',
      payload: '64KB',
      workers: 1,
      slowConsumers: '20%',
      // 3 s × 60/s × 64 KB = 11 MB per slow client: more than loopback's kernel buffers absorb even
      // when a loaded machine publishes slower than asked.
      slowMode: 'stall:3s',
      backpressure: ['buffer', 'drop-oldest', 'disconnect'],
      highWater: '256KB',
      reconnectBackoff: '50ms..500ms',
    });
    const results = await runBenchmark(plan);
    assert.equal(results.partial, false, String(results.partialReason));
    assert.deepEqual(results.protocols.map(resultLabel), [
      'websocket · buffer',
      'websocket · drop-oldest',
      'websocket · disconnect',
    ]);
    const ws = (v: string) => results.protocols.find((p) => p.variant === v)!;
    for (const p of results.protocols) {
      assert.equal(p.slow?.clients, 2, `${resultLabel(p)}: 2 slow clients`);
      assert.equal(p.healthy?.clients, 8);
      assert.equal(p.healthy.lost, 0, `${resultLabel(p)}: healthy clients lost nothing`);
      assert.ok(p.healthy.latency.count > 0 && p.slow.latency.count > 0);
      // A stall of 3 s shows in the slow clients' tail, not in the healthy clients'.
      assert.ok(p.slow.latency.max > 1_000_000, `${resultLabel(p)}: slow max ${p.slow.latency.max} µs`);
      assert.ok(p.serverTimeline && p.serverTimeline.length >= 3, 'a point per second');
      assert.ok(
        p.serverTimeline.some((s) => s.rss !== null && s.rss > 0),
        'server RSS was read',
      );
      assert.ok(
        p.serverTimeline.every((s) => s.healthyHdr === undefined),
        'per-second histograms are for shards only',
      );
    }
    assert.ok(
      ws('buffer').serverStress!.peakBuffered > 256 * 1024,
      `buffer held ${ws('buffer').serverStress!.peakBuffered} B`,
    );
    assert.equal(ws('buffer').slow!.lost, 0);
    assert.ok(ws('drop-oldest').serverStress!.droppedEvents > 0);
    assert.equal(ws('drop-oldest').slow!.lost, ws('drop-oldest').serverStress!.droppedEvents);
    assert.ok(ws('disconnect').serverStress!.disconnectedByPolicy >= 2);
    assert.equal(
      ws('disconnect').serverTimeline!.reduce((n, s) => n + (s.disconnected ?? 0), 0),
      ws('disconnect').serverStress!.disconnectedByPolicy,
      'per-second values sum to the total',
    );
    assert.ok(ws('disconnect').recovery!.recovered > 0, 'resume brought back events');

    const table = renderTable(results);
    assert.match(table, /websocket · drop-oldest/);
    assert.match(table, /Healthy/);
    const html = renderHtmlReport(results);
    assert.match(html, /WebSocket · disconnect/);
    assert.match(html, /data-chart="server-buffered"/);
  },
);

test(
  'dropped connections and a server restart: clients come back, resume what they missed, and nothing ' +
    'published is lost (with a token)',
  async () => {
    const plan = buildPlan({
      protocols: 'long-polling,sse,websocket',
      clients: 8,
      duration: '3s',
      ramp: '200ms',
      rate: '20/s',
      workers: 1,
      faults: 'drop-connections=100%@1s,restart@2s',
      reconnectBackoff: '50ms..400ms',
      longPollTimeout: '2s',
      // The bundled server requires it; every client, the publisher and the metrics probe send it.
      token: 'storm-token',
    });
    const results = await runBenchmark(plan);
    assert.equal(results.partial, false, String(results.partialReason));
    for (const p of results.protocols) {
      const r = p.recovery!;
      assert.deepEqual(
        p.faults!.map((f) => f.fault),
        ['drop-connections=100%@1s', 'restart@2s'],
      );
      assert.ok(p.faults![0].dropped! >= 8, `${p.protocol}: dropped ${p.faults![0].dropped}`);
      assert.ok(p.faults![1].downMs! > 0);
      assert.ok(r.reconnectTime.count >= 16, `${p.protocol}: ${r.reconnectTime.count} reconnections timed`);
      assert.ok(r.reconnectTime.p99 < 5_000_000, `${p.protocol}: reconnect p99 ${r.reconnectTime.p99} µs`);
      assert.equal(p.lost, 0, `${p.protocol}: lost ${p.lost}`);
      assert.equal(r.lostForGood, 0);
      assert.equal(r.missed, r.recovered + r.lostForGood);
      assert.ok(r.peakConnectsPerSecond >= 8, `${p.protocol}: storm peak ${r.peakConnectsPerSecond}/s`);
      assert.ok(r.peakConnectsAt !== null && r.peakConnectsAt >= 1, 'the peak is after the first fault, not the ramp');
      assert.equal(p.serverStress!.authRejected, 0, 'every rtbench request carried the token');
      assert.ok(
        p.serverTimeline!.some((s) => s.rss !== null),
        'the metrics probe got in with the token',
      );
      // Publishes while the server was down failed and are not counted lost.
      assert.equal(
        p.publishErrors,
        Object.values(p.publishErrorsByType ?? {}).reduce((a, b) => a + b, 0),
      );
    }
  },
);
