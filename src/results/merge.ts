import { mergeEncoded, summarize } from '../metrics/histogram.js';
import type { TimelinePoint } from '../metrics/recorder.js';
import { UsageError } from '../errors.js';
import { resultLabel } from './result-label.js';
import { peakConnects, type StressFields } from './stress-results.js';
import { perConnectionHour } from './heartbeat-results.js';
import { mergeAckRoundTrips, mergeUpgrades } from './transport-results.js';
import type {
  ClientGroupResult,
  ClientMemory,
  FaultRecord,
  HeartbeatResult,
  ProtocolResult,
  RecoveryResult,
  RunResults,
  ServerMemory,
  ServerStressResult,
  ServerTimelinePoint,
} from './schema.js';

/**
 * Merges the results of shards of one run (each ran a share of the clients) into one result, exactly:
 * HDR histograms are added bucket by bucket, counters and bytes summed, per-event and per-client
 * figures recomputed from the sums. Never averages percentiles. The shared server's own figures
 * are one reading of that server, not a sum; where the shards' data allows no exact merge (results
 * of older versions), the merged results' notes say which figure is a bound.
 */
export function mergeRuns(parts: RunResults[]): RunResults {
  if (parts.length === 0) throw new UsageError('nothing to merge', 'pass two or more results files');
  const first = parts[0];
  for (const p of parts.slice(1)) {
    const a = comparableParams(first);
    const b = comparableParams(p);
    if (a !== b)
      throw new UsageError(
        'the results files are not shards of the same run (their parameters differ)',
        'merge only files written by rtbench run --shard I/N with the same options',
      );
  }
  // Rows are matched by protocol and variant (a protocol may run once per backpressure policy).
  const labels = [...new Set(parts.flatMap((p) => p.protocols.map(resultLabel)))];
  const stressNotes: string[] = [];
  const merged: ProtocolResult[] = labels.map((label) =>
    mergeProtocol(
      parts.flatMap((p) => p.protocols.filter((r) => resultLabel(r) === label)),
      stressNotes,
    ),
  );
  if (merged.some(hasStress)) stressNotes.unshift(STRESS_NOTE);
  const partial = parts.some((p) => p.partial);
  return {
    ...first,
    partial,
    partialReason: partial
      ? parts
          .map((p) => p.partialReason)
          .filter(Boolean)
          .join('; ') || 'a shard was partial'
      : null,
    startedAt: parts.map((p) => p.startedAt).sort()[0],
    finishedAt: parts
      .map((p) => p.finishedAt)
      .sort()
      .at(-1)!,
    params: { ...first.params, clients: parts.reduce((n, p) => n + p.params.clients, 0), shard: undefined },
    notes: [
      ...new Set([
        ...parts.flatMap((p) => p.notes),
        `Merged from ${parts.length} shards: histograms added bucket by bucket, counters summed. Each shard ` +
          `measured its own deliveries against the publisher's intended times; across machines, latency also ` +
          `carries the clock offset between the publisher's and each shard's machine (typically well under 1 ` +
          `ms with NTP on one network, more otherwise).`,
        ...stressNotes,
      ]),
    ],
    protocols: merged,
  };
}

function comparableParams(r: RunResults): string {
  const { clients: _c, shard: _s, ...rest } = r.params as RunResults['params'] & { shard?: unknown };
  return JSON.stringify(rest);
}

/**
 * The ramp's figures and the all-deliveries latency, merged exactly like the hold's (they were
 * copied from the first shard before); only when every shard split its phase into ramp and hold.
 */
