import { mergeEncoded, summarize } from '../metrics/histogram.js';
import { emptyCounters } from '../metrics/recorder.js';
import { mergeTimelines } from './merge.js';
import type { WorkerResult } from '../contracts/worker-messages.js';
import type { ProtocolName } from '../protocols/types.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';
import type {
  ClientMemory,
  FleetResult,
  GeneratorHealth,
  LoadLayout,
  MemoryReading,
  ProtocolResult,
  ServerMemory,
} from './schema.js';
import { assembleStress, type StressOutcome } from './stress-results.js';
import { generatorHealth } from './generator-health.js';
import { assembleHeartbeat } from './heartbeat-results.js';
import { assembleUpgrade, summarizeMs } from './transport-results.js';

export interface PhaseOutcome {
  protocol: ProtocolName;
  clients: number;
  workers: WorkerResult[];
  workerMemory: MemoryReading[];
  serverBaseline: ServerMetrics | null;
  serverLoaded: ServerMetrics | null;
  /** the server read again when the hold ended: its CPU since `serverLoaded` (absent in older callers) */
  serverEnd?: ServerMetrics | null;
  /** the hold's length, ms */
  holdMs?: number;
  published: number;
  publishErrors: number;
  durationMs: number;
  partial: boolean;
  publishErrorsByType?: Record<string, number>;
  /** set when the protocol ran more than once in the run (e.g. once per backpressure policy) */
  variant?: string | null;
  /** slow consumers or faults: what the phase measured on top */
  stress?: StressOutcome | null;
  layout?: LoadLayout;
  /** > 1 when the bundled server ran as a fleet of this many instances */
  fleetInstances?: number;
  /** --upstream protocol with acks (Socket.IO): each emit's round trip to its ack, ms */
  ackRoundTripsMs?: number[];
  /** the publisher's event-loop delay over the phase */
  publisherLoopDelay?: { p99Ms: number; maxMs: number };
  /** clients were HTTP/2 streams sharing connections: server memory is divided by the clients, not the connections */
  clientsShareConnections?: boolean;
}

/** Merges every worker's results exactly (histograms bucket by bucket, counters summed). */
export function assembleProtocolResult(o: PhaseOutcome): ProtocolResult {
  const { c, errorsByType, timeline, connectedPeak, wireIn, wireOut, rampSpanMs, firstRequest, lastRequest } =
    sumWorkers(o);
  const latencyAll = summarize(mergeEncoded(o.workers.map((w) => w.snapshot.latencyHdr)));
  const split = o.workers.every((w) => w.snapshot.holdHdr !== undefined);
  const latency = split ? summarize(mergeEncoded(o.workers.map((w) => w.snapshot.holdHdr!))) : latencyAll;
  const ramp = split ? rampWindow(o) : null;
  const requestSpanS = lastRequest > firstRequest ? (lastRequest - firstRequest) / 1e6 : 0;
  const perEvent = (b: number) => (c.delivered ? b / c.delivered : 0);
  const recovered = o.workers.reduce((n, w) => n + w.snapshot.recovered, 0);
  const heartbeat = assembleHeartbeat(o.workers, o.stress?.faults ?? [], { recovered, lost: c.lost });
  return {
    protocol: o.protocol,
    ...(o.variant ? { variant: o.variant } : {}),
    partial: o.partial,
    clients: o.clients,
    connectedPeak,
    published: o.published,
    publishErrors: o.publishErrors,
    latency,
    ...(ramp ? { window: 'hold' as const, ramp, latencyAll } : {}),
    connect: summarize(mergeEncoded(o.workers.map((w) => w.snapshot.connectHdr))),
    firstEvent: summarize(mergeEncoded(o.workers.map((w) => w.snapshot.firstEventHdr))),
    delivered: c.delivered,
    lost: c.lost,
    duplicated: c.duplicated,
    reordered: c.reordered,
    requests: c.requests,
    wasted: c.wasted,
    wastedPct: c.requests ? (c.wasted / c.requests) * 100 : 0,
    reconnects: c.reconnects,
    disconnects: c.disconnects,
    errors: c.errors,
    errorsByType,
    bytes: { in: wireIn, out: wireOut, inPerEvent: perEvent(wireIn), outPerEvent: perEvent(wireOut) },
    server: serverMemory(o, connectedPeak),
    client: clientMemory(o),
    connectRate: rampSpanMs > 0 ? connectedPeak / (rampSpanMs / 1000) : 0,
    requestRate: requestSpanS > 0 ? c.requests / requestSpanS : 0,
    generator: {
      ...generatorHealth({
        workerLoopDelayP99Ms: o.workers.map((w) => w.loopDelayP99Ms ?? 0),
        workerLoopDelayMaxMs: o.workers.map((w) => w.loopDelayMaxMs),
        publisherLoopDelayP99Ms: o.publisherLoopDelay?.p99Ms ?? 0,
        publisherLoopDelayMaxMs: o.publisherLoopDelay?.maxMs ?? 0,
        latencyP99Micros: latency.p99,
      }),
      clientCpuMicrosPerEvent: cpuPerEvent(o, c.delivered - (ramp?.delivered ?? 0)),
    },
    ...serverCpu(o, c.delivered - (ramp?.delivered ?? 0)),
    ...(o.layout ? { layout: o.layout } : {}),
    ...(o.fleetInstances && o.fleetInstances > 1 ? { fleet: fleetResult(o, o.fleetInstances) } : {}),
    timeline,
    durationMs: o.durationMs,
    ...(o.publishErrors && o.publishErrorsByType ? { publishErrorsByType: o.publishErrorsByType } : {}),
    ...(o.stress ? assembleStress(o.stress, o.workers, o.serverBaseline, c.lost) : {}),
    ...(heartbeat ? { heartbeat } : {}),
    ...transportFigures(o),
  };
}

