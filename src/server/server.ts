import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UsageError } from '../errors.js';
import { EventLog } from './event-log.js';
import { LocalEventBus, type EventBus } from './event-bus.js';
import { ConnectionRegistry, type ServerProtocol } from './connections.js';
import { DEFAULT_SERVER_OPTIONS, sendError, type RouteHandler, type ServerContext, type ServerOptions } from './context.js';
import { handlePoll } from './routes/poll.js';
import { LongPollRoute } from './routes/long-poll.js';
import { SseRoute } from './routes/sse.js';
import { WebSocketRoute } from './routes/websocket.js';
import { handlePublish } from './routes/publish.js';
import { MetricsRoute, type ServerMetrics } from './routes/metrics.js';

export interface ReferenceServer {
  url: string;
  port: number;
  metrics(gc?: boolean): ServerMetrics;
  /** Fault injection: abruptly closes that share of one protocol's (or all) client connections; returns how many. */
  dropConnections(fraction?: number, kind?: ServerProtocol): number;
  close(): Promise<void>;
}

/** What differs when the server is one process of several (see cluster.ts). */
export interface ServerRuntime {
  busFor?: (log: EventLog) => EventBus;
  clusterMetrics?: (gc: boolean) => Promise<ServerMetrics>;
}

/** Starts the reference server: one HTTP port serving all four protocols over one event stream. */
export async function startReferenceServer(partial: Partial<ServerOptions> = {}, runtime: ServerRuntime = {}): Promise<ReferenceServer> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const log = new EventLog(options.ringSize);
  const ctx: ServerContext = {
    options,
    log,
    bus: runtime.busFor ? runtime.busFor(log) : new LocalEventBus(log),
    clusterMetrics: runtime.clusterMetrics,
    connections: new ConnectionRegistry(),
    queuedBytes: () => ({ websocket: ws.queued() }),
    closing: false,
    publishedVia: { http: 0, websocket: 0 },
  };
  const longPoll = new LongPollRoute(ctx);
  const sse = new SseRoute(ctx);
  const ws = new WebSocketRoute(ctx);
  const metrics = new MetricsRoute(ctx);

  const routes: Record<string, { kind: ServerProtocol; handler: RouteHandler }> = {
    '/poll': { kind: 'polling', handler: handlePoll },
    '/long-poll': { kind: 'long-polling', handler: longPoll.handle },
    '/sse': { kind: 'sse', handler: sse.handle },
    '/publish': { kind: 'other', handler: handlePublish },
    '/metrics': { kind: 'other', handler: metrics.handle },
  };

  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes[url.pathname];
    if (!route) {
      ctx.connections.tag(req.socket, 'other');
      return sendError(res, 404, `no route ${url.pathname}; try /poll, /long-poll, /sse, /ws, /publish or /metrics`);
    }
    ctx.connections.tag(req.socket, route.kind);
    if (route.kind !== 'other' && req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'use GET');
    route.handler(req, res, url, ctx);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    ctx.connections.tag(socket as Socket, 'websocket');
    ws.handleUpgrade(req, socket, head, url);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`port ${options.port} on ${options.host} is already in use`, 'pick another with --port, or --port 0 for any free port'));
      else if (e.code === 'EACCES') reject(new UsageError(`no permission to listen on port ${options.port}`, 'use a port above 1023'));
      else reject(e);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${host}:${port}`,
    port,
    metrics: (gc = false) => metrics.snapshot(gc),
    dropConnections(fraction = 1, kind) {
      const victims = ctx.connections.all().filter((s) => (kind ? ctx.connections.kindOf(s) === kind : ctx.connections.kindOf(s) !== 'other'));
      const n = Math.round(victims.length * fraction);
      for (const s of victims.slice(0, n)) s.destroy();
      return n;
    },
    async close() {
      ctx.closing = true;
      longPoll.closeAll();
      sse.closeAll();
      ws.closeAll();
      metrics.stop();
      ctx.bus.close();
      for (const s of ctx.connections.all()) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