function mergeWindows(rs: ProtocolResult[]): Pick<ProtocolResult, 'ramp' | 'latencyAll'> {
  if (!rs.every((r) => r.ramp && r.latencyAll)) return { ramp: undefined, latencyAll: undefined };
  const ramps = rs.map((r) => r.ramp!);
  return {
    ramp: {
      delivered: ramps.reduce((n, r) => n + r.delivered, 0),
      lost: ramps.reduce((n, r) => n + r.lost, 0),
      latency: summarize(mergeEncoded(ramps.map((r) => r.latency.hdr))),
      workerLoopDelayP99Ms: Math.max(...ramps.map((r) => r.workerLoopDelayP99Ms)),
      workerLoopDelayMaxMs: Math.max(...ramps.map((r) => r.workerLoopDelayMaxMs)),
    },
    latencyAll: summarize(mergeEncoded(rs.map((r) => r.latencyAll!.hdr))),
  };
}

/** Per-second latency points added second by second (count and sum added, the max of the maxima, min of minima). */
export function mergeTimelines(timelines: TimelinePoint[][]): TimelinePoint[] {
  const timeline = new Map<number, TimelinePoint>();
  for (const points of timelines)
    for (const p of points) {
      const t = timeline.get(p.t);
      if (!t) {
        timeline.set(p.t, { ...p });
        continue;
      }
      t.count += p.count;
      t.sumMicros += p.sumMicros;
      t.maxMicros = Math.max(t.maxMicros, p.maxMicros);
      // Older results have no minima: a merged second keeps one only when every part had it.
      t.minMicros =
        t.minMicros === undefined || p.minMicros === undefined ? undefined : Math.min(t.minMicros, p.minMicros);
    }
  return [...timeline.values()].sort((a, b) => a.t - b.t);
}

function mergeProtocol(rs: ProtocolResult[], notes: string[]): ProtocolResult {
  const sum = (f: (r: ProtocolResult) => number) => sumOf(rs, f);
  const delivered = sum((r) => r.delivered);
  const requests = sum((r) => r.requests);
  const wasted = sum((r) => r.wasted);
  const bytesIn = sum((r) => r.bytes.in);
  const bytesOut = sum((r) => r.bytes.out);
  const errorsByType: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.errorsByType)) errorsByType[k] = (errorsByType[k] ?? 0) + v;
  // Stress figures are merged below (mergeStress), never copied from one shard.
  const {
    healthy: _h,
    slow: _s,
    recovery: _r,
    serverStress: _ss,
    serverTimeline: _st,
    faults: _f,
    heartbeat: _hb,
    upgrade: _u,
    ackRoundTrip: _a,
    ...first
  } = rs[0];
  const heartbeat = mergeHeartbeat(rs.map((r) => r.heartbeat).filter(present));
  return {
    ...first,
    partial: rs.some((r) => r.partial),
    clients: sum((r) => r.clients),
    connectedPeak: sum((r) => r.connectedPeak),
    // one designated publisher: every shard saw the same schedule
    published: Math.max(...rs.map((r) => r.published)),
    publishErrors: Math.max(...rs.map((r) => r.publishErrors)),
    latency: summarize(mergeEncoded(rs.map((r) => r.latency.hdr))),
    ...mergeWindows(rs),
    connect: summarize(mergeEncoded(rs.map((r) => r.connect.hdr))),
    firstEvent: summarize(mergeEncoded(rs.map((r) => r.firstEvent.hdr))),
    delivered,
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    reordered: sum((r) => r.reordered),
    requests,
    wasted,
    wastedPct: requests ? (wasted / requests) * 100 : 0,
    reconnects: sum((r) => r.reconnects),
    disconnects: sum((r) => r.disconnects),
    errors: sum((r) => r.errors),
    errorsByType,
    bytes: {
      in: bytesIn,
      out: bytesOut,
      inPerEvent: delivered ? bytesIn / delivered : 0,
      outPerEvent: delivered ? bytesOut / delivered : 0,
    },
    server: mergeServer(rs),
    client: mergeClient(rs),
    connectRate: sum((r) => r.connectRate),
    timeline: mergeTimelines(rs.map((r) => r.timeline)),
    durationMs: Math.max(...rs.map((r) => r.durationMs)),
    ...mergeStress(rs, notes),
    ...(heartbeat ? { heartbeat } : {}),
    ...mergeTransport(rs),
  };
}

