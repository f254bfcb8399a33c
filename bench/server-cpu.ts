import { httpProbe, type ServerProbe } from '../src/load/server-probe.js';

async function cpuReading(probe: ServerProbe): Promise<{ cpu: number; at: number } | null> {
  const m = await probe.sample(false);
  return m?.cpuMicros ? { cpu: m.cpuMicros.user + m.cpuMicros.system, at: performance.now() * 1000 } : null;
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
  const probe = httpProbe(url, '/metrics', {});
  const tick = () => {
    pending = cpuReading(probe).then((r) => {
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
export async function withServerCpu<T>(
  url: string,
  f: () => Promise<T>,
): Promise<{ value: T; serverCpu: number | null }> {
  const sampler = sampleServerCpu(url);
  let value: T;
  let serverCpu: number | null;
  try {
    value = await f();
  } finally {
    serverCpu = await sampler.stop();
  }
  return { value, serverCpu };
}
