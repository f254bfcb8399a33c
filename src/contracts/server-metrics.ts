/** The JSON the reference server answers on GET /metrics: the contract between the server and the runner. */
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
  /** HTTP/2 connections (sessions) accepted since start and open now; absent before the first */
  http2?: { sessions: number; open: number };
  /** server processes summed into this reading (absent: one) */
  processes?: number;
  /** open client connections of each server process, when there are several */
  perProcess?: Array<{ pid: number; connections: number }>;
}

/** One reading of the server's /metrics, at `t` seconds since the phase started. */
export interface ServerSample {
  t: number;
  metrics: ServerMetrics;
}