/** Socket.IO's upgrades and ack round trips of the runs, where they have them. */
function mergeTransport(rs: ProtocolResult[]): Pick<ProtocolResult, 'upgrade' | 'ackRoundTrip'> {
  const upgrade = mergeUpgrades(rs.map((r) => r.upgrade).filter(present));
  const ackRoundTrip = mergeAckRoundTrips(rs.map((r) => r.ackRoundTrip).filter(present));
  return { ...(upgrade ? { upgrade } : {}), ...(ackRoundTrip ? { ackRoundTrip } : {}) };
}

/**
 * Heartbeat bytes, connection time and timeouts summed, the per-hour figure recomputed from the
 * sums; detection times added bucket by bucket (a blackhole needs the bundled server, which only
 * one process controls, so in practice one shard has it).
 */
function mergeHeartbeat(hs: HeartbeatResult[]): HeartbeatResult | null {
  if (!hs.length) return null;
  const bytes = sumOf(hs, (h) => h.bytes);
  const connectionSeconds = sumOf(hs, (h) => h.connectionSeconds);
  const out: HeartbeatResult = {
    intervalMs: hs[0].intervalMs,
    bytes,
    connectionSeconds,
    bytesPerConnectionHour: perConnectionHour(bytes, connectionSeconds * 1000),
    timeouts: sumOf(hs, (h) => h.timeouts),
  };
  const bs = hs.map((h) => h.blackhole).filter(present);
  if (bs.length)
    out.blackhole = {
      ...bs[0],
      detected: sumOf(bs, (b) => b.detected),
      timeToDetect: summarize(mergeEncoded(bs.map((b) => b.timeToDetect.hdr))),
      missed: sumOf(bs, (b) => b.missed),
      recovered: sumOf(bs, (b) => b.recovered),
      lostForGood: sumOf(bs, (b) => b.lostForGood),
    };
  return out;
}

const STRESS_NOTE =
  'Stress figures: healthy and slow clients and reconnect times merged like the rest; connects and reconnects ' +
  'per second summed (each shard counts seconds from the shared start on its own clock). ' +
  'The server is one server that every shard sampled on its own, so its figures are not summed: per second the ' +
  'highest reading of RSS, buffered bytes, loop delay and connections; ' +
  'events dropped and clients disconnected from the shard that counted the most (so they add up to its ' +
  'totals); server totals and peaks the highest any shard read.';

function hasStress(r: ProtocolResult): boolean {
  return !!(r.healthy || r.slow || r.recovery || r.serverStress || r.serverTimeline || r.faults?.length);
}

const present = <T>(v: T | undefined): v is T => v !== undefined;
const sumOf = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

/** Healthy/slow groups, recovery, faults and the server's figures of one row over its shards. */
function mergeStress(rs: ProtocolResult[], notes: string[]): StressFields {
  const out: StressFields = {};
  const label = resultLabel(rs[0]);
  const healthy = rs.map((r) => r.healthy).filter(present);
  if (healthy.length) out.healthy = mergeGroup(healthy);
  const slow = rs.map((r) => r.slow).filter(present);
  if (slow.length) out.slow = { ...mergeGroup(slow), mode: slow[0].mode };
  const faults = mergeFaults(rs);
  if (rs.some((r) => r.faults)) out.faults = faults;
  const timelines = rs.map((r) => r.serverTimeline).filter(present);
  if (timelines.length) out.serverTimeline = mergeTimeline(timelines, label, notes);
  const recoveries = rs.filter((r) => r.recovery);
  if (recoveries.length) out.recovery = mergeRecovery(recoveries, out.serverTimeline ?? [], faults, label, notes);
  const serverStress = rs.map((r) => r.serverStress).filter(present);
  if (serverStress.length) out.serverStress = mergeServerStress(serverStress);
  return out;
}

/** Clients, deliveries and losses summed; latency histograms added. */
function mergeGroup(gs: ClientGroupResult[]): ClientGroupResult {
  return {
    clients: sumOf(gs, (g) => g.clients),
    delivered: sumOf(gs, (g) => g.delivered),
    lost: sumOf(gs, (g) => g.lost),
    latency: summarize(mergeEncoded(gs.map((g) => g.latency.hdr))),
  };
}

