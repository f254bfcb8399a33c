import { request } from 'undici';
import type { ServerMetrics } from '../src/server/routes/metrics.js';

async function cpuReading(url: string): Promise<{ cpu: number; at: number } | null> {
  try {
    const res = await request(`${url}/metrics`, { headersTimeout: 2000, bodyTimeout: 2000 });
    const m = (await res.body.json()) as ServerMetrics;
    return m.cpuMicros ? { cpu: m.cpuMicros.user + m.cpuMicros.system, at: performance.now() * 1000 } : null;
  } catch {
    return null;
  }
}

/**
 * Reads the server's CPU time once a second while a load tool runs; `stop` gives the busiest
 * second's share of one core (1 = one core fully used): near 1 for a one-process server means the
 * server, not the load tool, set the request rate.
 */
export function sampleServerCpu(url: string): { stop(): Promise<number | null> } {
  let last: { cpu: number; at: number } | null = null;
  let busiest: number | null = null;
  let pending: Promise<void> = Promise.resolve();
  const tick = () => {
    pending = cpuReading(url).then((r) => {
      if (r && last && r.at > last.at) busiest = Math.max(busiest ?? 0, (r.cpu - last.cpu) / (r.at - last.at));
      last = r ?? last;
    });
  };
  tick();
  const timer = setInterval(tick, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return busiest;
    },
  };
}

/** Runs `f` while sampling the server's CPU. */
export async function withServerCpu<T>(url: string, f: () => Promise<T>): Promise<{ value: T; serverCpu: number | null }> {
  const sampler = sampleServerCpu(url);
  try {
    const value = await f();
    return { value, serverCpu: await sampler.stop() };
  } finally {
    await sampler.stop();
  }
}
