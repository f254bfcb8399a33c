import type { Socket } from 'node:net';

/** How a fault takes connections away: closed at once, or left open and silent (a blackhole). */
export type DropMode = 'close' | 'blackhole';

type Write = Socket['write'];

/** Takes the bytes and says they were sent; no callback ever runs, as with a peer that never acknowledges. */
const swallow = (() => true) as Write;

/**
 * Makes a socket behave like a connection a NAT or load balancer in between has forgotten: the
 * server stops reading it, and whatever it writes (events, heartbeats, answers, pings) goes
 * nowhere. Nothing is closed: no FIN, no RST. Every layer above (http, ws, the outboxes) writes
 * through the socket's own `write`, so replacing it here silences them all without a check on
 * any per-event path. The socket closes when the client gives up on it or the server shuts down.
 */
export function blackhole(socket: Socket): void {
  socket.pause();
  socket.write = swallow;
}

/** Whether `blackhole` silenced this socket already. */
export function isBlackholed(socket: Socket): boolean {
  return socket.write === swallow;
}