/**
 * Faults are injected by the one process that controls the bundled server, so at most one shard
 * has them (shards against a target have none): keep every shard's, once each.
 */
function mergeFaults(rs: ProtocolResult[]): FaultRecord[] {
  const seen = new Map<string, FaultRecord>();
  for (const r of rs)
    for (const f of r.faults ?? []) {
      const key = [f.fault, f.atMs, f.firedAtMs, f.dropped, f.downMs].join('|');
      if (!seen.has(key)) seen.set(key, f);
    }
  return [...seen.values()];
}

/**
 * Per second (the shards share one start time): client-side counts (connects, reconnects) are
 * summed, healthy latency histograms added. The server-wide fields describe the ONE server every
 * shard sampled on its own, at slightly different moments: summing them would count the server
 * once per shard. Gauges (RSS, buffered, loop delay, connections) keep the highest reading of the
 * second, null only if no shard read the server then. Dropped events and policy disconnects are
 * differences between one shard's consecutive readings of the server's running totals, so mixing
 * shards from second to second would count some events twice or not at all: they come whole from
 * the shard whose sums are highest (it read the server over the longest span).
 */
function mergeTimeline(timelines: ServerTimelinePoint[][], label: string, notes: string[]): ServerTimelinePoint[] {
  const bySecond = timelines.map((tl) => new Map(tl.map((p) => [p.t, p])));
  const seconds = [...new Set(timelines.flatMap((tl) => tl.map((p) => p.t)))].sort((a, b) => a - b);
  const mostCounted = (k: 'dropped' | 'disconnected') => {
    const totals = timelines.map((tl) => sumOf(tl, (p) => p[k] ?? 0));
    return bySecond[totals.indexOf(Math.max(...totals))];
  };
  const droppedFrom = mostCounted('dropped');
  const disconnectedFrom = mostCounted('disconnected');
  let boundSeconds = 0;
  let latencySeconds = 0;
  const points = seconds.map((t) => {
    const ps = bySecond.map((m) => m.get(t)).filter(present);
    const highest = (k: 'rss' | 'buffered' | 'loopDelayP99Ms' | 'connections') => {
      const vs = ps.map((p) => p[k]).filter((v): v is number => typeof v === 'number');
      return vs.length ? Math.max(...vs) : null;
    };
    const has = (k: 'connects' | 'loopDelayP99Ms' | 'connections') => ps.some((p) => p[k] !== undefined);
    const timed = ps.filter((p) => p.healthyP99Micros !== null);
    let healthyP99Micros: number | null = null;
    if (timed.length === 1) healthyP99Micros = timed[0].healthyP99Micros;
    else if (timed.length && timed.every((p) => p.healthyHdr)) {
      const h = mergeEncoded(timed.map((p) => p.healthyHdr!));
      healthyP99Micros = h.totalCount ? h.getValueAtPercentile(99) : null;
    } else if (timed.length) {
      // Only the shards' p99s are stored: the highest is an upper bound of the merged p99
      // (no more than 1% of any shard's deliveries, so of all of them, lie above it).
      healthyP99Micros = Math.max(...timed.map((p) => p.healthyP99Micros!));
      boundSeconds++;
    }
    if (timed.length) latencySeconds++;
    const point: ServerTimelinePoint = {
      t,
      rss: highest('rss'),
      buffered: highest('buffered'),
      dropped: droppedFrom.get(t)?.dropped ?? null,
      disconnected: disconnectedFrom.get(t)?.disconnected ?? null,
      reconnects: sumOf(ps, (p) => p.reconnects),
      healthyP99Micros,
      ...(has('connects') ? { connects: sumOf(ps, (p) => p.connects ?? 0) } : {}),
      ...(has('loopDelayP99Ms') ? { loopDelayP99Ms: highest('loopDelayP99Ms') } : {}),
      ...(has('connections') ? { connections: highest('connections') } : {}),
    };
    return point;
  });
  if (boundSeconds)
    notes.push(
      `${label}: the healthy clients' p99 per second is an upper bound in ${boundSeconds} of ${latencySeconds} ` +
        `seconds (the highest shard's p99; these shards' results carry no per-second histograms to add).`,
    );
  return points;
}

