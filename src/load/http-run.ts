import { driverFor } from '../protocols/registry.js';
import type { TargetEndpoints } from '../protocols/types.js';
import type { RunPlan } from '../scenario/plan.js';

/**
 * Each phase of a protocol that speaks HTTP/2 once per HTTP version of the plan (1.1 first when
 * both run), an HTTP/2 phase labelled as a variant is ("sse · h2", "sse · tls · h2"). WebSocket
 * and other HTTP/1.1-only protocols run once, over 1.1.
 */
export function withHttpVersions<P extends { protocol: string; variant: string | null }>(
  phases: P[],
  plan: Pick<RunPlan, 'http'>,
): Array<P & { http2: boolean }> {
  const versions = plan.http.versions;
  return phases.flatMap((p) => {
    const mine = driverFor(p.protocol).http2 ? versions : (['1.1'] as const);
    return mine.map((v) => {
      const http2 = v === '2';
      return { ...p, http2, variant: http2 ? (p.variant ? `${p.variant} · h2` : 'h2') : p.variant };
    });
  });
}

/** The endpoints of an HTTP/2 phase: the same ones, spoken over HTTP/2 (see TargetEndpoints.http2). */
export function overHttp2(endpoints: TargetEndpoints, plan: Pick<RunPlan, 'http'>): TargetEndpoints {
  return { ...endpoints, http2: { streamsPerConnection: plan.http.streamsPerConnection } };
}
