import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { WebSocketServer } from 'ws';
import { startReferenceServer } from '../src/server/server.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { driverFor } from '../src/protocols/registry.js';
import { protocolNames } from '../src/protocols/registry.js';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { frameText, sendPreframed } from '../src/protocols/websocket/preframe.js';
import type { ServerMetrics } from '../src/contracts/server-metrics.js';
import { driverOptions, newRecorder, publish, waitFor } from './helpers.js';

/** A TCP relay in front of `port` that records the remote address of every connection it accepts. */
async function addressRecorder(port: number) {
  const seen: string[] = [];
  const open = new Set<net.Socket>();
  const relay = net.createServer((down) => {
    seen.push(String(down.remoteAddress));
    const up = net.connect(port, '127.0.0.1');
    open.add(down).add(up);
    down.pipe(up).pipe(down);
    const end = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        // Kept-alive connections (the test's publisher) would hold close() for their idle timeout.
        for (const s of open) s.destroy();
        relay.close(() => r());
      }),
  };
}

for (const protocol of protocolNames()) {
  test(
    `${protocol} clients connect from the source addresses given (the server sees 127.0.0.2 and ` + `127.0.0.3)`,
    async () => {
      const server = await startReferenceServer({ port: 0, longPollTimeoutMs: 1000 });
      const relay = await addressRecorder(server.port);
      try {
        const recorder = newRecorder();
        const session = driverFor(protocol).openSession(
          driverOptions(relay.url, 'src', { sourceAddresses: ['127.0.0.2', '127.0.0.3'] }),
        );
        const clients = Array.from({ length: 4 }, (_, i) => session.createClient(i, recorder.clientEvents()));
        await Promise.all(clients.map((c) => c.start()));
        await waitFor(() => recorder.connectedNow === 4, '4 clients connected');
        await new Promise((r) => setTimeout(r, 250));
        await publish(relay.url, 'src', 1, 2);
        await waitFor(() => recorder.latency.totalCount === 8, 'every client got both events');
        await session.close();
        const client = relay.seen.filter((a) => a !== '127.0.0.1'); // the publisher connects from the default address
        assert.deepEqual([...new Set(client)].sort(), ['127.0.0.2', '127.0.0.3']);
        assert.ok(client.length >= 4, `${client.length} client connections`);
      } finally {
        await relay.close();
        await server.close();
      }
    },
  );
}

test('a published event reaches the clients of every server process of a cluster, and /metrics sums them', async () => {
  const server = await startBundledServer({ host: '127.0.0.1', port: 0 }, 2);
  try {
    for (const protocol of ['websocket', 'sse'] as const) {
      const recorder = newRecorder();
      const session = driverFor(protocol).openSession(driverOptions(server.url, 'fan'));
      const clients = Array.from({ length: 6 }, (_, i) => session.createClient(i, recorder.clientEvents()));
      await Promise.all(clients.map((c) => c.start()));
      await waitFor(() => recorder.connectedNow === 6, `6 ${protocol} clients connected`);
      const res = await request(`${server.url}/metrics`);
      const m = (await res.body.json()) as ServerMetrics;
      assert.equal(m.processes, 2);
      assert.equal(m.connections[protocol], 6, 'connections summed over processes');
      assert.ok(
        m.perProcess!.every((p) => p.connections >= 1),
        `clients on both processes: ${JSON.stringify(m.perProcess)}`,
      );
      const first = protocol === 'websocket' ? 1 : 11;
      await publish(server.url, 'fan', first, first + 9);
      await waitFor(() => recorder.latency.totalCount === 60, `60 ${protocol} deliveries`);
      const after = (await (await request(`${server.url}/metrics`)).body.json()) as ServerMetrics;
      // CPU time of the primary and both workers: it only grows, and the fan-out used some.
      assert.ok(m.cpuMicros && after.cpuMicros, 'server CPU time reported');
      assert.ok(
        after.cpuMicros.user + after.cpuMicros.system > m.cpuMicros.user + m.cpuMicros.system,
        'server CPU time grows with work',
      );
      const snap = recorder.snapshot(first + 9);
      assert.equal(snap.counters.lost, 0);
      assert.equal(snap.counters.duplicated, 0);
      assert.equal(snap.counters.reordered, 0);
      await session.close();
    }
  } finally {
    await server.close();
  }
});

test('a run with 2 client workers and 2 server processes counts exactly what one process would', async () => {
  const plan = buildPlan({
    protocols: 'sse,websocket',
    clients: 12,
    duration: '1500ms',
    ramp: '200ms',
    rate: '10/s',
    workers: 2,
    serverProcesses: 2,
  });
  const results = await runBenchmark(plan);
  assert.equal(results.partial, false, String(results.partialReason));
  assert.equal(results.params.serverProcesses, 2);
  for (const p of results.protocols) {
    assert.equal(p.layout?.workers, 2);
    assert.deepEqual(p.layout?.clientsPerWorker, [6, 6]);
    assert.equal(p.layout?.serverProcesses, 2);
    assert.equal(p.connectedPeak, 12);
    assert.ok(p.published >= 15, `${p.protocol} published ${p.published}`);
    // Every client sees every event from its first one on: deliveries add up across workers exactly.
    assert.equal(p.lost, 0);
    assert.equal(p.duplicated, 0);
    assert.equal(p.latencyAll!.count, p.delivered);
    assert.equal(p.latency.count + p.ramp!.delivered, p.delivered, 'hold + ramp = every delivery');
    assert.ok(
      p.delivered >= 12 * (p.published - 3) && p.delivered <= 12 * p.published,
      `${p.protocol} delivered ${p.delivered} of ${12 * p.published}`,
    );
    assert.equal(p.client?.processes, 2);
    assert.equal(p.client?.clients, 12);
    assert.equal(p.server?.connections, 12, 'server connections summed over both processes');
    assert.ok(p.generator && p.generator.workerLoopDelayP99Ms >= 0 && typeof p.generator.saturated === 'boolean');
    assert.ok(p.connectRate > 0);
  }
});

test('a pre-framed broadcast puts the same bytes on the wire as ws.send', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  const payloads = [
    Buffer.from('{"id":1,"data":"short"}'),
    Buffer.from(`{"id":2,"data":"${'x'.repeat(300)}"}`),
    Buffer.from(`{"id":3,"data":"${'y'.repeat(70_000)}"}`),
  ];
  try {
    // A raw TCP client: the bytes after the handshake are exactly what the server wrote.
    const raw = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    raw.on('data', (d) => chunks.push(d));
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' +
        'dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const ws = await new Promise<import('ws').WebSocket>((r) => wss.once('connection', r));
    const bytes = () => {
      const all = Buffer.concat(chunks);
      return all.subarray(all.indexOf('\r\n\r\n') + 4);
    };
    const sent = (n: number) => waitFor(() => bytes().length >= n, `${n} bytes`);
    let expected = 0;
    for (const p of payloads) {
      const start = bytes().length;
      ws.send(p, { binary: false });
      const plain = p.length + (p.length > 65535 ? 10 : p.length > 125 ? 4 : 2);
      await sent((expected += plain));
      sendPreframed(ws, frameText(p), p);
      await sent((expected += plain));
      const wire = bytes();
      assert.deepEqual(
        wire.subarray(start + plain, start + 2 * plain),
        wire.subarray(start, start + plain),
        `frame of ${p.length} bytes`,
      );
    }
    raw.destroy();
  } finally {
    await new Promise<void>((r) => wss.close(() => r()));
  }
});
