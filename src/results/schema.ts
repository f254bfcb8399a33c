import type { LatencySummary } from '../metrics/histogram.js';
import type { TimelinePoint } from '../metrics/recorder.js';
import type { ProtocolName } from '../protocols/types.js';
import type { MemoryReading } from '../contracts/memory-reading.js';

export const SCHEMA_VERSION = 1;

export type { MemoryReading } from '../contracts/memory-reading.js';

/** Server memory per connection: (loaded − idle baseline) / open connections. */
export interface ServerMemory {
  connections: number;
  /** HTTP/2: the clients (streams) those connections carried; the per-connection figures are then per stream */
  streams?: number;
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
  /** client workers' CPU time (user + system) during the hold per event delivered in it, µs */
  clientCpuMicrosPerEvent?: number | null;
  /** what one bare idle TCP socket costs a client worker, measured in this run */
  socketFloor?: { sockets: number; rssPerSocket: number; heapPerSocket: number; method: string } | null;
  /** client RSS per connection ÷ the socket floor's RSS per socket */
  clientRssFloorMultiple?: number | null;
}

/** How one protocol's load was spread over processes and addresses. */
export interface LoadLayout {
  workers: number;
  /** client workers that exited while starting; their clients ran in the others (absent: none) */
  workersDiedAtStart?: number;
  clientsPerWorker: number[];
  /** client source addresses (empty: chosen by the OS) */
  sourceAddresses: string[];
  /** the server addresses clients were spread over (host:port; absent in older results) */
  destinations?: string[];
  /** reference-server processes (null: an external target) */
  serverProcesses: number | null;
  /**
   * open-file limit of each process (Node raises its soft limit to the hard one at start); null: unlimited
   * or unknown
   */
  fdLimit: { soft: number | null; hard: number | null };
}

export interface ClientMemory {
  processes: number;
  clients: number;
  rssPerClient: number;
  heapPerClient: number;
  method: string;
}

/**
 * One second of a stress run (slow consumers, faults): per-second values, not running totals.
 * Server figures are null for a second in which the server could not be read (e.g. restarting).
 */
export interface ServerTimelinePoint {
  t: number; // seconds since the phase started
  rss: number | null;
  /** bytes written for clients and not yet taken by them (socket buffers and server queues) */
  buffered: number | null;
  /** events the server dropped this second (drop-oldest) */
  dropped: number | null;
  /** clients the server closed this second by its backpressure policy */
  disconnected: number | null;
  /** client reconnections this second */
  reconnects: number;
  /** p99 latency of the healthy (not slow) clients' deliveries in this second; null with none */
  healthyP99Micros: number | null;
  /** client transports that came up this second (the reconnect storm's rate) */
  connects?: number;
  /** server event-loop delay p99 over this second, ms */
  loopDelayP99Ms?: number | null;
  /** open connections the server counted */
  connections?: number | null;
  /**
   * the healthy clients' latencies this second (compressed base64 HdrHistogram, µs), absent with
   * none; written by sharded runs only, so that rtbench merge can add them and get the exact p99
   */
  healthyHdr?: string;
}

/** What one injected fault did. */
export interface FaultRecord {
  fault: string;
  /** when it was planned and when it happened, ms since the phase started */
  atMs: number;
  firedAtMs: number;
  /** connections dropped (drop-connections) or silenced (blackhole), or null */
  dropped: number | null;
  /** how long the server was unreachable (restart), or null */
  downMs: number | null;
}

/** Deliveries of a group of clients: the healthy ones, or the slow ones. */
export interface ClientGroupResult {
  clients: number;
  delivered: number;
  lost: number;
  latency: LatencySummary;
}

