import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { ServerHttp2Session } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UsageError } from '../errors.js';
import { EventLog } from '../server-core/event-log.js';
import { LocalEventBus, type EventBus } from '../server-core/event-bus.js';
import { ConnectionRegistry, type ServerProtocol } from '../server-core/connections.js';
import {
  countRejected,
  DEFAULT_SERVER_OPTIONS,
  newServerCounters,
  sendError,
  type RouteHandler,
  type ServerContext,
  type ServerOptions,
} from '../server-core/context.js';
import { checkToken, offeredToken } from '../server-core/auth.js';
import { PROTOCOLS } from '../protocols/list.js';
import type { ProtocolRoute } from '../server-core/route.js';
import { handlePublish } from '../server-core/publish.js';
import { blackhole, isBlackholed, type DropMode } from '../server-core/blackhole.js';
import { MetricsRoute } from './metrics-route.js';
import { createHttpServer as httpOrHttps } from './tls.js';
import { answerHttp2, type Http2Front } from './http2-front.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';

export interface ReferenceServer {
  url: string;
  port: number;
  metrics(gc?: boolean): ServerMetrics;
  /** Fault injection: abruptly closes that share of one protocol's (or all) client connections; returns how many. */
  /**
   * Fault injection: abruptly closes (or, `blackhole`, silences without closing) that share of one
   * protocol's (or all) client connections; returns how many.
   */
  dropConnections(fraction?: number, kind?: ServerProtocol, mode?: DropMode): number;
  close(): Promise<void>;
}

