import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mergeRuns } from '../src/results/merge.js';
import { peakConnects } from '../src/results/stress-results.js';
import { readResults, writeResults } from '../src/results/results-file.js';
import { decodeHistogram, encodeHistogram, mergeEncoded, newHistogram, summarize } from '../src/metrics/histogram.js';
import { renderFootnotes, renderTable } from '../src/report/table.js';
import { renderHtmlReport } from '../src/report/html/render.js';
import type { FaultRecord, RunResults, ServerStressResult } from '../src/results/schema.js';
import { UsageError } from '../src/errors.js';
import { makeResults, realisticSpecs } from './fixtures/results-fixture.js';

test('merging shards sums counters and adds histograms exactly', () => {
  const a = makeResults(undefined, { seed: 1, clients: 200 });
  const b = makeResults(undefined, { seed: 2, clients: 300 });
  a.params.clients = 200;
  b.params.clients = 300;
  const m = mergeRuns([a, b]);
  assert.equal(m.params.clients, 500);
  for (const p of m.protocols) {
    const pa = a.protocols.find((x) => x.protocol === p.protocol)!;
    const pb = b.protocols.find((x) => x.protocol === p.protocol)!;
    assert.equal(p.delivered, pa.delivered + pb.delivered);
    assert.equal(p.requests, pa.requests + pb.requests);
    assert.equal(p.latency.count, pa.latency.count + pb.latency.count);
    const union = mergeEncoded([pa.latency.hdr, pb.latency.hdr]);
    assert.equal(p.latency.p99, union.getValueAtPercentile(99));
    assert.equal(decodeHistogram(p.latency.hdr).totalCount, p.latency.count);
    assert.equal(p.bytes.in, pa.bytes.in + pb.bytes.in);
    assert.ok(Math.abs(p.bytes.inPerEvent - p.bytes.in / p.delivered) < 1e-9);
  }
  assert.match(m.notes.join(' '), /clock offset/);
});

test('results of different runs refuse to merge with a one-line hint', () => {
  const a = makeResults();
  const b = makeResults();
  b.params.rate = 99;
  assert.throws(
    () => mergeRuns([a, b]),
    (e: unknown) => e instanceof UsageError && /not shards of the same run/.test(e.message),
  );
});

// ---- stress figures -------------------------------------------------------------------------

/** A shard's second of a stress run: what its clients saw and its own reading of the shared server. */
interface Second {
  connects: number;
  reconnects: number;
  healthy: number[];
  rss: number | null;
  buffered: number | null;
  dropped: number | null;
  disconnected: number | null;
  loop: number | null;
  connections: number | null;
}

interface ShardStress {
  healthy: { clients: number; lost: number; values: number[] };
  slow: { clients: number; lost: number; values: number[]; mode: string };
  reconnects: number[];
  recovered: number;
  seconds: Second[];
  faults: FaultRecord[];
  serverStress: ServerStressResult;
  /** per-second healthy histograms, as sharded runs write them */
  secondHdrs: boolean;
  /** per-second connects (absent in results of older versions) */
  connects?: boolean;
}

function histogramOf(values: number[]) {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return h;
}

const range = (n: number, from: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);

/** One shard's results of a websocket stress run, every figure derived from `s`. */
function stressShard(s: ShardStress, seed: number): RunResults {
  const r = makeResults(
    realisticSpecs().filter((x) => x.protocol === 'websocket'),
    { seed, clients: s.healthy.clients + s.slow.clients },
  );
  const row = r.protocols[0];
  const lost = s.healthy.lost + s.slow.lost;
  row.lost = lost;
  row.healthy = {
    clients: s.healthy.clients,
    delivered: s.healthy.values.length,
    lost: s.healthy.lost,
    latency: summarize(histogramOf(s.healthy.values)),
  };
  row.slow = {
    clients: s.slow.clients,
    delivered: s.slow.values.length,
    lost: s.slow.lost,
    latency: summarize(histogramOf(s.slow.values)),
    mode: s.slow.mode,
  };
  row.serverTimeline = s.seconds.map((x, t) => {
    const h = histogramOf(x.healthy);
    return {
      t,
      rss: x.rss,
      buffered: x.buffered,
      dropped: x.dropped,
      disconnected: x.disconnected,
      reconnects: x.reconnects,
      healthyP99Micros: h.totalCount ? h.getValueAtPercentile(99) : null,
      ...(s.connects === false ? {} : { connects: x.connects }),
      loopDelayP99Ms: x.loop,
      connections: x.connections,
      ...(s.secondHdrs && h.totalCount ? { healthyHdr: encodeHistogram(h) } : {}),
    };
  });
  row.recovery = {
    reconnectTime: summarize(histogramOf(s.reconnects)),
    missed: s.recovered + lost,
    recovered: s.recovered,
    lostForGood: lost,
    ...peakConnects(new Map(s.seconds.map((x, t) => [t, x.connects])), s.faults),
  };
  row.serverStress = s.serverStress;
  row.faults = s.faults;
  return r;
}

