import { isIP } from 'node:net';

/**
 * Connections rtbench opens from one source address to one target. Linux picks ephemeral ports
 * from 32768–60999 (28,232); binding a source address takes the port at bind time, and closed
 * connections of an earlier phase still hold theirs in TIME_WAIT, so stay well below.
 */
export const CONNECTIONS_PER_SOURCE_ADDRESS = 16_000;

/**
 * true for 127.0.0.0/8, where 127.0.0.2, 127.0.0.3 … need no setup on Linux. Not "localhost":
 * it may resolve to ::1, which a 127.x source address cannot reach.
 */
export function isLoopbackV4(host: string): boolean {
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Source addresses for `connections` client connections to `targetHost`: the user's list if
 * given; for a loopback target past one address's ports, 127.0.0.1, 127.0.0.2, …; else none
 * (the OS picks the address).
 */
export function chooseSourceAddresses(targetHost: string, connections: number, explicit: string[], perAddress = CONNECTIONS_PER_SOURCE_ADDRESS): string[] {
  if (explicit.length) return explicit;
  if (!isLoopbackV4(targetHost) || connections <= perAddress) return [];
  const n = Math.min(254, Math.ceil(connections / perAddress));
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}
