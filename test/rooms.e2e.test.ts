import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { startReferenceServer } from '../src/server/server.js';
import { SequenceTracker } from '../src/metrics/sequence.js';

test('the reference server keeps rooms apart: a poll of one room never sees another room', async () => {
  const server = await startReferenceServer({ port: 0 });
  try {
    for (const room of ['a', 'b', 'a']) {
      const res = await request(`${server.url}/publish?room=${room}`, {
        method: 'POST',
        body: JSON.stringify({ room }),
      });
      await res.body.dump();
    }
    const poll = async (q: string) =>
      (await (await request(`${server.url}/poll?since=0${q}`)).body.json()) as { events: Array<{ room: string }> };
    assert.deepEqual(
      (await poll('&room=a')).events.map((e) => e.room),
      ['a', 'a'],
    );
    assert.deepEqual(
      (await poll('&room=b')).events.map((e) => e.room),
      ['b'],
    );
    assert.equal((await poll('')).events.length, 3, 'no room: every room');
    const bad = await request(`${server.url}/poll?room=${encodeURIComponent('../etc')}`);
    await bad.body.dump();
    assert.equal(bad.statusCode, 400);
  } finally {
    await server.close();
  }
});

test('a client of one room out of N expects every N-th seq', () => {
  const t = new SequenceTracker(3);
  for (const s of [2, 5, 8, 14]) t.accept(s);
  t.finish(17);
  assert.equal(t.lost, 2, '11 never came and 17 was due');
  assert.equal(t.delivered, 4);
});

test('with rooms, every protocol delivers each room only its own events, none lost', async () => {
  const plan = buildPlan({
    rooms: 3,
    clients: 6,
    duration: '2s',
    ramp: '200ms',
    rate: '6/s',
    pollInterval: '100ms',
    workers: 1,
  });
  const results = await runBenchmark(plan);
  assert.equal(results.params.rooms, 3);
  for (const p of results.protocols) {
    assert.equal(p.errorsByType['wrong-room'] ?? 0, 0, `${p.protocol}: no event of another room`);
    assert.equal(p.lost, 0, `${p.protocol} lost`);
    // 6 events/s over three rooms: each client gets about 2/s, not 6/s.
    const perClientPerSecond = p.delivered / 6 / 2.2;
    assert.ok(
      perClientPerSecond > 1 && perClientPerSecond < 3,
      `${p.protocol}: ${perClientPerSecond.toFixed(2)} events/s per client`,
    );
  }
});

test('rooms against a target need a {room} placeholder in every path', () => {
  assert.throws(
    () => buildPlan({ rooms: 2, target: 'http://127.0.0.1:1', protocols: 'sse' }),
    /\{room\} placeholder in the publish path/,
  );
  assert.throws(
    () => buildPlan({ rooms: 2, target: 'http://127.0.0.1:1', protocols: 'sse', publish: 'POST /pub/{room}' }),
    /\{room\} placeholder in the sse path "\/sse"/,
  );
  assert.doesNotThrow(() =>
    buildPlan({
      rooms: 2,
      target: 'http://127.0.0.1:1',
      protocols: 'sse',
      publish: 'POST /pub/{room}',
      sse: '/sub/{room}',
    }),
  );
});

test(
  'chat: with upstream "protocol", WebSocket publishes over WebSocket and every room still gets its ' + 'events',
  async () => {
    const { startReferenceServer: start } = await import('../src/server/server.js');
    const server = await start({ port: 0 });
    try {
      const plan = buildPlan({
        target: server.url,
        protocols: 'websocket,sse',
        rooms: 2,
        upstream: 'protocol',
        clients: 4,
        duration: '1500ms',
        ramp: '100ms',
        rate: '8/s',
        workers: 1,
        publish: 'POST /publish?room={room}',
        sse: '/sse?room={room}',
        ws: '/ws?room={room}',
      });
      const results = await runBenchmark(plan);
      for (const p of results.protocols) {
        assert.equal(p.lost, 0, `${p.protocol} lost`);
        assert.ok(p.delivered >= 4 * 4, `${p.protocol} delivered ${p.delivered}`);
        assert.equal(p.publishErrors, 0);
      }
      // WebSocket's events came in over WebSocket, SSE's over HTTP (the probe is one more POST).
      const via = server.metrics().events.publishedVia;
      assert.ok(via.websocket >= 8, `published over WebSocket: ${via.websocket}`);
      assert.ok(via.http >= 8, `published over HTTP: ${via.http}`);
    } finally {
      await server.close();
    }
  },
);
