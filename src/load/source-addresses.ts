import { isIP } from 'node:net';

/**
 * Connections rtbench opens from one source address to one target before it spreads them over
 * several. Linux picks ephemeral ports from 32768–60999 (28,232). Binding a source address is
 * costly: Node cannot set IP_BIND_ADDRESS_NO_PORT, so the kernel searches a free port at bind()
 * time, in the worker's event loop (measured here: 20,000 WebSocket clients connected at 720/s
 * over two bound addresses, 14,000 unbound at 3,400/s). So rtbench binds only when one address
 * cannot hold the clients; clients end with a reset, so no TIME_WAIT of an earlier phase holds ports.
 */
export const CONNECTIONS_PER_SOURCE_ADDRESS = 25_000;

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
export function chooseSourceAddresses(
  targetHost: string,
  connections: number,
  explicit: string[],
  perAddress = CONNECTIONS_PER_SOURCE_ADDRESS,
): string[] {
  if (explicit.length) return explicit;
  if (!isLoopbackV4(targetHost) || connections <= perAddress) return [];
  const n = Math.min(254, Math.ceil(connections / perAddress));
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

/**
 * Connections rtbench opens to one destination (address and port) before it adds another.
 * `connect()` picks ports from the even half of the ephemeral range first (14,116 ports); once
 * that half is used up every connect searches it before trying the odd half, inside the
 * syscall, in the event loop (measured here: 54–137 µs per connect up to 14,000 connections to
 * one destination, 605–635 µs past it). So a destination holds at most 12,000.
 */
export const CONNECTIONS_PER_DESTINATION = 12_000;

/**
 * Extra loopback addresses the bundled server listens on (beside 127.0.0.1) so that every
 * CONNECTIONS_PER_DESTINATION clients get a destination of their own: `connect()` then picks
 * ports without the bind-time search a source address costs (Linux needs only the 4-tuple unique).
 * With several server processes the addresses come in a multiple of them, so each process can
 * listen on an equal share of its own (see the cluster's addressesPerProcess).
 */
export function extraLoopbackDestinations(
  connections: number,
  processes = 1,
  perAddress = CONNECTIONS_PER_DESTINATION,
): string[] {
  const needed = Math.ceil(connections / perAddress);
  const n = Math.min(254, processes > 1 ? Math.ceil(needed / processes) * processes : needed);
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => `127.0.0.${i + 2}`);
}
