import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceServer } from '../src/server/server.js';
import { driverFor } from '../src/protocols/registry.js';
import { protocolNames } from '../src/protocols/registry.js';
import type { ProtocolName } from '../src/protocols/types.js';
import { driverOptions, endpointsFor, newRecorder, publish, waitFor } from './helpers.js';

/** Starts `n` clients of `protocol`, waits until all are connected, returns what is needed to drive them. */
async function clientsOf(protocol: ProtocolName, baseUrl: string, tag: string, n: number, overrides = {}) {
  const recorder = newRecorder();
  const session = driverFor(protocol).openSession(driverOptions(baseUrl, tag, overrides));
  const clients = Array.from({ length: n }, (_, i) => session.createClient(i, recorder.clientEvents()));
  await Promise.all(clients.map((c) => c.start()));
  await waitFor(() => recorder.connectedNow === n, `${n} ${protocol} clients to connect`);
  return { recorder, session, close: () => session.close() };
}

for (const protocol of protocolNames()) {
  test(`${protocol} client receives every published event exactly once, in order`, async () => {
    const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 2000 });
    try {
      const { recorder, session, close } = await clientsOf(protocol, server.url, 'drv', 3);
      // Give pollers one round so their cursor is set before the first event.
      await new Promise((r) => setTimeout(r, 250));
      await publish(server.url, 'drv', 1, 20);
      await waitFor(() => recorder.latency.totalCount === 60, '60 deliveries');
      const snap = recorder.snapshot(20);
      assert.equal(snap.counters.delivered, 60);
      assert.equal(snap.counters.lost, 0);
      assert.equal(snap.counters.duplicated, 0);
      assert.equal(snap.counters.reordered, 0);
      const bytes = session.wireBytes();
      assert.ok(bytes.in > 20 * 128 * 3, `bytes in ${bytes.in} must include 60 payloads of 128 B`);
      assert.ok(bytes.out > 0, 'request / handshake bytes are counted');
      await close();
    } finally {
      await server.close();
    }
  });
}

test('polling counts answers without a new event as wasted; long-polling does not while events flow', async () => {
  const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 5000 });
  try {
    const poll = await clientsOf('polling', server.url, 'w', 2, { pollIntervalMs: 50 });
    const long = await clientsOf('long-polling', server.url, 'w', 2);
    await new Promise((r) => setTimeout(r, 400)); // no events: pollers waste every request
    await publish(server.url, 'w', 1, 3);
    await waitFor(() => long.recorder.latency.totalCount === 6 && poll.recorder.latency.totalCount === 6, 'deliveries');
    const p = poll.recorder.snapshot(3).counters;
    const l = long.recorder.snapshot(3).counters;
    assert.ok(p.wasted >= 8, `polling wasted ${p.wasted} of ${p.requests}`);
    assert.equal(l.wasted, 0, 'a held long-poll that returns an event is not wasted');
    assert.ok(l.requests >= 2);
    await poll.close();
    await long.close();
  } finally {
    await server.close();
  }
});

test('long-polling counts a timeout with no event as wasted', async () => {
  const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 200 });
  try {
    const c = await clientsOf('long-polling', server.url, 't', 1);
    await waitFor(() => c.recorder.counters.requests >= 2, 'two timed-out long-polls');
    assert.equal(c.recorder.counters.wasted, c.recorder.counters.requests);
    await c.close();
  } finally {
    await server.close();
  }
});

for (const protocol of ['sse', 'websocket', 'long-polling'] as const) {
  test(`${protocol} resumes after a dropped connection without losing events`, async () => {
    const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 2000 });
    try {
      const { recorder, close } = await clientsOf(protocol, server.url, 'res', 2);
      await publish(server.url, 'res', 1, 5);
      await waitFor(() => recorder.latency.totalCount === 10, 'first 10 deliveries');
      const dropped = server.dropConnections(1, protocol);
      assert.ok(dropped >= 2, `dropped ${dropped} connections`);
      // Published while the clients are away: only resume can deliver these.
      await publish(server.url, 'res', 6, 10);
      await waitFor(() => recorder.latency.totalCount === 20, 'all 20 deliveries after resume');
      const snap = recorder.snapshot(10);
      assert.equal(snap.counters.lost, 0);
      assert.equal(snap.counters.duplicated, 0);
      assert.ok(snap.counters.reconnects >= 2 || protocol === 'long-polling', `reconnects ${snap.counters.reconnects}`);
      await close();
    } finally {
      await server.close();
    }
  });
}

test('polling keeps its place with HTTP caching headers (ETag / If-None-Match)', async () => {
  const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 300 });
  try {
    const target = endpointsFor(server.url, { cursor: 'http-cache' });
    const poll = await clientsOf('polling', server.url, 'hc', 1, { target, pollIntervalMs: 50 });
    const long = await clientsOf('long-polling', server.url, 'hc', 1, { target });
    await new Promise((r) => setTimeout(r, 400));
    await publish(server.url, 'hc', 1, 10);
    await waitFor(
      () => poll.recorder.latency.totalCount === 10 && long.recorder.latency.totalCount === 10,
      'deliveries via ETag cursor',
    );
    assert.equal(poll.recorder.snapshot(10).counters.duplicated, 0);
    assert.equal(long.recorder.snapshot(10).counters.lost, 0);
    assert.ok(poll.recorder.counters.wasted > 0, '304 answers count as wasted');
    await poll.close();
    await long.close();
  } finally {
    await server.close();
  }
});
