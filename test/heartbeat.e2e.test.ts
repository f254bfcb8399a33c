import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { renderTable } from '../src/report/table.js';
import { faultLines } from '../src/report/stress-table.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import { mergeRuns } from '../src/results/merge.js';
import { findMetric } from '../src/report/compare/metrics.js';

test(
  'a blackhole silences half the SSE and WebSocket connections without closing them; heartbeats find every ' +
    'one within 2–3 intervals, and resume loses nothing for good',
  async () => {
    const plan = buildPlan({
      protocols: 'sse,websocket',
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
    assert.equal(results.params.heartbeatMs, 1000);
    for (const p of results.protocols) {
      const h = p.heartbeat;
      assert.ok(h, `${p.protocol}: heartbeat figures`);
      const b = h.blackhole!;
      assert.equal(b.fault, 'blackhole=50%@3s');
      assert.equal(b.silenced, 10, `${p.protocol}: half the 20 connections silenced`);
      // No FIN and no RST reached them: only the heartbeat watch could tell.
      // (At least: a worker or server starved for 2 s on a loaded machine is silence too.)
      assert.ok(b.detected >= 10, `${p.protocol}: every silenced client detected it (${b.detected})`);
      assert.equal(p.errorsByType['heartbeat-timeout'], b.detected);
      assert.equal(b.timeToDetect.count, b.detected);
      // Silence since the last heartbeat before the fault: 2–3 intervals after it, so 1–3 s after the fault
      // (plus a loaded machine's slack).
      assert.ok(b.timeToDetect.max <= 3_800_000, `${p.protocol}: slowest detection ${b.timeToDetect.max} µs`);
      assert.ok(b.timeToDetect.p50 >= 1_500_000, `${p.protocol}: detection p50 ${b.timeToDetect.p50} µs`);
      assert.ok(p.reconnects >= 10, `${p.protocol}: the silenced clients reconnected (${p.reconnects})`);
      assert.equal(p.lost, 0, `${p.protocol}: resume recovered everything`);
      assert.equal(b.lostForGood, 0);
      assert.ok(b.recovered > 0, `${p.protocol}: events missed while silenced came back by resume`);
      // About one heartbeat a second: an SSE comment ":\n\n" (3 B) or an empty ping frame (2 B), × 3600.
      const perBeat = p.protocol === 'sse' ? 3 : 2;
      assert.ok(
        h.bytesPerConnectionHour > perBeat * 3600 * 0.6 && h.bytesPerConnectionHour < perBeat * 3600 * 1.4,
        `${p.protocol}: ${h.bytesPerConnectionHour} B per connection-hour`,
      );
      assert.equal(findMetric('detect-p99')!.value(p), b.timeToDetect.p99);
      assert.equal(findMetric('heartbeat-bytes')!.value(p), h.bytesPerConnectionHour);
    }
    const table = renderTable(results);
    assert.match(table, /Time to detect/);
    assert.match(faultLines(results).join('\n'), /blackhole=50%@3s fired at 3\.\ds, 10 connections silenced/);
    const html = renderHtmlReport(results);
    assert.match(html, /<section id="heartbeats">.*Time to detect p50 \/ p99/s);
    // Shards merge by summing: the same run twice is twice the connection time at the same cost per hour.
    const merged = mergeRuns([results, results]).protocols[0].heartbeat!;
    assert.equal(merged.connectionSeconds, 2 * results.protocols[0].heartbeat!.connectionSeconds);
    assert.ok(Math.abs(merged.bytesPerConnectionHour - results.protocols[0].heartbeat!.bytesPerConnectionHour) < 1e-6);
    assert.equal(merged.blackhole!.detected, 2 * results.protocols[0].heartbeat!.blackhole!.detected);
  },
);
