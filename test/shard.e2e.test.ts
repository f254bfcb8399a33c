import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { mergeRuns } from '../src/results/merge.js';
import { startReferenceServer } from '../src/server/server.js';
import { shardRange, scheduledLastSeq } from '../src/load/shard.js';
import { parseShard } from '../src/scenario/shard-options.js';
import { decodeHistogram } from '../src/metrics/histogram.js';
import { UsageError } from '../src/errors.js';

test('shards split the clients into contiguous blocks that cover every client once', () => {
  const sizes = [0, 1, 2].map((i) => shardRange(10, { index: i, count: 3 }));
  assert.deepEqual(sizes, [
    { first: 0, count: 3 },
    { first: 3, count: 3 },
    { first: 6, count: 4 },
  ]);
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.throws(() => parseShard('4/4'), UsageError);
  assert.throws(() => parseShard('one of two'), UsageError);
  // events intended at 0, 0.5 s, 1 s, 1.5 s before a hold ending at 1.6 s: 4 (the margin is 100 ms)
  assert.equal(scheduledLastSeq(0, 2, 1_600_000), 4);
});

test('two shards on loopback, merged, count the same deliveries as one run over the same clients', async () => {
  const server = await startReferenceServer({ port: 0 });
  try {
    // 2 events/s: a client whose connection is up to 500 ms late (a loaded machine) misses at most
    // the first event, which was published before it subscribed (not lost); the tolerance below is
    // one event per client.
    const common = {
      target: server.url,
      protocols: 'websocket,sse',
      clients: 8,
      duration: '3s',
      ramp: '200ms',
      rate: '2/s',
      workers: 1,
    };
    const startAt = String(Date.now() + 1500);
    const [a, b] = await Promise.all([
      runBenchmark(buildPlan({ ...common, shard: '0/2', startAt })),
      runBenchmark(buildPlan({ ...common, shard: '1/2', startAt })),
    ]);
    assert.equal(a.protocols[0].clients + b.protocols[0].clients, 8);
    const merged = mergeRuns([a, b]);
    const single = await runBenchmark(buildPlan(common));
    assert.equal(merged.params.clients, 8);
    for (const name of ['sse', 'websocket']) {
      const m = merged.protocols.find((p) => p.protocol === name)!;
      const s = single.protocols.find((p) => p.protocol === name)!;
      assert.equal(m.lost, 0, `${name} merged lost`);
      assert.equal(s.lost, 0, `${name} single lost`);
      assert.equal(m.connectedPeak, 8);
      // 8 clients × every event of the hold; both runs publish the same schedule.
      assert.ok(Math.abs(m.delivered - s.delivered) <= 8, `${name}: merged ${m.delivered} vs single ${s.delivered}`);
      // Every delivery is in the all-deliveries histogram; the hold's plus the ramp's make it up.
      assert.equal(decodeHistogram(m.latencyAll!.hdr).totalCount, m.delivered);
      assert.equal(m.latency.count + m.ramp!.delivered, m.delivered, `${name}: hold + ramp deliveries`);
      assert.equal(
        m.latency.count,
        a.protocols.find((p) => p.protocol === name)!.latency.count +
          b.protocols.find((p) => p.protocol === name)!.latency.count,
      );
    }
  } finally {
    await server.close();
  }
});

test('sharded slow-consumer runs keep per-second healthy histograms, so the merged timeline is exact', async () => {
  const server = await startReferenceServer({ port: 0 });
  try {
    const common = {
      target: server.url,
      protocols: 'websocket',
      clients: 8,
      duration: '2s',
      ramp: '200ms',
      rate: '10/s',
      workers: 1,
      slowConsumers: '25%',
      slowMode: 'stall:1s',
    };
    const startAt = String(Date.now() + 1500);
    const shards = await Promise.all([
      runBenchmark(buildPlan({ ...common, shard: '0/2', startAt })),
      runBenchmark(buildPlan({ ...common, shard: '1/2', startAt })),
    ]);
    for (const r of shards) {
      const p = r.protocols[0];
      assert.ok(
        p.serverTimeline?.some((s) => s.healthyHdr),
        'a shard writes per-second healthy histograms',
      );
      assert.ok(
        p.serverTimeline!.every((s) => (s.healthyHdr !== undefined) === (s.healthyP99Micros !== null)),
        'one for every second with healthy deliveries',
      );
    }
    const merged = mergeRuns(shards);
    const m = merged.protocols[0];
    const [a, b] = shards.map((r) => r.protocols[0]);
    assert.equal(m.healthy!.clients, 6);
    assert.equal(m.slow!.clients, 2);
    assert.equal(m.healthy!.delivered, a.healthy!.delivered + b.healthy!.delivered);
    assert.equal(m.healthy!.latency.count, a.healthy!.latency.count + b.healthy!.latency.count);
    const connects = (p: typeof m) => p.serverTimeline!.reduce((n, s) => n + (s.connects ?? 0), 0);
    assert.equal(connects(m), connects(a) + connects(b));
    assert.ok(connects(m) >= 8, `every client connected once: ${connects(m)}`);
    assert.doesNotMatch(merged.notes.join(' '), /upper bound|lower bound/, 'nothing approximated');
  } finally {
    await server.close();
  }
});

test('shard options are checked: --shard needs --target and --start-at', () => {
  assert.throws(() => buildPlan({ shard: '0/2' }), /needs --target/);
  assert.throws(() => buildPlan({ shard: '0/2', target: 'http://127.0.0.1:1' }), /needs --start-at/);
});
