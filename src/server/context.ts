import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog } from './event-log.js';
import type { ConnectionRegistry } from './connections.js';
import type { EventBus } from './event-bus.js';
import type { ServerMetrics } from './routes/metrics.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** how long /long-poll holds a request with nothing new */
  longPollTimeoutMs: number;
  /** added before an accepted event is fanned out (for testing that latency is real) */
  fanoutDelayMs: number;
  /** events kept for resume */
  ringSize: number;
  /** max events in one poll / long-poll answer */
  maxBatch: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  longPollTimeoutMs: 30_000,
  fanoutDelayMs: 0,
  ringSize: 10_000,
  maxBatch: 1000,
};

/** What every route handler can reach. */
export interface ServerContext {
  options: ServerOptions;
  log: EventLog;
  connections: ConnectionRegistry;
  /** bytes queued inside protocol layers (e.g. ws) on top of the sockets' own buffers */
  queuedBytes: () => Partial<Record<string, number>>;
  closing: boolean;
  /** events accepted per way in: POST /publish or a WebSocket client's message */
  publishedVia: { http: number; websocket: number };
  /** how published events reach every server process (and this one's log) */
  bus: EventBus;
  /** in a cluster: /metrics summed over every process; absent for one process */
  clusterMetrics?: (gc: boolean) => Promise<ServerMetrics>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerContext) => void;

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'access-control-allow-origin': '*', ...headers });
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, JSON.stringify({ error: message }));
}
