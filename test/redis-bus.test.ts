import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBus } from '../src/server/redis-bus.js';
import { UsageError } from '../src/errors.js';
import { freePort, startRedis } from './redis-server.js';

let redis: Awaited<ReturnType<typeof startRedis>>;
before(async () => (redis = await startRedis()));
after(async () => redis?.stop());

test('events published on one instance reach every instance with the same global ids, in order', async () => {
  const buses = await Promise.all([0, 1, 2].map(() => RedisBus.connect({ url: redis.url, prefix: 't1' })));
  const seen = buses.map(() => [] as Array<[number, string]>);
  buses.forEach((b, i) => b.onEvent((id, json) => seen[i].push([id, json])));
  for (let i = 0; i < 20; i++) await buses[i % 3].publish(`{"n":${i}}`);
  const deadline = Date.now() + 5000;
  while (seen.some((s) => s.length < 20) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of seen) {
    assert.equal(s.length, 20);
    assert.deepEqual(
      s.map(([id]) => id),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      s.map(([, j]) => JSON.parse(j).n),
      Array.from({ length: 20 }, (_, i) => i),
    );
  }
  assert.ok(buses[0].roundTrips.length >= 6, 'own publishes give Redis round trips');
  assert.equal(await buses[1].lastId(), 20);
  await Promise.all(buses.map((b) => b.close()));
});

test('an unreachable Redis is a one-line UsageError naming the URL', async () => {
  const port = await freePort();
  await assert.rejects(
    RedisBus.connect({ url: `redis://127.0.0.1:${port}` }),
    (e: unknown) =>
      e instanceof UsageError && e.message.includes(`redis://127.0.0.1:${port}`) && !e.message.includes('\n'),
  );
});
