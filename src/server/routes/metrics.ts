import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sendJson, type ServerContext } from '../context.js';
import { collectGarbage } from '../../metrics/gc.js';

export interface ServerMetrics {
  uptimeMs: number;
  connections: Record<string, number>;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  buffered: Record<string, number>;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** CPU time the server's process(es) used since start, µs (read twice to get a share of a core) */
  cpuMicros?: { user: number; system: number };
  events: { lastId: number; retained: number; publishedVia: { http: number; websocket: number } };
  /** the event bus's own figures (a fleet instance: Redis round trips of its publishes) */
  bus?: Record<string, number>;
  /** how the server held up: its backpressure policy and what it dropped, cut off or refused */
  stress?: {
    backpressure: string;
    accepted: number;
    droppedEvents: number;
    disconnectedByPolicy: number;
    authRejected: number;
    rejected: Record<string, number>;
  };
  gc: boolean;
  /** server processes summed into this reading (absent: one) */
  processes?: number;
  /** open client connections of each server process, when there are several */
  perProcess?: Array<{ pid: number; connections: number }>;
}

/** GET /metrics: a JSON snapshot; ?gc=1 collects garbage first (if possible) for a steadier memory reading. */
export class MetricsRoute {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly started = Date.now();

  constructor(private readonly ctx: ServerContext) {
    this.loop.enable();
  }

  snapshot(runGc = false): ServerMetrics {
    const gc = runGc ? collectGarbage() : false;
    const m = process.memoryUsage();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const loop = { p50: ms(this.loop.percentile(50)), p99: ms(this.loop.percentile(99)), max: ms(this.loop.max) };
    this.loop.reset();
    return {
      uptimeMs: Date.now() - this.started,
      connections: this.ctx.connections.counts(),
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers },
      buffered: this.ctx.connections.buffered(this.ctx.queuedBytes()),
      eventLoopDelayMs: loop,
      cpuMicros: process.cpuUsage(),
      events: { lastId: this.ctx.log.lastId, retained: this.ctx.log.size, publishedVia: { ...this.ctx.publishedVia } },
      ...(this.ctx.bus.stats ? { bus: this.ctx.bus.stats() } : {}),
      stress: { backpressure: this.ctx.options.backpressure, ...this.ctx.counters, rejected: { ...this.ctx.counters.rejected } },
      gc,
    };
  }

  handle = (_req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const gc = url.searchParams.get('gc') === '1';
    if (!this.ctx.clusterMetrics) return sendJson(res, 200, JSON.stringify(this.snapshot(gc)));
    void this.ctx.clusterMetrics(gc).then((m) => sendJson(res, 200, JSON.stringify(m)));
  };

  stop(): void {
    this.loop.disable();
  }
}
