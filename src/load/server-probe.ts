import { Agent, request } from 'undici';
import { tlsTrustOptions, type TlsTrust } from '../protocols/tls-trust.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';
import type { ReferenceServer } from '../server/server.js';

/** Where the runner reads server-side figures: the in-process server, a target's /metrics, or nowhere. */
export interface ServerProbe {
  sample(gc: boolean): Promise<ServerMetrics | null>;
}

export function inProcessProbe(server: ReferenceServer): ServerProbe {
  return { sample: async (gc) => server.metrics(gc) };
}

/** Reads a target's metrics JSON (the reference server's format); null when it has none. */
export function httpProbe(
  baseUrl: string,
  path: string | null,
  headers: Record<string, string>,
  tls?: TlsTrust,
): ServerProbe {
  // One dispatcher for the probe's life when TLS needs its own trust; the global one otherwise.
  const dispatcher = tls ? new Agent({ connect: tlsTrustOptions(tls) }) : undefined;
  return {
    async sample(gc) {
      if (!path) return null;
      try {
        const res = await request(`${baseUrl}${path}${gc ? (path.includes('?') ? '&' : '?') + 'gc=1' : ''}`, {
          headers,
          dispatcher,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        if (res.statusCode !== 200) {
          await res.body.dump();
          return null;
        }
        const m = (await res.body.json()) as ServerMetrics;
        return m && typeof m === 'object' && m.memory && m.connections ? m : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * A fleet's figures: connections, buffered bytes and memory summed over the instances (each is
 * its own process), event-loop delay the worst instance's, the bus figures from instance 0
 * (where the publishes enter). Null if an instance does not answer.
 */
export function fleetProbe(urls: string[], path: string, headers: Record<string, string>, tls?: TlsTrust): ServerProbe {
  const probes = urls.map((u) => httpProbe(u, path, headers, tls));
  return {
    async sample(gc) {
      const all = await Promise.all(probes.map((p) => p.sample(gc)));
      const live = all.filter((m): m is ServerMetrics => m !== null);
      if (!live.length) return null;
      const sum = structuredClone(live[0]);
      for (const m of live.slice(1)) {
        for (const [k, v] of Object.entries(m.connections)) sum.connections[k] = (sum.connections[k] ?? 0) + v;
        for (const [k, v] of Object.entries(m.buffered)) sum.buffered[k] = (sum.buffered[k] ?? 0) + v;
        for (const k of Object.keys(sum.memory) as (keyof ServerMetrics['memory'])[]) sum.memory[k] += m.memory[k];
        if (sum.cpuMicros && m.cpuMicros) {
          sum.cpuMicros.user += m.cpuMicros.user;
          sum.cpuMicros.system += m.cpuMicros.system;
        }
        sum.eventLoopDelayMs.p99 = Math.max(sum.eventLoopDelayMs.p99, m.eventLoopDelayMs.p99);
        sum.eventLoopDelayMs.max = Math.max(sum.eventLoopDelayMs.max, m.eventLoopDelayMs.max);
      }
      return sum;
    },
  };
}