/** Reconnection and recovery after connections went down. */
export interface RecoveryResult {
  /** transport down → up again, per reconnection (HDR, µs) */
  reconnectTime: LatencySummary;
  /** events due while clients were away: recovered + lostForGood */
  missed: number;
  /** events delivered on a re-established connection that were due before it was up (resume worked) */
  recovered: number;
  /** events a client never got (the run's lost count) */
  lostForGood: number;
  /**
   * highest number of client connections that came up in one second (from the first fault on, if any),
   * and that second
   */
  peakConnectsPerSecond: number;
  peakConnectsAt: number | null;
}

/**
 * --heartbeat (push protocols): what heartbeats cost, and how clients found silently dead
 * connections. Bytes are heartbeats as the protocol carries them (SSE comment lines, WebSocket
 * ping frames), HTTP chunk and TLS framing left out.
 */
export interface HeartbeatResult {
  intervalMs: number;
  /** heartbeat bytes all clients received over the phase */
  bytes: number;
  /** connection time they were received over, s: transports up, summed over clients */
  connectionSeconds: number;
  /** bytes ÷ connection time, scaled to one hour (measured over connectionSeconds, not over an hour) */
  bytesPerConnectionHour: number;
  /** connections clients gave up for silence (heartbeat-timeout) over the phase */
  timeouts: number;
  /** a blackhole fault: how fast and how many clients found the connections it silenced */
  blackhole?: BlackholeResult;
}

/** The first blackhole fault of a phase, seen from the clients. */
export interface BlackholeResult {
  fault: string;
  /** when it fired, ms since the phase started */
  firedAtMs: number;
  /** connections the server silenced (null: unknown) */
  silenced: number | null;
  /** clients that gave a connection up for silence after it fired (before any later fault) */
  detected: number;
  /** the fault's firing → each detection, on rtbench's one clock (HDR, µs) */
  timeToDetect: LatencySummary;
  /** the phase's events due while connections were away: recovered by resume + lost for good */
  missed: number;
  recovered: number;
  lostForGood: number;
}

/** How the server held up under a stress run (from its metrics; absent without them). */
export interface ServerStressResult {
  backpressure: string;
  droppedEvents: number;
  disconnectedByPolicy: number;
  authRejected: number;
  rejected: Record<string, number>;
  peakBuffered: number;
  peakRss: number;
  peakLoopDelayMs: number;
}

/** A fleet run: instances behind Redis, latency on the publishing instance vs the others. */
export interface FleetResult {
  instances: number;
  /** deliveries to clients that started on instance 0, where the publishes enter */
  sameInstance: LatencySummary;
  /** deliveries to clients on the other instances */
  crossInstance: LatencySummary;
  /** instance 0's own publishes: sent to Redis → back from Redis, ms */
  redisRoundTrip: { count: number; p50Ms: number; p99Ms: number } | null;
  /** Redis round trip p50 ÷ latency p50, × 100 */
  redisSharePct: number | null;
}

/** One figure over repeated runs: lowest, highest, mean and sample standard deviation. */
export interface SpreadFigure {
  min: number;
  max: number;
  mean: number;
  sd: number;
  /** runs that measured it */
  runs: number;
}

/** `run --repeat N`: the run-to-run spread of a protocol's main figures (by compare's metric names). */
export interface RunSpread {
  runs: number;
  figures: Record<string, SpreadFigure>;
}

