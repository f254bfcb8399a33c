import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBundledServer } from '../src/load/bundled-server.js';
import { addressesPerProcess } from '../src/server/cluster.js';
import type { ServerMetrics } from '../src/contracts/server-metrics.js';
import { extraLoopbackDestinations } from '../src/load/source-addresses.js';
import { atHost, instanceFor } from '../src/protocols/instances.js';
import { driverFor } from '../src/protocols/registry.js';
import { driverOptions, endpointsFor, newRecorder, publish, waitFor } from './helpers.js';

test(
  'past one destination’s ports the bundled server gets more loopback addresses, not the clients bound ' + 'sources',
  () => {
    assert.deepEqual(extraLoopbackDestinations(12_000), []);
    assert.deepEqual(extraLoopbackDestinations(20_000), ['127.0.0.2']);
    assert.deepEqual(extraLoopbackDestinations(50_000), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
    // 4 server processes: 8 addresses, 2 of its own for each process
    assert.equal(extraLoopbackDestinations(50_000, 4).length, 7);
    assert.equal(extraLoopbackDestinations(20_000, 2).length, 1);
    assert.equal(extraLoopbackDestinations(5_000, 3).length, 2);
    assert.equal(atHost('http://127.0.0.1:8080/base/', '127.0.0.3'), 'http://127.0.0.3:8080/base');
  },
);

test('clients spread over the server’s addresses by index, and a fleet still hops instances', () => {
  const spread = { ...endpointsFor('http://127.0.0.1:1'), addresses: ['http://127.0.0.1:1', 'http://127.0.0.2:1'] };
  assert.equal(instanceFor(spread, 0), 'http://127.0.0.1:1');
  assert.equal(instanceFor(spread, 1), 'http://127.0.0.2:1');
  assert.equal(instanceFor(spread, 2, 5), 'http://127.0.0.1:1');
});

for (const processes of [1, 2]) {
  test(
    `a bundled server of ${processes} process(es) serves websocket and sse clients on every address it ` + `listens on`,
    async () => {
      const server = await startBundledServer(
        { host: '127.0.0.1', port: 0, extraHosts: ['127.0.0.2', '127.0.0.3'] },
        processes,
      );
      try {
        const addresses = [server.url, atHost(server.url, '127.0.0.2'), atHost(server.url, '127.0.0.3')];
        for (const protocol of ['websocket', 'sse']) {
          const recorder = newRecorder();
          const options = driverOptions(server.url, `dst-${protocol}`, {
            target: { ...endpointsFor(server.url), addresses },
          });
          const session = driverFor(protocol).openSession(options);
          const clients = Array.from({ length: 6 }, (_, i) => session.createClient(i, recorder.clientEvents()));
          await Promise.all(clients.map((c) => c.start()));
          await waitFor(() => recorder.connectedNow === 6, `6 ${protocol} clients`);
          await publish(server.url, `dst-${protocol}`, 1, 3);
          await waitFor(() => recorder.latency.totalCount === 18, '18 deliveries');
          assert.equal(recorder.snapshot(3).counters.lost, 0);
          await session.close();
        }
        // Every address really is a listener of this server (not another process's).
        for (const a of addresses) {
          const u = new URL(a);
          await new Promise<void>((resolve, reject) => {
            const s = connect(Number(u.port), u.hostname, () => (s.destroy(), resolve()));
            s.on('error', reject);
          });
        }
      } finally {
        await server.close();
      }
    },
  );
}

test(
  'with an address per server process, each process listens on its own: clients spread over addresses ' +
    'spread evenly over processes',
  async () => {
    assert.deepEqual(addressesPerProcess(['a', 'b', 'c', 'd'], 2), [
      ['a', 'c'],
      ['b', 'd'],
    ]);
    assert.equal(addressesPerProcess(['a', 'b', 'c'], 2), null, 'not a multiple: the processes share every address');
    const server = await startBundledServer({ host: '127.0.0.1', port: 0, extraHosts: ['127.0.0.2', '127.0.0.3'] }, 3);
    try {
      const addresses = [server.url, atHost(server.url, '127.0.0.2'), atHost(server.url, '127.0.0.3')];
      const recorder = newRecorder();
      const options = driverOptions(server.url, 'own-addr', { target: { ...endpointsFor(server.url), addresses } });
      const session = driverFor('websocket').openSession(options);
      // Client i connects to address i mod 3: clients 0, 3 and 6 to the first, client 1 to the second.
      const clients = [0, 3, 6, 1].map((i) => session.createClient(i, recorder.clientEvents()));
      await Promise.all(clients.map((c) => c.start()));
      await waitFor(() => recorder.connectedNow === 4, '4 clients');
      // A publish reaches one process; the event bus carries it to the clients of the others.
      await publish(server.url, 'own-addr', 1, 2);
      await waitFor(() => recorder.latency.totalCount === 8, '8 deliveries');
      const metrics = (await (await fetch(`${server.url}/metrics`)).json()) as ServerMetrics;
      // Processes in the order they were started (pids grow): each holds the clients of its address.
      // Round-robin would have dealt the 4 connections over the 3 processes whatever their address.
      const byPid = metrics.perProcess!.slice().sort((a, b) => a.pid - b.pid);
      assert.deepEqual(
        byPid.map((p) => p.connections),
        [3, 1, 0],
      );
      await session.close();
    } finally {
      await server.close();
    }
  },
);