const CLIENT_ERRORS: Record<string, { status: string; kind: string }> = {
  HPE_HEADER_OVERFLOW: { status: '431 Request Header Fields Too Large', kind: 'header-too-large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: '408 Request Timeout', kind: 'header-timeout' },
  ECONNRESET: { status: '400 Bad Request', kind: 'connection-reset' },
};

/** Pending connections the kernel may queue per listener (it caps this at net.core.somaxconn). */
export const ACCEPT_BACKLOG = 65_535;

/** The request target as a URL, or null when it cannot be one (never throws on hostile input). */
function parseUrl(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** What differs when the server is one process of several (see cluster.ts). */
export interface ServerRuntime {
  busFor?: (log: EventLog) => EventBus;
  clusterMetrics?: (gc: boolean) => Promise<ServerMetrics>;
}

/** Starts the reference server: one HTTP port serving all four protocols over one event stream. */
export async function startReferenceServer(
  partial: Partial<ServerOptions> = {},
  runtime: ServerRuntime = {},
): Promise<ReferenceServer> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const log = new EventLog(options.ringSize, options.ringBytes);
  const ctx: ServerContext = {
    options,
    log,
    bus: runtime.busFor ? runtime.busFor(log) : new LocalEventBus(log),
    clusterMetrics: runtime.clusterMetrics,
    connections: new ConnectionRegistry(PROTOCOLS.map((d) => d.name)),
    queuedBytes: () => Object.fromEntries(table.mounted.map((m) => [m.kind, m.route.queued?.() ?? 0])),
    counters: newServerCounters(),
    closing: false,
    publishedVia: { http: 0, websocket: 0 },
  };
  const table = await mountRoutes(ctx);
  // A refused connection's request or upgrade (already read by the parser) is dropped unanswered.
  const refused = new WeakSet<Socket | Duplex>();
  const { server, front } = serveBothVersions(ctx, table, refused);
  limitConnections(server, ctx, refused);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    handleUpgrade(ctx, table, refused, req, socket, head),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(ctx, err, socket));
  await listen(server, options);
  const port = (server.address() as AddressInfo).port;
  // Connections to the extra addresses are handed to the same HTTP server (and its upgrades).
  const extraListeners = await Promise.all(
    options.extraHosts.map((h) => listenAlso(h, port, (s) => server.emit('connection', s), options.exclusiveListen)),
  );
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    metrics: (gc = false) => table.metrics.snapshot(gc),
    dropConnections: (fraction = 1, kind, mode = 'close') => dropConnections(ctx, fraction, kind, mode),
    async close() {
      ctx.closing = true;
      for (const m of table.mounted) m.route.closeAll?.();
      table.metrics.stop();
      ctx.bus.close();
      front?.closeAll();
      for (const s of ctx.connections.all()) s.destroy();
      for (const l of extraListeners) l.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The server's routes: every protocol's (mounted on its descriptor's path), /publish and /metrics. */
interface RouteTable {
  mounted: Array<{ kind: ServerProtocol; path: string; route: ProtocolRoute }>;
  metrics: MetricsRoute;
  routes: Record<string, { kind: ServerProtocol; handler: RouteHandler; ownHandshake?: boolean }>;
  upgrades: Record<string, ProtocolRoute>;
  knownPaths: string[];
}

async function mountRoutes(ctx: ServerContext): Promise<RouteTable> {
  // Every protocol's route, mounted on its descriptor's path.
  const mounted: RouteTable['mounted'] = [];
  for (const d of PROTOCOLS) mounted.push({ kind: d.name, path: d.defaultPath, route: (await d.route())(ctx) });
  const metrics = new MetricsRoute(ctx);
  const routes: RouteTable['routes'] = {
    '/publish': { kind: 'other', handler: handlePublish },
    '/metrics': { kind: 'other', handler: metrics.handle },
  };
  const upgrades: Record<string, ProtocolRoute> = {};
  for (const m of mounted) {
    const route = m.route;
    const ownHandshake = route.ownHandshake === true;
    for (const path of ownHandshake ? [m.path, `${m.path}/`] : [m.path]) {
      if (route.handle)
        routes[path] = { kind: m.kind, handler: (req, res, url) => route.handle?.(req, res, url), ownHandshake };
      if (route.upgrade) upgrades[path] = route;
    }
  }
  const knownPaths = [...mounted.map((m) => m.path), '/publish', '/metrics'];
  return { mounted, metrics, routes, upgrades, knownPaths };
}

/**
 * The HTTP/1.1 (or HTTPS) server, with HTTP/2 connections on the same port handed to an http2
 * server (http2-front.ts); both answer through one request handler.
 */
function serveBothVersions(
  ctx: ServerContext,
  table: RouteTable,
  refused: WeakSet<Socket | Duplex>,
): { server: http.Server; front: Http2Front } {
  const { options } = ctx;
  // The TCP (or TLS) connection a request came on: an HTTP/2 stream's is its session's.
  const sessions: { front: Http2Front | null } = { front: null };
  const connectionOf = (req: IncomingMessage): Socket => {
    const session = (req as unknown as { stream?: { session?: ServerHttp2Session } }).stream?.session;
    return (session && sessions.front?.socketOf(session)) || req.socket;
  };
  const handler = requestHandler(ctx, table, refused, connectionOf);
  const server = httpOrHttps(options.tls, http1Limits(options), handler);
  const silentTimeout = Object.assign(new Error('nothing sent'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
  const front = answerHttp2(server, handler as never, {
    encrypted: !!options.tls,
    maxHeaderBytes: options.maxHeaderBytes,
    silent: { ms: options.headersTimeoutMs, then: (socket) => answerClientError(ctx, silentTimeout, socket) },
  });
  sessions.front = front;
  ctx.http2Sessions = () => front.sessions();
  return { server, front };
}

/** What a client may make the HTTP/1.1 server hold: header size and time, idle time. */
function http1Limits(options: ServerOptions): http.ServerOptions {
  return {
    keepAliveTimeout: options.idleTimeoutMs,
    headersTimeout: options.headersTimeoutMs,
    // Streams (SSE, long-polls) answer slowly on purpose; only receiving the request is timed.
    requestTimeout: options.headersTimeoutMs * 3,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, options.headersTimeoutMs / 4)),
    maxHeaderSize: options.maxHeaderBytes,
  };
}

/**
 * The request handler of both HTTP versions: routing, token check, methods (HTTP/2 requests come
 * through Node's compatibility API, which routes treat as HTTP/1.1's request and response).
 */
function requestHandler(
  ctx: ServerContext,
  table: RouteTable,
  refused: WeakSet<Socket | Duplex>,
  connectionOf: (req: IncomingMessage) => Socket,
): http.RequestListener {
  const { options, counters } = ctx;
  const { routes, knownPaths } = table;
  return (req: IncomingMessage, res: ServerResponse) => {
    const connection = connectionOf(req);
    // A refused connection's request (already read by the parser) must not publish or subscribe.
    if (refused.has(connection)) return void connection.destroy();
    const url = parseUrl(req.url);
    if (!url) {
      countRejected(counters, 'bad-request');
      res.shouldKeepAlive = false; // a client that sends this is not worth keeping
      return sendError(res, 400, 'malformed request target');
    }
    const route = routes[url.pathname];
    if (!route) {
      ctx.connections.tag(connection, 'other');
      return sendError(res, 404, `no route ${url.pathname}; try ${knownPaths.join(', ')}`);
    }
    ctx.connections.tag(connection, route.kind);
    if (route.ownHandshake) return route.handler(req, res, url, ctx);
    if (checkToken(offeredToken(req), options.token) !== 'ok') {
      counters.authRejected++;
      res.setHeader('www-authenticate', 'Bearer');
      return sendError(res, 401, 'missing or wrong token');
    }
    if (route.kind !== 'other' && req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'use GET');
    // HEAD: the status a GET would get, no body, and no stream or long-poll held open for it.
    if (route.kind !== 'other' && req.method === 'HEAD')
      return void res.writeHead(200, { 'cache-control': 'no-cache' }).end();
    route.handler(req, res, url, ctx);
  };
}

/** Past --max-connections a new connection is answered 503 and closed (and marked refused). */
function limitConnections(server: http.Server, ctx: ServerContext, refused: WeakSet<Socket | Duplex>): void {
  const { options, counters } = ctx;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    counters.accepted++;
    if (open >= options.maxConnections) {
      refused.add(socket);
      countRejected(counters, 'too-many-connections');
      socket.on('error', () => {});
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n',
      );
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}

/** An HTTP upgrade (WebSocket): routed by path and token-checked before the route takes the socket. */
function handleUpgrade(
  ctx: ServerContext,
  table: RouteTable,
  refused: WeakSet<Socket | Duplex>,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const { options, counters } = ctx;
  socket.on('error', () => socket.destroy());
  if (refused.has(socket)) return void socket.destroy();
  const url = parseUrl(req.url);
  const target = url ? table.upgrades[url.pathname] : undefined;
  const kind = url ? table.mounted.find((m) => m.route === target)?.kind : undefined;
  if (!url || !target?.upgrade || !kind) {
    countRejected(counters, url ? 'not-found' : 'bad-request');
    socket.end(
      `HTTP/1.1 ${url ? '404 Not Found' : '400 Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
    return;
  }
  ctx.connections.tag(socket as Socket, kind);
  const verdict = target.ownHandshake ? 'ok' : checkToken(offeredToken(req), options.token);
  if (verdict === 'wrong') {
    counters.authRejected++;
    socket.end(
      'HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    );
    return;
  }
  target.upgrade(req, socket, head, url, verdict === 'ok');
}

/** A request the HTTP parser refused (too large, too slow, reset): counted, answered if still writable. */
function answerClientError(ctx: ServerContext, err: NodeJS.ErrnoException, socket: Duplex): void {
  const reason = CLIENT_ERRORS[err.code ?? ''] ?? { status: '400 Bad Request', kind: 'bad-request' };
  countRejected(ctx.counters, reason.kind);
  if (err.code === 'ECONNRESET' || !socket.writable) socket.destroy();
  else socket.end(`HTTP/1.1 ${reason.status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** Listens on the configured host and port; a port in use or not allowed is a usage error. */
function listen(server: http.Server, options: ServerOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(
          new UsageError(
            `port ${options.port} on ${options.host} is already in use`,
            'pick another with --port, or --port 0 for any free port',
          ),
        );
      else if (e.code === 'EACCES')
        reject(new UsageError(`no permission to listen on port ${options.port}`, 'use a port above 1023'));
      else reject(e);
    });
    // A connect storm of thousands per second overflows Node's default accept queue (511): the
    // kernel then drops handshakes and clients see resets. The system's own ceiling is used instead.
    server.listen(
      { port: options.port, host: options.host, backlog: ACCEPT_BACKLOG, exclusive: options.exclusiveListen },
      () => resolve(),
    );
  });
}

/**
 * Fault injection: abruptly closes (or, `blackhole`, silences without closing: no FIN, no RST) that
 * share of one protocol's (or all protocols') connections not already silenced.
 */
function dropConnections(ctx: ServerContext, fraction: number, kind: ServerProtocol | undefined, mode: DropMode) {
  const victims = ctx.connections
    .all()
    .filter((s) => (kind ? ctx.connections.kindOf(s) === kind : ctx.connections.kindOf(s) !== 'other'))
    .filter((s) => !isBlackholed(s));
  const n = Math.round(victims.length * fraction);
  for (const s of victims.slice(0, n)) {
    if (mode === 'blackhole') blackhole(s);
    else s.destroy();
  }
  return n;
}

/** Listens on one more address with the same port and passes every connection on. */
function listenAlso(
  host: string,
  port: number,
  onConnection: (s: Socket) => void,
  exclusive = false,
): Promise<net.Server> {
  const extra = net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    extra.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL'
          ? new UsageError(
              `cannot listen on ${host}:${port} (${e.code})`,
              'use fewer clients per run, or free that address',
            )
          : e,
      ),
    );
    extra.listen({ port, host, backlog: ACCEPT_BACKLOG, exclusive }, () => resolve(extra));
  });
}
