import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBundledServer } from '../src/load/bundled-server.js';
import { extraLoopbackDestinations } from '../src/load/source-addresses.js';
import { atHost, instanceFor } from '../src/protocols/instances.js';
import { driverFor } from '../src/protocols/registry.js';
import { driverOptions, endpointsFor, newRecorder, publish, waitFor } from './helpers.js';

test('past one destination’s ports the bundled server gets more loopback addresses, not the clients bound sources', () => {
  assert.deepEqual(extraLoopbackDestinations(12_000), []);
  assert.deepEqual(extraLoopbackDestinations(20_000), ['127.0.0.2']);
  assert.deepEqual(extraLoopbackDestinations(50_000), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
  assert.equal(atHost('http://127.0.0.1:8080/base/', '127.0.0.3'), 'http://127.0.0.3:8080/base');
});

test('clients spread over the server’s addresses by index, and a fleet still hops instances', () => {
  const spread = { ...endpointsFor('http://127.0.0.1:1'), addresses: ['http://127.0.0.1:1', 'http://127.0.0.2:1'] };
  assert.equal(instanceFor(spread, 0), 'http://127.0.0.1:1');
  assert.equal(instanceFor(spread, 1), 'http://127.0.0.2:1');
  assert.equal(instanceFor(spread, 2, 5), 'http://127.0.0.1:1');
});

for (const processes of [1, 2]) {
  test(`a bundled server of ${processes} process(es) serves websocket and sse clients on every address it listens on`, async () => {
    const server = await startBundledServer({ host: '127.0.0.1', port: 0, extraHosts: ['127.0.0.2', '127.0.0.3'] }, processes);
    try {
      const addresses = [server.url, atHost(server.url, '127.0.0.2'), atHost(server.url, '127.0.0.3')];
      for (const protocol of ['websocket', 'sse']) {
        const recorder = newRecorder();
        const options = driverOptions(server.url, `dst-${protocol}`, { target: { ...endpointsFor(server.url), addresses } });
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
  });
}
