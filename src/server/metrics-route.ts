import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sendJson, type ServerContext } from '../server-core/context.js';
import { collectGarbage } from '../metrics/gc.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';

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
      memory: {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      },
      buffered: this.ctx.connections.buffered(this.ctx.queuedBytes()),
      eventLoopDelayMs: loop,
      cpuMicros: process.cpuUsage(),
      events: { lastId: this.ctx.log.lastId, retained: this.ctx.log.size, publishedVia: { ...this.ctx.publishedVia } },
      ...(this.ctx.bus.stats ? { bus: this.ctx.bus.stats() } : {}),
      stress: {
        backpressure: this.ctx.options.backpressure,
        ...this.ctx.counters,
        rejected: { ...this.ctx.counters.rejected },
      },
      gc,
      ...this.http2(),
    };
  }

  private http2(): Pick<ServerMetrics, 'http2'> {
    const s = this.ctx.http2Sessions?.();
    return s && s.total ? { http2: { sessions: s.total, open: s.open } } : {};
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
