import type { TargetEndpoints } from './types.js';

/**
 * Which server instance a client talks to. Against a fleet, client i starts on instance i mod N
 * and moves one instance on (`hop`) each time it reconnects, so clients of a killed instance land
 * on the others; resume cursors are global in a fleet, so nothing is skipped.
 */
export function instanceFor(target: TargetEndpoints, clientIndex: number, hop = 0): string {
  const all = target.instances;
  if (all && all.length > 1) return all[(clientIndex + hop) % all.length];
  const spread = target.addresses;
  return spread && spread.length > 1 ? spread[clientIndex % spread.length] : target.baseUrl;
}

/** True when the client starts on the instance that receives the publishes (instance 0). */
export function onPublishingInstance(target: TargetEndpoints, clientIndex: number): boolean {
  const all = target.instances;
  return !all || all.length < 2 || clientIndex % all.length === 0;
}

/** The same base URL at another host (an address of the same server). */
export function atHost(baseUrl: string, host: string): string {
  const u = new URL(baseUrl);
  u.hostname = host.includes(':') ? `[${host}]` : host;
  return u.origin + u.pathname.replace(/\/$/, '');
}
