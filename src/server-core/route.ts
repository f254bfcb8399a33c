import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerContext } from './context.js';

/**
 * One protocol's half of the reference server, mounted on the protocol's default path. A route
 * answers plain requests (`handle`) or takes over upgraded connections (`upgrade`), never both
 * needed; what it queues beyond the sockets' own buffers and how it closes are its own business.
 */
export interface ProtocolRoute {
  handle?(req: IncomingMessage, res: ServerResponse, url: URL): void;
  /** an HTTP upgrade on this path; `authenticated`: the token was already checked and is right */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, authenticated: boolean): void;
  /**
   * The route runs its own handshake (Socket.IO): it checks the token itself (its handshake
   * carries it) and answers every method (its polling transport POSTs), and it is mounted at its
   * path and its path + '/' (its clients add the slash).
   */
  ownHandshake?: boolean;
  /** bytes waiting inside the route (outboxes, protocol buffers) on top of the sockets' buffers */
  queued?(): number;
  closeAll?(): void;
}

/** Builds a protocol's route for one server. */
export type RouteFactory = (ctx: ServerContext) => ProtocolRoute;