const FAULTS: FaultRecord[] = [
  { fault: 'drop-connections=100%@1.5s', atMs: 1500, firedAtMs: 1504, dropped: 20, downMs: null },
  { fault: 'restart@2.5s', atMs: 2500, firedAtMs: 2502, dropped: null, downMs: 310 },
];

const second = (
  connects: number,
  reconnects: number,
  healthy: number[],
  server: [number | null, number | null, number | null, number | null, number | null, number | null],
): Second => {
  const [rss, buffered, dropped, disconnected, loop, connections] = server;
  return { connects, reconnects, healthy, rss, buffered, dropped, disconnected, loop, connections };
};

/** Shard A: many fast healthy deliveries; it read the server every second. */
function shardA(o: Partial<ShardStress> = {}): ShardStress {
  return {
    healthy: { clients: 8, lost: 0, values: range(1000, 1000, 2) }, // 1,000–2,998 µs
    slow: { clients: 2, lost: 7, values: range(50, 1_000_000, 10_000), mode: 'stall 2s' },
    reconnects: range(20, 100_000, 1_000),
    recovered: 2,
    seconds: [
      second(10, 0, range(50, 1000), [100e6, 0, 0, 0, 1.5, 10]),
      second(0, 2, range(50, 1100), [null, null, null, null, null, null]),
      second(1, 1, range(200, 1000), [300e6, 5000, 3, 1, 8, 13]),
      second(6, 3, range(50, 1200), [250e6, 1000, 2, 0, 3, 15]),
    ],
    faults: FAULTS,
    serverStress: {
      backpressure: 'drop-oldest',
      droppedEvents: 5,
      disconnectedByPolicy: 1,
      authRejected: 0,
      rejected: { auth: 1 },
      peakBuffered: 5000,
      peakRss: 300e6,
      peakLoopDelayMs: 8,
    },
    secondHdrs: true,
    ...o,
  };
}

/** Shard B: fewer, much slower healthy deliveries; it missed the server's last reading. */
function shardB(o: Partial<ShardStress> = {}): ShardStress {
  return {
    healthy: { clients: 2, lost: 1, values: range(100, 40_000, 100) }, // 40,000–49,900 µs
    slow: { clients: 1, lost: 3, values: range(10, 2_000_000, 10_000), mode: 'stall 2s' },
    reconnects: range(5, 900_000, 10_000),
    recovered: 3,
    seconds: [
      second(10, 0, range(5, 1000), [120e6, 10, 0, 0, 1, 10]),
      second(0, 1, [], [null, null, null, null, null, null]),
      second(7, 0, range(5, 9000, 1000), [280e6, 4000, 6, 0, 9, 14]),
      second(1, 0, range(5, 1200), [null, null, null, null, null, null]),
    ],
    faults: FAULTS,
    serverStress: {
      backpressure: 'drop-oldest',
      droppedEvents: 6,
      disconnectedByPolicy: 0,
      authRejected: 2,
      rejected: { auth: 2, 'too-many': 1 },
      peakBuffered: 4000,
      peakRss: 280e6,
      peakLoopDelayMs: 9,
    },
    secondHdrs: true,
    ...o,
  };
}

const stressRow = (r: RunResults) => r.protocols[0];

test('stress figures merge: healthy and slow clients summed, their histograms added, never averaged', () => {
  const a = stressShard(shardA(), 1);
  const b = stressShard(shardB(), 2);
  const m = stressRow(mergeRuns([a, b]));
  const [ra, rb] = [stressRow(a), stressRow(b)];
  assert.deepEqual([m.healthy!.clients, m.healthy!.delivered, m.healthy!.lost], [10, 1100, 1]);
  assert.deepEqual([m.slow!.clients, m.slow!.delivered, m.slow!.lost, m.slow!.mode], [3, 60, 10, 'stall 2s']);
  assert.equal(m.healthy!.latency.count, 1100);
  // 1,100 deliveries: the top 1% (11) are all shard B's, so p99 is B's 89th value (~48,800 µs) —
  // neither the average of the shards' p99s (~26,000 µs) nor the higher one (~49,800 µs).
  const union = histogramOf([...shardA().healthy.values, ...shardB().healthy.values]);
  assert.equal(m.healthy!.latency.p99, union.getValueAtPercentile(99));
  assert.ok(Math.abs(m.healthy!.latency.p99 - 48_800) <= 50, `healthy p99 ${m.healthy!.latency.p99}`);
  assert.ok(m.healthy!.latency.p99 < Math.max(ra.healthy!.latency.p99, rb.healthy!.latency.p99));
  assert.equal(m.healthy!.latency.p50, union.getValueAtPercentile(50));
  assert.equal(decodeHistogram(m.healthy!.latency.hdr).totalCount, 1100);
  assert.equal(
    m.slow!.latency.p99,
    histogramOf([...shardA().slow.values, ...shardB().slow.values]).getValueAtPercentile(99),
  );

  const r = m.recovery!;
  // A: 2 recovered + 7 lost; B: 3 recovered + 4 lost
  assert.deepEqual([r.missed, r.recovered, r.lostForGood], [16, 5, 11]);
  assert.equal(r.lostForGood, m.lost);
  assert.equal(r.missed, r.recovered + r.lostForGood);
  assert.equal(r.reconnectTime.count, 25);
  assert.equal(
    r.reconnectTime.p99,
    histogramOf([...shardA().reconnects, ...shardB().reconnects]).getValueAtPercentile(99),
  );
});