/** What a transport with an upgrade or acks adds (Socket.IO): absent for the others. */
function transportFigures(o: PhaseOutcome): Pick<ProtocolResult, 'upgrade' | 'ackRoundTrip'> {
  const upgrade = assembleUpgrade(o.workers);
  const ackRoundTrip = summarizeMs(o.ackRoundTripsMs ?? []);
  return { ...(upgrade ? { upgrade } : {}), ...(ackRoundTrip ? { ackRoundTrip } : {}) };
}

/** Counters, errors, per-second timeline, wire bytes and windows summed over the phase's workers. */
function sumWorkers(o: PhaseOutcome) {
  const c = emptyCounters();
  const errorsByType: Record<string, number> = {};
  const sum = { connectedPeak: 0, wireIn: 0, wireOut: 0, rampSpanMs: 0, firstRequest: Infinity, lastRequest: 0 };
  for (const w of o.workers) {
    const s = w.snapshot;
    for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] += s.counters[k];
    for (const [k, v] of Object.entries(s.errorsByType)) errorsByType[k] = (errorsByType[k] ?? 0) + v;
    sum.connectedPeak += s.connectedPeak;
    sum.wireIn += w.wire.in;
    sum.wireOut += w.wire.out;
    sum.rampSpanMs = Math.max(sum.rampSpanMs, w.rampSpanMs);
    if (w.requestWindow?.first) sum.firstRequest = Math.min(sum.firstRequest, w.requestWindow.first);
    if (w.requestWindow?.last) sum.lastRequest = Math.max(sum.lastRequest, w.requestWindow.last);
  }
  const timeline = mergeTimelines(o.workers.map((w) => w.snapshot.timeline));
  return { c, errorsByType, timeline, ...sum };
}

/** The ramp's own figures, kept apart so the headline latency is the hold's. */
function rampWindow(o: PhaseOutcome) {
  return {
    delivered: o.workers.reduce((n, w) => n + (w.snapshot.ramp?.delivered ?? 0), 0),
    lost: o.workers.reduce((n, w) => n + (w.snapshot.ramp?.lost ?? 0), 0),
    latency: summarize(mergeEncoded(o.workers.map((w) => w.snapshot.rampHdr!))),
    workerLoopDelayP99Ms: Math.max(0, ...o.workers.map((w) => w.rampLoopDelayP99Ms ?? 0)),
    workerLoopDelayMaxMs: Math.max(0, ...o.workers.map((w) => w.rampLoopDelayMaxMs ?? 0)),
  };
}

function serverMemory(o: PhaseOutcome, connectedPeak: number): ServerMemory | null {
  const b = o.serverBaseline;
  const l = o.serverLoaded;
  if (!b || !l) return null;
  const connections = l.connections[o.protocol] ?? 0;
  if (!connections) return null;
  // Streams sharing a connection: per client is what compares with a protocol that opens one each.
  const streams = o.clientsShareConnections && connectedPeak > 0 ? connectedPeak : null;
  const divisor = streams ?? connections;
  const reading = (m: ServerMetrics): MemoryReading => ({
    rss: m.memory.rss,
    heapUsed: m.memory.heapUsed,
    external: m.memory.external,
    arrayBuffers: m.memory.arrayBuffers,
  });
  return {
    connections,
    ...(streams ? { streams } : {}),
    baseline: reading(b),
    loaded: reading(l),
    rssPerConnection: (l.memory.rss - b.memory.rss) / divisor,
    heapPerConnection: (l.memory.heapUsed - b.memory.heapUsed) / divisor,
    method:
      `server RSS and heap${
        l.processes && l.processes > 1 ? ` summed over its ${l.processes} processes and the cluster primary` : ''
      } ${l.gc ? 'after a forced GC ' : ''}with all clients connected, minus the same reading before the phase's ` +
      `clients connected, divided by ${
        streams
          ? `the ${streams} clients (HTTP/2 streams) the ${connections} connections the server counted carried`
          : `the ${connections} open ${o.protocol} connections the server counted`
      }`,
  };
}