/** Everything measured for one protocol. Latencies are microseconds. */
export interface ProtocolResult {
  protocol: ProtocolName;
  partial: boolean;
  /**
   * the bundled server's (or a target's, from its metrics) CPU time per delivered event over the
   * hold, µs; approximate: CPU from the loaded reading to the hold's end over the hold's delivery
   * rate (absent in older results)
   */
  serverCpuMicrosPerEvent?: number | null;
  /** the phase was running when the run was stopped with Ctrl-C (absent otherwise and in older results) */
  interrupted?: boolean;
  clients: number;
  connectedPeak: number;
  /** events the publisher had acknowledged when the phase ended */
  published: number;
  publishErrors: number;
  /**
   * intended publish → received, coordinated-omission corrected; events intended during the hold
   * (after the ramp) when `window` is 'hold', else every event (older results)
   */
  latency: LatencySummary;
  window?: 'hold' | 'phase';
  /** the ramp's own figures: events intended while clients were still connecting */
  ramp?: {
    delivered: number;
    lost: number;
    latency: LatencySummary;
    workerLoopDelayP99Ms: number;
    workerLoopDelayMaxMs: number;
  };
  /** the whole phase's latency, ramp and hold together */
  latencyAll?: LatencySummary;
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
  /** a fleet run: same- vs cross-instance latency and Redis round trips */
  fleet?: FleetResult;
  /** what sets this row apart from another of the same protocol, e.g. the backpressure policy "drop-oldest" */
  variant?: string;
  /** failed publishes by kind (they are not counted lost) */
  publishErrorsByType?: Record<string, number>;
  /** slow-consumer runs: the healthy and the slow clients apart */
  healthy?: ClientGroupResult;
  slow?: ClientGroupResult & { mode: string };
  /** stress runs: reconnection and recovery */
  recovery?: RecoveryResult;
  serverStress?: ServerStressResult;
  faults?: FaultRecord[];
  /** stress runs: one point per second of the phase */
  serverTimeline?: ServerTimelinePoint[];
  /** --heartbeat, push protocols: heartbeat cost and detection of silent connections */
  heartbeat?: HeartbeatResult;
  /** a protocol that starts on polling and upgrades (Socket.IO's upgrade variant): what the upgrades took */
  upgrade?: UpgradeResult;
  /** --upstream protocol over a protocol with acks (Socket.IO): emit → ack round trip, µs */
  ackRoundTrip?: LatencySummary;
  /**
   * `run --repeat N` (absent otherwise and in older results): the spread of the main figures over
   * the N runs, whose histograms and counters the rest of this result merges
   */
  spread?: RunSpread;
}

/** Polling → WebSocket upgrades (Socket.IO), one sample per upgrade. */
export interface UpgradeResult {
  upgrades: number;
  /** from the connection attempt's start to the upgrade: the time spent on polling, µs */
  time: LatencySummary;
  /** HTTP requests until the upgrade, the WebSocket handshake included */
  requests: { mean: number; p50: number; p99: number };
  /** bytes read and written until the upgrade (headers, framing and TLS included) */
  bytes: { mean: number; p50: number; p99: number };
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
    /** labels given with --tag or "tags" (absent in older results) */
    tags?: Record<string, string>;
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
    /** stress runs: slow consumers, backpressure policies, faults */
    stress?: {
      slowConsumers: number;
      slowMode: string;
      backpressure: string[];
      highWaterBytes: number;
      faults: string[];
      reconnectBackoff: { initialMs: number; maxMs: number };
    };
    /** `run --repeat N`: the runs merged into these results (absent: one run) */
    repeat?: number;
    /** this run's share when the clients were split over several machines or processes */
    shard?: { index: number; count: number };
    /** bundled reference-server processes (null: an external target; absent in older results) */
    serverProcesses?: number | null;
    /** CPU nice value of the bundled server's processes (null: a target; absent in older results) */
    serverNice?: number | null;
    /** --heartbeat interval, ms (absent: off, or older results) */
    heartbeatMs?: number;
    /** --http when it includes HTTP/2 (absent: HTTP/1.1 only, or older results) */
    http?: string[];
    /** --streams-per-connection of an HTTP/2 run: clients per connection, or max (the server's limit) */
    streamsPerConnection?: number | 'max';
    /** --socketio-transports of a run with socketio */
    socketioTransports?: string[];
  };
  machine: { cpuModel: string; cpus: number; totalMemBytes: number; node: string; platform: string; arch: string };
  /** how figures were measured (printed under the table and in reports) */
  notes: string[];
  protocols: ProtocolResult[];
}
