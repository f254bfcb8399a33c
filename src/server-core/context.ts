import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog } from './event-log.js';
import type { ConnectionRegistry } from './connections.js';
import type { BackpressureCounters, BackpressurePolicy } from './backpressure.js';
import type { EventBus } from './event-bus.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';

/** A certificate and its private key, both PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

export interface ServerOptions {
  /** serve HTTPS and WSS with this certificate; absent or null: plain HTTP */
  tls?: TlsMaterial | null;
  host: string;
  port: number;
  /** how long /long-poll holds a request with nothing new */
  longPollTimeoutMs: number;
  /** added before an accepted event is fanned out (for testing that latency is real) */
  fanoutDelayMs: number;
  /** events kept for resume */
  ringSize: number;
  /** the ring also holds at most this many bytes of events (the oldest go first) */
  ringBytes: number;
  /** max events in one poll / long-poll answer */
  maxBatch: number;
  /**
   * and at most this many characters of event JSON in one answer (past its first event): the cursor pages
   * through the rest
   */
  maxAnswerChars: number;
  /** what to do with a client that reads slower than events arrive */
  backpressure: BackpressurePolicy;
  /** bytes waiting for one client before the backpressure policy acts */
  highWaterBytes: number;
  /** open TCP connections accepted at once; more get 503 */
  maxConnections: number;
  /** request line plus headers, bytes; more gets 431 */
  maxHeaderBytes: number;
  /** largest WebSocket message a client may send; more closes it with 1009 */
  maxMessageBytes: number;
  /** a WebSocket message begun in fragments must be finished within this time, or the client is closed */
  wsFragmentTimeoutMs: number;
  /** push routes send a heartbeat (an SSE comment, a WebSocket ping) to every connection this often; 0 = none */
  heartbeatMs: number;
  /** a request must send its headers within this time (slowloris) */
  headersTimeoutMs: number;
  /** a keep-alive connection idle this long between requests is closed */
  idleTimeoutMs: number;
  /** required bearer token, or null for none */
  token: string | null;
  /** a fleet instance: fan out through this Redis (redis://host:port), under `busPrefix` keys */
  redis: string | null;
  busPrefix: string;
  /**
   * more addresses to listen on with the same port (e.g. 127.0.0.2): clients spread over several
   * destinations get a full ephemeral port range each without binding a source address
   */
  extraHosts: string[];
  /** a cluster process that listens on its addresses by itself, not through the primary */
  exclusiveListen?: boolean;
  /**
   * nice value of the processes that serve clients (0 = normal priority). A cluster's primary
   * keeps normal priority: it accepts every connection, and a starved accept queue drops SYNs.
   */
  nice: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  longPollTimeoutMs: 30_000,
  fanoutDelayMs: 0,
  ringSize: 10_000,
  ringBytes: 64 * 1024 * 1024,
  maxBatch: 1000,
  maxAnswerChars: 4 * 1024 * 1024,
  backpressure: 'buffer',
  highWaterBytes: 1024 * 1024,
  maxConnections: 100_000,
  maxHeaderBytes: 16 * 1024,
  maxMessageBytes: 64 * 1024,
  wsFragmentTimeoutMs: 10_000,
  heartbeatMs: 0,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 65_000,
  token: null,
  nice: 0,
  redis: null,
  busPrefix: 'rtbench',
  extraHosts: [],
};

/** What the server refused or cut off, for /metrics: it must never crash or grow without bound. */
export interface ServerCounters extends BackpressureCounters {
  /** connections accepted since start (a reconnect storm shows as its rate) */
  accepted: number;
  authRejected: number;
  /** refusals by reason: too-many-connections, header-too-large, header-timeout, bad-request, message-too-large, … */
  rejected: Record<string, number>;
}

export function newServerCounters(): ServerCounters {
  return { accepted: 0, droppedEvents: 0, disconnectedByPolicy: 0, authRejected: 0, rejected: {} };
}

export function countRejected(c: ServerCounters, reason: string): void {
  c.rejected[reason] = (c.rejected[reason] ?? 0) + 1;
}

/** What every route handler can reach. */
export interface ServerContext {
  options: ServerOptions;
  log: EventLog;
  connections: ConnectionRegistry;
  /** bytes queued inside protocol layers (e.g. ws) on top of the sockets' own buffers */
  queuedBytes: () => Partial<Record<string, number>>;
  counters: ServerCounters;
  closing: boolean;
  /** events accepted per way in: POST /publish or a WebSocket client's message */
  publishedVia: { http: number; websocket: number };
  /** how published events reach every server process (and this one's log) */
  bus: EventBus;
  /** HTTP/2 connections (sessions) this process accepted so far and has open now */
  http2Sessions?: () => { total: number; open: number };
  /** in a cluster: /metrics summed over every process; absent for one process */
  clusterMetrics?: (gc: boolean) => Promise<ServerMetrics>;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerContext) => void;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
    ...headers,
  });
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, JSON.stringify({ error: message }));
}
