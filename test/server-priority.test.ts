import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { startBundledServer } from '../src/load/bundled-server.js';
import type { ServerMetrics } from '../src/contracts/server-metrics.js';

async function serverPids(url: string): Promise<number[]> {
  const m = (await (await fetch(`${url}/metrics`)).json()) as ServerMetrics & { pid?: number };
  return m.perProcess ? m.perProcess.map((p) => p.pid) : [];
}

test(
  'the processes of a bundled cluster that serve clients run at the nice value; its accepting primary does ' + 'not',
  async () => {
    const server = await startBundledServer({ host: '127.0.0.1', port: 0, nice: 7 }, 2);
    try {
      const pids = await serverPids(server.url);
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.equal(getPriority(pid), 7);
      assert.equal(getPriority(server.pid), getPriority(), 'the primary keeps the priority it was started with');
    } finally {
      await server.close();
    }
  },
);

test('a one-process bundled server runs at the nice value, and nice 0 leaves it alone', async () => {
  for (const nice of [5, 0]) {
    const server = await startBundledServer({ host: '127.0.0.1', port: 0, nice }, 1);
    try {
      assert.equal(getPriority(server.pid), Math.max(nice, getPriority()));
    } finally {
      await server.close();
    }
  }
});
