import { mergeEncoded, summarize } from '../metrics/histogram.js';
import type { TimelinePoint } from '../metrics/recorder.js';
import { UsageError } from '../errors.js';
import { resultLabel } from './result-label.js';
import type { ClientMemory, ProtocolResult, RunResults, ServerMemory } from './schema.js';

/**
 * Merges the results of shards of one run (each ran a share of the clients) into one result, exactly:
 * HDR histograms are added bucket by bucket, counters and bytes summed, per-event and per-client
 * figures recomputed from the sums. Never averages percentiles.
 */
export function mergeRuns(parts: RunResults[]): RunResults {
  if (parts.length === 0) throw new UsageError('nothing to merge', 'pass two or more results files');
  const first = parts[0];
  for (const p of parts.slice(1)) {
    const a = comparableParams(first);
    const b = comparableParams(p);
    if (a !== b) throw new UsageError('the results files are not shards of the same run (their parameters differ)', 'merge only files written by rtbench run --shard I/N with the same options');
  }
  // Rows are matched by protocol and variant (a protocol may run once per backpressure policy).
  const labels = [...new Set(parts.flatMap((p) => p.protocols.map(resultLabel)))];
  const merged: ProtocolResult[] = labels.map((label) => mergeProtocol(parts.flatMap((p) => p.protocols.filter((r) => resultLabel(r) === label))));
  const partial = parts.some((p) => p.partial);
  return {
    ...first,
    partial,
    partialReason: partial ? parts.map((p) => p.partialReason).filter(Boolean).join('; ') || 'a shard was partial' : null,
    startedAt: parts.map((p) => p.startedAt).sort()[0],
    finishedAt: parts.map((p) => p.finishedAt).sort().at(-1)!,
    params: { ...first.params, clients: parts.reduce((n, p) => n + p.params.clients, 0), shard: undefined },
    notes: [
      ...new Set([
        ...parts.flatMap((p) => p.notes),
        `Merged from ${parts.length} shards: histograms added bucket by bucket, counters summed. Each shard measured its own deliveries against the publisher's intended times; across machines, latency also carries the clock offset between the publisher's and each shard's machine (typically well under 1 ms with NTP on one network, more otherwise).`,
      ]),
    ],
    protocols: merged,
  };
}

function comparableParams(r: RunResults): string {
  const { clients: _c, shard: _s, ...rest } = r.params as RunResults['params'] & { shard?: unknown };
  return JSON.stringify(rest);
}

function mergeProtocol(rs: ProtocolResult[]): ProtocolResult {
  const sum = (f: (r: ProtocolResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const delivered = sum((r) => r.delivered);
  const requests = sum((r) => r.requests);
  const wasted = sum((r) => r.wasted);
  const bytesIn = sum((r) => r.bytes.in);
  const bytesOut = sum((r) => r.bytes.out);
  const errorsByType: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.errorsByType)) errorsByType[k] = (errorsByType[k] ?? 0) + v;
  const timeline = new Map<number, TimelinePoint>();
  for (const r of rs)
    for (const p of r.timeline) {
      const t = timeline.get(p.t) ?? { t: p.t, count: 0, sumMicros: 0, maxMicros: 0 };
      t.count += p.count;
      t.sumMicros += p.sumMicros;
      t.maxMicros = Math.max(t.maxMicros, p.maxMicros);
      timeline.set(p.t, t);
    }
  // Stress figures (healthy/slow groups, recovery, server timeline) are not merged yet: one
  // shard's would pass for the whole run's, so a merged row leaves them out.
  const { healthy: _h, slow: _s, recovery: _r, serverStress: _ss, serverTimeline: _st, ...stripped } = rs[0];
  const first = rs.length > 1 ? stripped : rs[0];
  return {
    ...first,
    partial: rs.some((r) => r.partial),
    clients: sum((r) => r.clients),
    connectedPeak: sum((r) => r.connectedPeak),
    // one designated publisher: every shard saw the same schedule
    published: Math.max(...rs.map((r) => r.published)),
    publishErrors: Math.max(...rs.map((r) => r.publishErrors)),
    latency: summarize(mergeEncoded(rs.map((r) => r.latency.hdr))),
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
    bytes: { in: bytesIn, out: bytesOut, inPerEvent: delivered ? bytesIn / delivered : 0, outPerEvent: delivered ? bytesOut / delivered : 0 },
    server: mergeServer(rs),
    client: mergeClient(rs),
    connectRate: sum((r) => r.connectRate),
    timeline: [...timeline.values()].sort((a, b) => a.t - b.t),
    durationMs: Math.max(...rs.map((r) => r.durationMs)),
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
