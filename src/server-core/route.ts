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
  /** bytes waiting inside the route (outboxes, protocol buffers) on top of the sockets' buffers */
  queued?(): number;
  closeAll?(): void;
}

/** Builds a protocol's route for one server. */
export type RouteFactory = (ctx: ServerContext) => ProtocolRoute;