/**
 * Reconnect times added, missed/recovered/lost summed; the peak connects per second recomputed
 * from the merged per-second connects, from the first fault on, as a single run does.
 */
function mergeRecovery(
  rs: ProtocolResult[],
  timeline: ServerTimelinePoint[],
  faults: FaultRecord[],
  label: string,
  notes: string[],
): RecoveryResult {
  const recs = rs.map((r) => r.recovery!);
  const merged = {
    reconnectTime: summarize(mergeEncoded(recs.map((r) => r.reconnectTime.hdr))),
    missed: sumOf(recs, (r) => r.missed),
    recovered: sumOf(recs, (r) => r.recovered),
    lostForGood: sumOf(recs, (r) => r.lostForGood),
  };
  // Results of older versions have no per-second connects to add up.
  const perSecond = rs.every((r) => r.serverTimeline?.every((p) => p.connects !== undefined));
  if (perSecond) {
    const connects = new Map(timeline.map((p) => [p.t, p.connects ?? 0]));
    return { ...merged, ...peakConnects(connects, faults) };
  }
  notes.push(
    `${label}: peak connects per second is the highest single shard's, a lower bound (these shards' results ` +
      `carry no per-second connects to add).`,
  );
  const top = recs.reduce((a, b) => (b.peakConnectsPerSecond > a.peakConnectsPerSecond ? b : a));
  return { ...merged, peakConnectsPerSecond: top.peakConnectsPerSecond, peakConnectsAt: top.peakConnectsAt };
}

/**
 * The one shared server's stress figures, as every shard read them: its counters only grow
 * during a phase and a peak only rises with more readings, so the highest value of each field is
 * the most complete reading (the shard that sampled the server over the longest span), not a sum.
 */
function mergeServerStress(ss: ServerStressResult[]): ServerStressResult {
  const highest = (f: (s: ServerStressResult) => number) => Math.max(...ss.map(f));
  const rejected: Record<string, number> = {};
  for (const s of ss) for (const [k, v] of Object.entries(s.rejected)) rejected[k] = Math.max(rejected[k] ?? 0, v);
  return {
    backpressure: ss[0].backpressure,
    droppedEvents: highest((s) => s.droppedEvents),
    disconnectedByPolicy: highest((s) => s.disconnectedByPolicy),
    authRejected: highest((s) => s.authRejected),
    rejected,
    peakBuffered: highest((s) => s.peakBuffered),
    peakRss: highest((s) => s.peakRss),
    peakLoopDelayMs: highest((s) => s.peakLoopDelayMs),
  };
}

/** Shards share one server: its reading with the most connections is the most complete one. */
function mergeServer(rs: ProtocolResult[]): ServerMemory | null {
  const readings = rs.map((r) => r.server).filter((s): s is ServerMemory => s !== null);
  if (!readings.length) return null;
  return readings.reduce((a, b) => (b.connections > a.connections ? b : a));
}

/** Client memory is per shard process: weight each shard's per-client figure by its clients. */
function mergeClient(rs: ProtocolResult[]): ClientMemory | null {
  const readings = rs.map((r) => r.client).filter((c): c is ClientMemory => c !== null);
  if (!readings.length) return null;
  const clients = readings.reduce((n, c) => n + c.clients, 0);
  return {
    processes: readings.reduce((n, c) => n + c.processes, 0),
    clients,
    rssPerClient: readings.reduce((n, c) => n + c.rssPerClient * c.clients, 0) / clients,
    heapPerClient: readings.reduce((n, c) => n + c.heapPerClient * c.clients, 0) / clients,
    method: readings[0].method,
  };
}
