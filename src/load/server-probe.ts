import { request } from 'undici';
import type { ServerMetrics } from '../server/routes/metrics.js';
import type { ReferenceServer } from '../server/server.js';

/** Where the runner reads server-side figures: the in-process server, a target's /metrics, or nowhere. */
export interface ServerProbe {
  sample(gc: boolean): Promise<ServerMetrics | null>;
}

export function inProcessProbe(server: ReferenceServer): ServerProbe {
  return { sample: async (gc) => server.metrics(gc) };
}

/** Reads a target's metrics JSON (the reference server's format); null when it has none. */
export function httpProbe(baseUrl: string, path: string | null, headers: Record<string, string>): ServerProbe {
  return {
    async sample(gc) {
      if (!path) return null;
      try {
        const res = await request(`${baseUrl}${path}${gc ? (path.includes('?') ? '&' : '?') + 'gc=1' : ''}`, { headers, headersTimeout: 5000, bodyTimeout: 5000 });
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