test('stress figures merge: connects per second summed and the storm peak recomputed from the first fault on', () => {
  const m = stressRow(mergeRuns([stressShard(shardA(), 1), stressShard(shardB(), 2)]));
  const tl = m.serverTimeline!;
  assert.deepEqual(
    tl.map((p) => p.t),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    tl.map((p) => p.connects),
    [20, 0, 8, 7],
  );
  assert.deepEqual(
    tl.map((p) => p.reconnects),
    [0, 3, 1, 3],
  );
  // The ramp's 20 at 0 s is before the first fault (1.5 s); A alone peaks at 6 (3 s), B at 7 (2 s).
  assert.equal(m.recovery!.peakConnectsPerSecond, 8);
  assert.equal(m.recovery!.peakConnectsAt, 2);
  // Without faults the ramp counts.
  const calm = stressRow(mergeRuns([stressShard(shardA({ faults: [] }), 1), stressShard(shardB({ faults: [] }), 2)]));
  assert.deepEqual([calm.recovery!.peakConnectsPerSecond, calm.recovery!.peakConnectsAt], [20, 0]);
});

test('stress figures merge: the shared server is read once per second, not summed, and drops still add up', () => {
  const merged = mergeRuns([stressShard(shardA(), 1), stressShard(shardB(), 2)]);
  const m = stressRow(merged);
  const tl = m.serverTimeline!;
  // Gauges: the highest reading of the second, null only when no shard read the server.
  assert.deepEqual(
    tl.map((p) => p.rss),
    [120e6, null, 300e6, 250e6],
  );
  assert.deepEqual(
    tl.map((p) => p.buffered),
    [10, null, 5000, 1000],
  );
  assert.deepEqual(
    tl.map((p) => p.loopDelayP99Ms),
    [1.5, null, 9, 3],
  );
  assert.deepEqual(
    tl.map((p) => p.connections),
    [10, null, 14, 15],
  );
  // Deltas come whole from the shard that counted the most: B for drops (6 > 5), A for disconnects (1 > 0).
  assert.deepEqual(
    tl.map((p) => p.dropped),
    [0, null, 6, null],
  );
  assert.deepEqual(
    tl.map((p) => p.disconnected),
    [0, null, 1, 0],
  );
  const ss = m.serverStress!;
  assert.deepEqual(ss, {
    backpressure: 'drop-oldest',
    droppedEvents: 6,
    disconnectedByPolicy: 1,
    authRejected: 2,
    rejected: { auth: 2, 'too-many': 1 },
    peakBuffered: 5000,
    peakRss: 300e6,
    peakLoopDelayMs: 9,
  });
  assert.equal(
    tl.reduce((n, p) => n + (p.dropped ?? 0), 0),
    ss.droppedEvents,
  );
  assert.equal(
    tl.reduce((n, p) => n + (p.disconnected ?? 0), 0),
    ss.disconnectedByPolicy,
  );
  assert.match(merged.notes.join(' '), /one server that every shard sampled/);
});

