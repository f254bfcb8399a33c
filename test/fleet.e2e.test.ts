import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { UsageError } from '../src/errors.js';
import { freePort, startRedis } from './redis-server.js';

let redis: Awaited<ReturnType<typeof startRedis>>;
before(async () => (redis = await startRedis()));
after(async () => redis?.stop());

test('a 3-instance fleet over real Redis delivers every event to clients on every instance, none lost', async () => {
  const plan = buildPlan({
    fleet: 3,
    redis: redis.url,
    protocols: 'long-polling,sse,websocket',
    clients: 9,
    duration: '2s',
    ramp: '200ms',
    rate: '5/s',
    workers: 1,
  });
  const results = await runBenchmark(plan);
  assert.equal(results.partial, false, String(results.partialReason));
  for (const p of results.protocols) {
    assert.equal(p.lost, 0, `${p.protocol} lost`);
    assert.equal(p.duplicated, 0, `${p.protocol} duplicated`);
    assert.equal(p.connectedPeak, 9);
    assert.ok(p.fleet, `${p.protocol} has fleet figures`);
    assert.equal(p.fleet.instances, 3);
    // 3 of 9 clients sit on the publishing instance, 6 on the other two.
    assert.ok(
      p.fleet.sameInstance.count > 0 && p.fleet.crossInstance.count > 0,
      `${p.protocol}: same ${p.fleet.sameInstance.count}, cross ${p.fleet.crossInstance.count}`,
    );
    assert.equal(
      p.fleet.sameInstance.count + p.fleet.crossInstance.count,
      p.latencyAll!.count,
      'fleet split covers every delivery',
    );
    assert.ok(p.fleet.crossInstance.count >= p.fleet.sameInstance.count * 1.5);
    assert.ok(p.fleet.redisRoundTrip && p.fleet.redisRoundTrip.count > 0, 'Redis round trips measured on instance 0');
    assert.ok(p.server && p.server.connections >= 9, `${p.protocol}: connections summed over the instances`);
  }
});

test(
  'killing one fleet instance mid-run: its clients reconnect to the others and resume, nothing is ' + 'lost',
  async () => {
    // Pollers too: a failed request moves a poller on to the next instance, with its fleet-wide cursor.
    const plan = buildPlan({
      fleet: 3,
      redis: redis.url,
      protocols: 'polling,long-polling,sse,websocket',
      clients: 6,
      duration: '4s',
      ramp: '200ms',
      rate: '10/s',
      workers: 1,
      faults: 'kill-instance@1500ms',
      reconnectBackoff: '50ms..500ms',
    });
    const results = await runBenchmark(plan);
    assert.equal(results.partial, false, String(results.partialReason));
    for (const p of results.protocols) {
      assert.ok(p.reconnects >= 2, `${p.protocol}: the killed instance's clients reconnected (${p.reconnects})`);
      assert.equal(p.lost, 0, `${p.protocol}: resume on another instance recovered the gap`);
      assert.equal(p.duplicated, 0, `${p.protocol}: global ids, no replays`);
      assert.ok(
        p.faults?.some((f) => f.fault.startsWith('kill-instance')),
        'the fault is recorded',
      );
    }
  },
);

test('fleet options are checked: Redis required, reachable, and kill-instance only in a fleet', async () => {
  assert.throws(() => buildPlan({ fleet: 3 }), /needs --redis/);
  assert.throws(() => buildPlan({ fleet: 2, redis: 'localhost:6379' }), /malformed Redis URL/);
  assert.throws(() => buildPlan({ faults: 'kill-instance@1s' }), /needs a fleet/);
  const port = await freePort();
  await assert.rejects(
    runBenchmark(
      buildPlan({ fleet: 2, redis: `redis://127.0.0.1:${port}`, protocols: 'websocket', clients: 2, duration: '1s' }),
    ),
    (e: unknown) => e instanceof UsageError && e.message.includes(`cannot reach Redis at redis://127.0.0.1:${port}`),
  );
});
