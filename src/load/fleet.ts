import { randomBytes } from 'node:crypto';
import type { ServerOptions } from '../server-core/context.js';
import { startBundledServer, type BundledServer } from './bundled-server.js';

/**
 * A fleet of reference server instances, one process and port each, fanning events out through
 * one Redis. Each fleet uses its own key prefix, so its ids start at 1 and runs never mix.
 */
export async function startFleet(
  options: Partial<ServerOptions>,
  instances: number,
  redis: string,
): Promise<BundledServer> {
  const busPrefix = `rtbench:${randomBytes(4).toString('hex')}`;
  const started: Array<Awaited<ReturnType<typeof startBundledServer>>> = [];
  try {
    // Given a port, instances take consecutive ports from it; else any free ones.
    for (let i = 0; i < instances; i++)
      started.push(
        await startBundledServer({ ...options, port: options.port ? options.port + i : 0, redis, busPrefix }),
      );
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    throw e;
  }
  const alive = new Set(started);
  return {
    url: started[0].url,
    instances: started.map((s) => s.url),
    processes: instances,
    async dropConnections(fraction, mode) {
      const counts = await Promise.all([...alive].map((s) => s.dropConnections(fraction, mode)));
      return counts.reduce((a, b) => a + b, 0);
    },
    async restart() {
      for (const s of alive) await s.restart();
    },
    /** Kills the last instance still alive (never instance 0, which takes the publishes). */
    async killInstance() {
      const victim = [...alive].slice(1).at(-1);
      if (!victim) return;
      alive.delete(victim);
      await victim.kill();
    },
    async close() {
      await Promise.all([...alive].map((s) => s.close()));
    },
  };
}