test(
  "stress figures merge: per-second healthy p99 is exact from the shards' histograms, an upper bound " +
    '(noted) without them',
  () => {
    const exact = mergeRuns([stressShard(shardA(), 1), stressShard(shardB(), 2)]);
    const tl = stressRow(exact).serverTimeline!;
    const a = shardA().seconds;
    const b = shardB().seconds;
    for (const t of [0, 1, 2, 3]) {
      const h = histogramOf([...a[t].healthy, ...b[t].healthy]);
      assert.equal(tl[t].healthyP99Micros, h.getValueAtPercentile(99), `second ${t}`);
    }
    // Second 2: 200 of A's at ~1 ms and 5 of B's at 9–13 ms: the 203rd of 205 is 11 ms; B's own p99 is 13 ms.
    assert.ok(Math.abs(tl[2].healthyP99Micros! - 11_000) <= 10, `second 2: ${tl[2].healthyP99Micros}`);
    assert.equal(
      tl[1].healthyP99Micros,
      histogramOf(a[1].healthy).getValueAtPercentile(99),
      'only A delivered in second 1',
    );
    assert.ok(
      tl.every((p) => p.healthyHdr === undefined),
      "the merged timeline does not keep the shards' histograms",
    );
    assert.doesNotMatch(exact.notes.join(' '), /upper bound/);

    // Results written without per-second histograms: the higher shard p99, and a note says so.
    const bounded = mergeRuns([
      stressShard(shardA({ secondHdrs: false }), 1),
      stressShard(shardB({ secondHdrs: false }), 2),
    ]);
    const btl = stressRow(bounded).serverTimeline!;
    assert.ok(Math.abs(btl[2].healthyP99Micros! - 13_000) <= 10, `bounded second 2: ${btl[2].healthyP99Micros}`);
    assert.ok(btl[2].healthyP99Micros! > tl[2].healthyP99Micros!);
    assert.equal(btl[1].healthyP99Micros, tl[1].healthyP99Micros, 'one shard alone is still exact');
    // seconds 0, 2 and 3 had deliveries on both shards; second 1 only on A
    assert.match(
      bounded.notes.join(' '),
      /websocket: the healthy clients' p99 per second is an upper bound in 3 of 4 seconds/,
    );
  },
);

test('stress figures merge: faults kept from the shard that injected them, once', () => {
  const both = stressRow(mergeRuns([stressShard(shardA(), 1), stressShard(shardB(), 2)]));
  assert.deepEqual(both.faults, FAULTS);
  const one = stressRow(mergeRuns([stressShard(shardA({ faults: [] }), 1), stressShard(shardB(), 2)]));
  assert.deepEqual(one.faults, FAULTS);
  // the peak still starts at the first fault, wherever it came from
  assert.equal(one.recovery!.peakConnectsAt, 2);
  const none = stressRow(mergeRuns([stressShard(shardA({ faults: [] }), 1), stressShard(shardB({ faults: [] }), 2)]));
  assert.deepEqual(none.faults, []);
});

test(
  'stress figures merge: results without per-second connects keep the highest shard peak and say it is a ' +
    'lower bound',
  () => {
    const merged = mergeRuns([
      stressShard(shardA({ connects: false }), 1),
      stressShard(shardB({ connects: false }), 2),
    ]);
    const m = stressRow(merged);
    assert.ok(m.serverTimeline!.every((p) => p.connects === undefined));
    assert.deepEqual([m.recovery!.peakConnectsPerSecond, m.recovery!.peakConnectsAt], [7, 2]);
    assert.match(
      merged.notes.join(' '),
      /websocket: peak connects per second is the highest single shard's, a lower bound/,
    );
  },
);

test('a merged stress result renders in the terminal stress table and the HTML report', () => {
  const merged = mergeRuns([stressShard(shardA(), 1), stressShard(shardB(), 2)]);
  const table = renderTable(merged);
  assert.match(table, /Healthy/);
  assert.match(table, /\(3, stall 2s\)/, 'slow clients of both shards');
  assert.match(table, /\(at 2s\)/, 'the recomputed storm peak');
  assert.match(
    renderFootnotes(merged),
    /websocket faults: drop-connections=100%@1\.5s fired at 1\.5s, 20 connections dropped; restart@2\.5s fired at 2\.5s, server down 310 ms\./,
  );
  const html = renderHtmlReport(merged);
  for (const chart of [
    'server-healthyP99Micros',
    'server-rss',
    'server-dropped',
    'server-connects',
    'server-loopDelayP99Ms',
  ])
    assert.match(html, new RegExp(`data-chart="${chart}"`), chart);
});

test('rtbench merge writes the merged stress figures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-merge-'));
  const files = [stressShard(shardA(), 1), stressShard(shardB(), 2)].map((r, i) => {
    const file = join(dir, `part-${i}.json`);
    writeResults(file, r);
    return file;
  });
  const out = join(dir, 'run.json');
  const bin = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'merge', ...files, '-o', out]);
    assert.match(stdout, /Merged 2 shards/);
    assert.match(stdout, /Healthy/);
    const m = stressRow(readResults(out));
    assert.deepEqual(
      m.serverTimeline!.map((p) => p.connects),
      [20, 0, 8, 7],
    );
    assert.equal(m.healthy!.clients, 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
