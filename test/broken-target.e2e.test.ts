import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driverFor } from '../src/protocols/registry.js';
import type { ProtocolName } from '../src/protocols/types.js';
import { runBenchmark } from '../src/load/runner.js';
import { buildPlan } from '../src/scenario/options.js';
import { renderFootnotes } from '../src/report/table.js';
import { startBrokenServer, type Breakage } from './fixtures/broken-server.js';
import { driverOptions, newRecorder, waitFor } from './helpers.js';

/** Runs two clients of `protocol` against a broken target until `kind` was counted. */
async function expectError(breakage: Breakage, protocol: ProtocolName, kind: string): Promise<void> {
  const server = await startBrokenServer(breakage);
  const recorder = newRecorder();
  const session = driverFor(protocol).openSession(
    driverOptions(server.url, 'brk', { requestTimeoutMs: 400, backoff: { initialMs: 50, maxMs: 200 } }),
  );
  try {
    const clients = [0, 1].map((i) => session.createClient(i, recorder.clientEvents()));
    await Promise.all(clients.map((c) => c.start()));
    await waitFor(
      () => (recorder.errorsByType[kind] ?? 0) >= 2,
      `${protocol} to count ${kind} (got ${JSON.stringify(recorder.errorsByType)})`,
      5000,
    );
  } finally {
    await session.close();
    await server.close();
  }
}

const CASES: Array<[Breakage, ProtocolName, string]> = [
  ['5xx', 'polling', 'http-5xx'],
  ['5xx', 'long-polling', 'http-5xx'],
  ['5xx', 'sse', 'http-5xx'],
  ['5xx', 'websocket', 'http-5xx'],
  ['wrong-content-type', 'sse', 'sse-wrong-content-type'],
  ['wrong-content-type', 'polling', 'payload-not-json'],
  ['malformed-sse', 'sse', 'sse-malformed-line'],
  ['non-json', 'sse', 'payload-not-json'],
  ['non-json', 'long-polling', 'payload-not-json'],
  ['non-json', 'websocket', 'payload-not-json'],
  ['ws-close-1011', 'websocket', 'ws-close-1011'],
  ['silent', 'polling', 'timeout'],
  ['silent', 'sse', 'timeout'],
  ['silent', 'websocket', 'timeout'],
];

for (const [breakage, protocol, kind] of CASES) {
  test(`${protocol} against a target that answers ${breakage} counts ${kind}`, () =>
    expectError(breakage, protocol, kind));
}

test(
  'a run against a broken target goes on, finishes, sums up its typed errors in one line per protocol, and ' +
    'fails: no client received an event',
  async () => {
    const server = await startBrokenServer('non-json');
    try {
      const plan = buildPlan({
        target: server.url,
        metrics: 'none',
        clients: 3,
        duration: '1s',
        ramp: '100ms',
        rate: '5/s',
        timeout: '500ms',
        workers: 1,
        protocols: 'polling,websocket',
        reconnectBackoff: '50ms..200ms',
      });
      const results = await runBenchmark(plan);
      // Silence is a failure, not a clean run of 0 lost; the next protocol still runs.
      assert.equal(results.partial, true);
      assert.match(String(results.partialReason), /^polling: no client received any of the \d+ events published$/);
      assert.deepEqual(
        results.protocols.map((p) => [p.protocol, p.partial]),
        [
          ['polling', true],
          ['websocket', true],
        ],
      );
      for (const p of results.protocols) {
        assert.equal(p.delivered, 0);
        assert.ok((p.errorsByType['payload-not-json'] ?? 0) >= 3, `${p.protocol}: ${JSON.stringify(p.errorsByType)}`);
      }
      const lines = renderFootnotes(results)
        .split('\n')
        .filter((l) => /errors:/.test(l));
      assert.equal(lines.length, 2);
      assert.match(lines[0], /polling errors: payload-not-json ×\d+/);
    } finally {
      await server.close();
    }
  },
);
