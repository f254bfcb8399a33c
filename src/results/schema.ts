import type { LatencySummary } from '../metrics/histogram.js';
import type { TimelinePoint } from '../metrics/recorder.js';
import type { ProtocolName } from '../protocols/types.js';

export const SCHEMA_VERSION = 1;

export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Server memory per connection: (loaded − idle baseline) / open connections. */
export interface ServerMemory {
  connections: number;
  baseline: MemoryReading;
  loaded: MemoryReading;
  rssPerConnection: number;
  heapPerConnection: number;
  /** how it was measured, in one sentence */
  method: string;
}

/** The load generator's own health during one protocol's phase (event-loop delay beyond schedule). */
export interface GeneratorHealth {
  /** the worst client worker's event-loop delay p99 over the phase, ms */
  workerLoopDelayP99Ms: number;
  workerLoopDelayMaxMs: number;
  /** the publisher's (main process) event-loop delay p99 over the phase, ms */
  publisherLoopDelayP99Ms: number;
  publisherLoopDelayMaxMs: number;
  /** the generator was too busy to trust the latency it reports */
  saturated: boolean;
  rule: string;
}

/** How one protocol's load was spread over processes and addresses. */
export interface LoadLayout {
  workers: number;
  clientsPerWorker: number[];
  /** client source addresses (empty: chosen by the OS) */
  sourceAddresses: string[];
  /** reference-server processes (null: an external target) */
  serverProcesses: number | null;
  /** open-file limit of each process (Node raises its soft limit to the hard one at start); null: unlimited or unknown */
  fdLimit: { soft: number | null; hard: number | null };
}

export interface ClientMemory {
  processes: number;
  clients: number;
  rssPerClient: number;
  heapPerClient: number;
  method: string;
}

/** Everything measured for one protocol. Latencies are microseconds. */
export interface ProtocolResult {
  protocol: ProtocolName;
  partial: boolean;
  clients: number;
  connectedPeak: number;
  /** events the publisher had acknowledged when the phase ended */
  published: number;
  publishErrors: number;
  /** intended publish → received, coordinated-omission corrected */
  latency: LatencySummary;
  /** client start → transport up */
  connect: LatencySummary;
  /** client start → first event */
  firstEvent: LatencySummary;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  requests: number;
  wasted: number;
  /** wasted / requests × 100, 0 when no requests */
  wastedPct: number;
  reconnects: number;
  disconnects: number;
  errors: number;
  errorsByType: Record<string, number>;
  bytes: { in: number; out: number; inPerEvent: number; outPerEvent: number };
  server: ServerMemory | null;
  client: ClientMemory | null;
  /** connections per second reached during ramp-up */
  connectRate: number;
  /** requests answered per second, first to last answer (request/response protocols; 0 otherwise) */
  requestRate?: number;
  /** absent in results of older versions */
  generator?: GeneratorHealth;
  layout?: LoadLayout;
  timeline: TimelinePoint[];
  durationMs: number;
}

export interface RunResults {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'rtbench'; version: string };
  partial: boolean;
  partialReason: string | null;
  startedAt: string;
  finishedAt: string;
  params: {
    name: string | null;
    protocols: ProtocolName[];
    clients: number;
    durationMs: number;
    rampMs: number;
    rate: number;
    payloadBytes: number;
    rooms?: number;
    upstream?: 'http' | 'protocol';
    pollIntervalMs: number;
    longPollTimeoutMs: number;
    workers: number;
    target: string | null;
    fanoutDelayMs: number;
    /** this run's share when the clients were split over several machines or processes */
    shard?: { index: number; count: number };
    /** bundled reference-server processes (null: an external target; absent in older results) */
    serverProcesses?: number | null;
  };
  machine: { cpuModel: string; cpus: number; totalMemBytes: number; node: string; platform: string; arch: string };
  /** how figures were measured (printed under the table and in reports) */
  notes: string[];
  protocols: ProtocolResult[];
}
