import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { startReferenceServer, type ReferenceServer } from '../src/server/server.js';
import { driverFor } from '../src/protocols/registry.js';
import type { BackpressurePolicy } from '../src/server-core/backpressure.js';
import type { ProtocolName } from '../src/protocols/types.js';
import { driverOptions, newRecorder, waitFor } from './helpers.js';

const EVENTS = 160;
const EVENT_BYTES = 64 * 1024; // 160 × 64 KB ≈ 10 MB: more than loopback's kernel buffers hold for one stalled socket
const HIGH_WATER = 512 * 1024;
/** Long enough that all 10 MB are published inside the stall even on a loaded machine. */
const STALL_MS = 5000;

async function publishBig(url: string, tag: string): Promise<void> {
  for (let seq = 1; seq <= EVENTS; seq++) {
    const res = await request(`${url}/publish`, {
      method: 'POST',
      body: encodeEvent(tag, seq, nowMicros(), EVENT_BYTES),
    });
    await res.body.dump();
  }
}

const bufferedNow = (s: ReferenceServer) => Object.values(s.metrics().buffered).reduce((a, b) => a + b, 0);

/**
 * One healthy and one stalled client (it stops reading its socket for STALL_MS); 10 MB of events
 * while it stalls. Returns what the server and both clients saw.
 */
async function stalledRun(protocol: ProtocolName, policy: BackpressurePolicy) {
  const server = await startReferenceServer({
    port: 0,
    backpressure: policy,
    highWaterBytes: HIGH_WATER,
    ringSize: 1000,
  });
  const tag = `bp${policy.length}`;
  const healthy = newRecorder();
  const slow = newRecorder();
  const session = driverFor(protocol).openSession(
    driverOptions(server.url, tag, { backoff: { initialMs: 50, maxMs: 200 } }),
  );
  try {
    const a = session.createClient(0, healthy.clientEvents());
    const stallAt = nowMicros() + 200_000;
    const stallEnd = stallAt + STALL_MS * 1000;
    const b = session.createClient(1, slow.clientEvents(0, 1, true), {
      mode: { kind: 'stall', ms: STALL_MS },
      stallAtMicros: stallAt,
    });
    await Promise.all([a.start(), b.start()]);
    await new Promise((r) => setTimeout(r, 300));
    await publishBig(server.url, tag);
    let peakBuffered = bufferedNow(server);
    await waitFor(
      () => {
        peakBuffered = Math.max(peakBuffered, bufferedNow(server));
        return healthy.latency.totalCount === EVENTS;
      },
      'the healthy client to get every event',
      15_000,
    );
    const stress = server.metrics().stress!;
    // After the stall the slow client catches up with whatever the policy left it: wait for the
    // stall to end, then until its deliveries stop growing.
    await waitFor(() => nowMicros() > stallEnd + 300_000, 'the stall to end', 15_000);
    let seen = -1;
    await waitFor(
      () => {
        const now = slow.latency.totalCount;
        const settled = now === seen && now > 0;
        seen = now;
        return settled;
      },
      'the slow client to settle',
      15_000,
      400,
    );
    return { stress, peakBuffered, healthy: healthy.snapshot(EVENTS), slow: slow.snapshot(EVENTS) };
  } finally {
    await session.close();
    await server.close();
  }
}

for (const protocol of ['websocket', 'sse'] as ProtocolName[]) {
  test(
    `${protocol}: with "buffer" the server holds everything for a stalled client, which gets every event ` + `late`,
    async () => {
      const r = await stalledRun(protocol, 'buffer');
      assert.ok(r.peakBuffered > 2 * HIGH_WATER, `server buffered up to ${r.peakBuffered} B`);
      assert.equal(r.stress.droppedEvents, 0);
      assert.equal(r.healthy.counters.lost, 0);
      assert.equal(r.slow.counters.lost, 0);
      assert.equal(r.slow.counters.delivered, EVENTS);
    },
  );

  test(
    `${protocol}: with "drop-oldest" the buffer stays bounded and the stalled client loses what was ` + `dropped`,
    async () => {
      const r = await stalledRun(protocol, 'drop-oldest');
      assert.ok(r.stress.droppedEvents > 0, 'events were dropped');
      assert.ok(r.peakBuffered < 2 * HIGH_WATER + EVENT_BYTES * 2, `server buffered at most ${r.peakBuffered} B`);
      assert.equal(r.healthy.counters.lost, 0, 'the healthy client lost nothing');
      assert.equal(
        r.slow.counters.lost,
        r.stress.droppedEvents,
        'what the server dropped is what the slow client lost',
      );
    },
  );

  test(
    `${protocol}: with "disconnect" the server closes the stalled client, which resumes from its last ` + `id`,
    async () => {
      const r = await stalledRun(protocol, 'disconnect');
      assert.ok(r.stress.disconnectedByPolicy >= 1, 'the slow client was disconnected');
      assert.ok(r.peakBuffered < 2 * HIGH_WATER + EVENT_BYTES * 2, `server buffered at most ${r.peakBuffered} B`);
      assert.equal(r.healthy.counters.lost, 0);
      assert.equal(r.slow.counters.lost, 0, 'the ring held every event, so resume recovered all');
      assert.ok(r.slow.recovered > 0, 'events came back through resume');
      assert.ok(r.slow.counters.reconnects >= 1);
    },
  );
}