function clientMemory(o: PhaseOutcome): ClientMemory | null {
  if (!o.workerMemory.length) return null;
  let rss = 0;
  let heap = 0;
  let clients = 0;
  o.workers.forEach((w) => {
    if (!w.memory.loaded) return;
    rss += w.memory.loaded.rss - w.memory.baseline.rss;
    heap += w.memory.loaded.heapUsed - w.memory.baseline.heapUsed;
    clients += w.snapshot.clients;
  });
  if (!clients) return null;
  return {
    processes: o.workers.length,
    clients,
    rssPerClient: rss / clients,
    heapPerClient: heap / clients,
    method:
      `client worker RSS and heap after a forced GC with all clients connected, minus the same reading ` +
      `before any client started, divided by the ${clients} clients in ${o.workers.length} worker process(es)`,
  };
}

/** Same- vs cross-instance latency from the workers' histograms, and instance 0's Redis round trips. */
function fleetResult(o: PhaseOutcome, instances: number): FleetResult {
  const same = summarize(
    mergeEncoded(o.workers.map((w) => w.snapshot.sameInstanceHdr).filter((h): h is string => !!h)),
  );
  const cross = summarize(
    mergeEncoded(o.workers.map((w) => w.snapshot.crossInstanceHdr).filter((h): h is string => !!h)),
  );
  const bus = o.serverLoaded?.bus;
  const redisRoundTrip =
    bus && bus.redisRoundTrips
      ? { count: bus.redisRoundTrips, p50Ms: bus.redisRoundTripP50Ms, p99Ms: bus.redisRoundTripP99Ms }
      : null;
  const all = summarize(mergeEncoded(o.workers.map((w) => w.snapshot.latencyHdr)));
  return {
    instances,
    sameInstance: same,
    crossInstance: cross,
    redisRoundTrip,
    redisSharePct: redisRoundTrip && all.p50 > 0 ? (redisRoundTrip.p50Ms * 1000 * 100) / all.p50 : null,
  };
}

/**
 * The server's CPU per delivered event, µs: its processes' CPU time from the loaded reading to the
 * hold's end, over the events the hold delivered in that window (the hold's delivery rate × the
 * window, so approximate). Absent when the server has no CPU reading (a target without it).
 */
function serverCpu(o: PhaseOutcome, holdDelivered: number): { serverCpuMicrosPerEvent?: number | null } {
  const from = o.serverLoaded?.cpuMicros;
  const to = o.serverEnd?.cpuMicros;
  if (!from || !to || !o.serverLoaded || !o.serverEnd || !o.holdMs) return {};
  const windowMs = o.serverEnd.uptimeMs - o.serverLoaded.uptimeMs;
  const micros = to.user + to.system - from.user - from.system;
  const events = (holdDelivered * windowMs) / o.holdMs;
  // A restart between the readings (uptime or CPU going back) leaves nothing to divide.
  return { serverCpuMicrosPerEvent: windowMs > 0 && micros >= 0 && events > 0 ? micros / events : null };
}

/** Client workers' CPU during the hold per event delivered in it, µs (null without both). */
function cpuPerEvent(o: PhaseOutcome, holdDelivered: number): number | null {
  if (!o.workers.length || o.workers.some((w) => w.holdCpuMicros === undefined) || holdDelivered <= 0) return null;
  return o.workers.reduce((n, w) => n + (w.holdCpuMicros ?? 0), 0) / holdDelivered;
}

/** Fewest clients for which client memory is compared with the socket floor. */
export const FLOOR_MIN_CLIENTS = 1000;

/** Client memory against the socket floor measured in the same run. */
export function compareWithFloor(
  client: ClientMemory | null,
  floor: GeneratorHealth['socketFloor'],
): Partial<GeneratorHealth> {
  return {
    socketFloor: floor ?? null,
    // Below ~1,000 clients a per-client RSS delta is mostly allocator noise: no multiple is given.
    clientRssFloorMultiple:
      floor && client && client.clients >= FLOOR_MIN_CLIENTS && floor.rssPerSocket > 0
        ? client.rssPerClient / floor.rssPerSocket
        : null,
  };
}
