import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_MODULES_ENV, registerProtocol } from '../src/protocols/list.js';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { commanderOptions } from '../src/cli/run-options.js';
import fakeFeed from './fixtures/fake-protocol/index.js';

// The fake protocol lives in test/fixtures/fake-protocol (descriptor, client driver, server route),
// outside src: this process registers it, and client workers and the bundled server's processes
// load it from the module named in the environment they inherit.
process.env[PROTOCOL_MODULES_ENV] = new URL('./fixtures/fake-protocol/index.js', import.meta.url).href;
registerProtocol(fakeFeed);

test('a registered protocol gets its --protocols name, its target path flag and its path in a target plan', () => {
  assert.deepEqual(buildPlan({ protocols: 'fake' }).protocols, ['fake-feed']);
  assert.deepEqual(buildPlan({ protocols: 'all' }).protocols.at(-1), 'fake-feed');
  const plan = buildPlan({ protocols: 'fake', target: 'http://127.0.0.1:9', fakeFeed: '/feed' });
  assert.equal(plan.target?.endpoints.paths['fake-feed'], '/feed');
  assert.ok(commanderOptions().some((o) => o.long === '--fake-feed'));
  assert.throws(() => registerProtocol({ ...fakeFeed, name: 'other', aliases: ['fake'] }), /clashes with fake-feed/);
});

test('a protocol from outside src runs end to end: clients in workers, route in the bundled server', async () => {
  const clients = 6;
  const plan = buildPlan({
    protocols: 'fake-feed',
    clients,
    duration: '2s',
    ramp: '200ms',
    rate: '5/s',
    pollInterval: '100ms',
    workers: 1,
  });
  const results = await runBenchmark(plan);
  assert.equal(results.partial, false, String(results.partialReason));
  assert.deepEqual(
    results.protocols.map((p) => p.protocol),
    ['fake-feed'],
  );
  const [p] = results.protocols;
  assert.equal(p.connectedPeak, clients);
  assert.equal(p.errors, 0, JSON.stringify(p.errorsByType));
  // 5 events/s over a 2 s hold reach every client (about 10 each), each event once, none lost.
  assert.ok(p.delivered >= clients * 8, `delivered ${p.delivered}`);
  assert.equal(p.lost, 0);
  assert.equal(p.duplicated, 0);
  // the server counted the connections under the fake protocol's own kind: its route served them
  assert.ok(p.server && p.server.connections >= clients, `server connections ${p.server?.connections}`);
  // 10 requests/s against 5 events/s: a request/response protocol wastes some
  assert.ok(p.wasted > 0, `wasted ${p.wasted}`);
});
