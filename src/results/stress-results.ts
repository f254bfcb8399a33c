import { encodeHistogram, mergeEncoded, summarize } from '../metrics/histogram.js';
import type { WorkerResult } from '../contracts/worker-messages.js';
import type { ServerMetrics, ServerSample } from '../contracts/server-metrics.js';
import { describeSlowMode, type SlowMode } from '../scenario/stress.js';
import type { ClientGroupResult, FaultRecord, ProtocolResult, RecoveryResult, ServerTimelinePoint } from './schema.js';

/** What a stress phase measured on top of a normal one. */
export interface StressOutcome {
  slow: { fraction: number; mode: SlowMode } | null;
  serverSamples: ServerSample[];
  faults: FaultRecord[];
  /** keep each second's healthy-latency histogram in the server timeline (shards: so a merge can add them exactly) */
  secondHdrs?: boolean;
}

export type StressFields = Pick<
  ProtocolResult,
  'healthy' | 'slow' | 'recovery' | 'serverStress' | 'faults' | 'serverTimeline'
>;

/** Healthy vs slow clients, recovery, the server's counters and the per-second timeline. */
export function assembleStress(
  stress: StressOutcome,
  workers: WorkerResult[],
  baseline: ServerMetrics | null,
  lost: number,
): StressFields {
  const out: StressFields = {};
  if (stress.slow) Object.assign(out, groups(workers, stress.slow.mode));
  const timeline = serverTimeline(stress.serverSamples, workers, baseline, stress.secondHdrs ?? false);
  out.recovery = recovery(workers, lost, stress.faults);
  out.serverTimeline = timeline;
  out.faults = stress.faults;
  const last = stress.serverSamples.at(-1)?.metrics.stress;
  if (last) {
    const sum = (k: 'dropped' | 'disconnected') => timeline.reduce((n, p) => n + (p[k] ?? 0), 0);
    const samples = stress.serverSamples.map((s) => s.metrics);
    out.serverStress = {
      backpressure: last.backpressure,
      droppedEvents: sum('dropped'),
      disconnectedByPolicy: sum('disconnected'),
      authRejected: last.authRejected,
      rejected: last.rejected,
      peakBuffered: Math.max(0, ...samples.map(bufferedOf)),
      peakRss: Math.max(0, ...samples.map((m) => m.memory.rss)),
      peakLoopDelayMs: Math.max(0, ...samples.map((m) => m.eventLoopDelayMs.p99)),
    };
  }
  return out;
}

function groups(workers: WorkerResult[], mode: SlowMode): Pick<ProtocolResult, 'healthy' | 'slow'> {
  let clients = 0;
  let delivered = 0;
  let lost = 0;
  const slow = { clients: 0, delivered: 0, lost: 0 };
  for (const w of workers) {
    const s = w.snapshot;
    clients += s.clients;
    delivered += s.counters.delivered;
    lost += s.counters.lost;
    slow.clients += s.slow.clients;
    slow.delivered += s.slow.delivered;
    slow.lost += s.slow.lost;
  }
  const healthy: ClientGroupResult = {
    clients: clients - slow.clients,
    delivered: delivered - slow.delivered,
    lost: lost - slow.lost,
    latency: summarize(mergeEncoded(workers.map((w) => w.snapshot.healthyHdr))),
  };
  return {
    healthy,
    slow: {
      ...slow,
      latency: summarize(mergeEncoded(workers.map((w) => w.snapshot.slowHdr))),
      mode: describeSlowMode(mode),
    },
  };
}

function recovery(workers: WorkerResult[], lost: number, faults: FaultRecord[]): RecoveryResult {
  const recovered = workers.reduce((n, w) => n + w.snapshot.recovered, 0);
  const connects = new Map<number, number>();
  for (const w of workers)
    for (const s of w.snapshot.perSecond) connects.set(s.t, (connects.get(s.t) ?? 0) + s.connects);
  return {
    reconnectTime: summarize(mergeEncoded(workers.map((w) => w.snapshot.reconnectHdr))),
    missed: recovered + lost,
    recovered,
    lostForGood: lost,
    ...peakConnects(connects, faults),
  };
}

/**
 * The second in which the most client connections came up, and how many. With faults, the storm
 * that matters comes after the first one, not the ramp-up, so seconds before it are left out.
 * Ties go to the earliest second.
 */
export function peakConnects(
  connectsPerSecond: Map<number, number>,
  faults: FaultRecord[],
): Pick<RecoveryResult, 'peakConnectsPerSecond' | 'peakConnectsAt'> {
  const fromSecond = faults.length ? Math.floor(Math.min(...faults.map((f) => f.atMs)) / 1000) : 0;
  let peak = 0;
  let peakAt: number | null = null;
  for (const [t, n] of [...connectsPerSecond].sort((a, b) => a[0] - b[0]))
    if (t >= fromSecond && n > peak) [peak, peakAt] = [n, t];
  return { peakConnectsPerSecond: peak, peakConnectsAt: peakAt };
}

function bufferedOf(m: ServerMetrics): number {
  return Object.values(m.buffered).reduce((a, b) => a + b, 0);
}

/**
 * One point per second from 0 to the last second anything was measured. Server counters are
 * running totals in /metrics, so each point holds the difference to the previous reading; a
 * restarted server starts from zero again, so a reading below the previous one is taken whole.
 */
function serverTimeline(
  samples: ServerSample[],
  workers: WorkerResult[],
  baseline: ServerMetrics | null,
  keepHdrs: boolean,
): ServerTimelinePoint[] {
  const clientSeconds = new Map<number, { connects: number; reconnects: number; hdrs: string[] }>();
  for (const w of workers)
    for (const s of w.snapshot.perSecond) {
      const c = clientSeconds.get(s.t) ?? { connects: 0, reconnects: 0, hdrs: [] };
      c.connects += s.connects;
      c.reconnects += s.reconnects;
      c.hdrs.push(s.healthyHdr);
      clientSeconds.set(s.t, c);
    }
  const bySecond = new Map<number, ServerMetrics>();
  for (const s of samples) bySecond.set(s.t, s.metrics);
  const lastT = Math.max(-1, ...samples.map((s) => s.t), ...clientSeconds.keys());
  let prev = {
    dropped: baseline?.stress?.droppedEvents ?? 0,
    disconnected: baseline?.stress?.disconnectedByPolicy ?? 0,
  };
  const delta = (now: number, before: number) => (now >= before ? now - before : now);
  const points: ServerTimelinePoint[] = [];
  for (let t = 0; t <= lastT; t++) {
    const m = bySecond.get(t) ?? null;
    const c = clientSeconds.get(t);
    const healthy = c ? mergeEncoded(c.hdrs) : null;
    const point: ServerTimelinePoint = {
      t,
      rss: m ? m.memory.rss : null,
      buffered: m ? bufferedOf(m) : null,
      dropped: null,
      disconnected: null,
      reconnects: c?.reconnects ?? 0,
      healthyP99Micros: healthy && healthy.totalCount ? healthy.getValueAtPercentile(99) : null,
      connects: c?.connects ?? 0,
      loopDelayP99Ms: m ? m.eventLoopDelayMs.p99 : null,
      connections: m ? Object.values(m.connections).reduce((a, b) => a + b, 0) : null,
      ...(keepHdrs && healthy && healthy.totalCount ? { healthyHdr: encodeHistogram(healthy) } : {}),
    };
    if (m?.stress) {
      point.dropped = delta(m.stress.droppedEvents, prev.dropped);
      point.disconnected = delta(m.stress.disconnectedByPolicy, prev.disconnected);
      prev = { dropped: m.stress.droppedEvents, disconnected: m.stress.disconnectedByPolicy };
    }
    points.push(point);
  }
  return points;
}
