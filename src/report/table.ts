import Table from 'cli-table3';
import { partialTag } from '../results/interrupted.js';
import { FEW_EVENTS_PREFIX } from './few-events.js';
import { formatBytes, formatMs, formatPerConnection, formatCount as num } from '../scenario/units.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { faultLines, renderStressTable } from './stress-table.js';

/** The comparison table: one row per protocol, every figure measured in this run. */
export function renderTable(results: RunResults): string {
  const table = new Table({
    head: [
      'Protocol',
      'Clients\nconnected',
      'Latency\np50',
      'p90',
      'p99',
      'p99.9',
      'max',
      'Connect /\n1st event p50',
      'Delivered\nlost/dup/reord',
      'Requests\nwasted',
      'Bytes/event\nin / out',
      'Server mem/conn\nRSS / heap',
      'Client mem/conn\nRSS / heap',
      'Errors\nreconnects',
    ],
    style: { head: [], border: [] },
  });
  for (const p of results.protocols) table.push(row(p));
  const stress = renderStressTable(results);
  return table.toString() + (stress ? '\n' + stress : '');
}

function row(p: ProtocolResult): string[] {
  const lat = p.latency;
  const has = lat.count > 0;
  return [
    resultLabel(p) + (p.partial ? ` ${partialTag(p)}` : ''),
    `${num(p.connectedPeak)}/${num(p.clients)}`,
    has ? formatMs(lat.p50) : '–',
    has ? formatMs(lat.p90) : '–',
    has ? formatMs(lat.p99) : '–',
    has ? formatMs(lat.p999) : '–',
    has ? formatMs(lat.max) : '–',
    `${p.connect.count ? formatMs(p.connect.p50) : '–'} /\n${p.firstEvent.count ? formatMs(p.firstEvent.p50) : '–'}`,
    `${num(p.delivered)}\n${num(p.lost)}/${num(p.duplicated)}/${num(p.reordered)}`,
    `${num(p.requests)}\n${num(p.wasted)} (${p.wastedPct.toFixed(1)}%)`,
    p.delivered ? `${formatBytes(p.bytes.inPerEvent)} /\n${formatBytes(p.bytes.outPerEvent)}` : '–',
    p.server
      ? `${formatPerConnection(p.server.rssPerConnection)} /\n${formatPerConnection(p.server.heapPerConnection)}`
      : 'n/a',
    p.client
      ? `${formatPerConnection(p.client.rssPerClient)} /\n${formatPerConnection(p.client.heapPerClient)}`
      : 'n/a',
    `${num(p.errors)}\n${num(p.reconnects)}`,
  ];
}

/**
 * Lines under the table: run summary, error kinds per protocol, faults, each protocol's warnings
 * (a saturated generator, a failed phase) and a partial run. `verbose` adds how the load was laid
 * out and how every figure was measured (always in the results file and the HTML report).
 */
export function renderFootnotes(results: RunResults, verbose = true): string {
  const lines: string[] = [];
  const pr = results.params;
  lines.push(
    `${pr.clients} clients per protocol, ramp ${pr.rampMs / 1000}s, hold ${pr.durationMs / 1000}s, ${pr.rate} ` +
      `events/s of ${pr.payloadBytes} B, poll every ${pr.pollIntervalMs} ms; target: ` +
      `${pr.target ?? 'bundled reference server'}` +
      (pr.heartbeatMs ? `; heartbeat every ${pr.heartbeatMs / 1000}s.` : '.'),
  );
  if (pr.stress)
    lines.push(
      `Stress: ${Math.round(pr.stress.slowConsumers * 100)}% slow consumers (${pr.stress.slowMode}), ` +
        `backpressure ${pr.stress.backpressure.join(', ')} at ${formatBytes(pr.stress.highWaterBytes)}, faults ` +
        `${pr.stress.faults.join(', ') || 'none'}, reconnect back-off ${pr.stress.reconnectBackoff.initialMs} ` +
        `ms..${pr.stress.reconnectBackoff.maxMs} ms.`,
    );
  for (const p of results.protocols) {
    const label = resultLabel(p);
    const kinds = Object.entries(p.errorsByType).sort((a, b) => b[1] - a[1]);
    if (kinds.length) lines.push(`${label} errors: ${kinds.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    if (p.fleet) lines.push(fleetLine(label, p.fleet));
    if (p.publishErrors) {
      const byType = Object.entries(p.publishErrorsByType ?? {})
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ');
      lines.push(`${label}: ${p.publishErrors} publishes failed${byType ? ` (${byType})` : ''} (not counted as lost).`);
    }
  }
  lines.push(...faultLines(results));
  if (verbose) {
    for (const p of results.protocols) {
      const l = layoutLine(p);
      if (l) lines.push(l);
    }
  }
  // A protocol's own notes (saturated, failed) and too-few-events warnings always show; method notes when asked.
  const labels = results.protocols.map((p) => `${resultLabel(p)}:`);
  for (const n of results.notes)
    if (verbose || n.startsWith(FEW_EVENTS_PREFIX) || labels.some((l) => n.startsWith(l))) lines.push(n);
  const server = results.protocols.find((p) => p.server)?.server;
  if (verbose && server)
    lines.push(
      `Server memory: ${server.method.replace(
        /the \d+ open \S+ connections/,
        'the open connections of that protocol',
      )}.`,
    );
  const client = results.protocols.find((p) => p.client)?.client;
  if (verbose && client)
    lines.push(
      `Client memory: ${client.method.replace(/the \d+ clients in \d+ worker process\(es\)/, 'the clients')}.`,
    );
  if (!verbose)
    lines.push(
      'How each figure was measured and how the load was laid out: --verbose, the results file or the HTML report.',
    );
  if (results.partial) lines.push(`PARTIAL RESULTS: ${results.partialReason}.`);
  return lines.map((l) => `  ${l}`).join('\n');
}

const plural = (n: number, one: string, many = one + 's') => `${num(n)} ${n === 1 ? one : many}`;

/**
 * How one protocol's load was produced, and whether the generator kept up, e.g. "websocket:
 * 20,000 clients in 2 worker processes (10,000 each) over 2 source addresses, 2 server processes;
 * open-file limit 20,000; connected at 3,100/s; generator loop delay p99 4 ms (workers), 1 ms (publisher)".
 */
/** "websocket: fleet of 3 instances over Redis: same-instance p50 …, cross-instance p50 …; Redis round trip …". */
export function fleetLine(label: string, f: NonNullable<ProtocolResult['fleet']>): string {
  const lat = (s: { count: number; p50: number; p99: number }) =>
    s.count ? `p50 ${formatMs(s.p50)} / p99 ${formatMs(s.p99)}` : 'no deliveries';
  const redis = f.redisRoundTrip
    ? `Redis round trip of a publish p50 ${f.redisRoundTrip.p50Ms.toFixed(2)} ms / p99 ` +
      `${f.redisRoundTrip.p99Ms.toFixed(2)} ` +
      `ms${f.redisSharePct !== null ? ` (${f.redisSharePct.toFixed(0)}% of the p50 latency)` : ''}`
    : 'Redis round trip not measured';
  return (
    `${label}: fleet of ${f.instances} instances over Redis pub/sub: same-instance ` +
    `${lat(f.sameInstance)}, cross-instance ${lat(f.crossInstance)}; ${redis}.`
  );
}

export function layoutLine(p: ProtocolResult): string | null {
  const l = p.layout;
  if (!l) return null;
  const counts = [...new Set(l.clientsPerWorker)];
  const each = counts.length === 1 ? `${num(counts[0])} each` : l.clientsPerWorker.map(num).join(' / ');
  const parts = [
    `${p.protocol}: ${plural(p.clients, 'client')} in ` +
      `${plural(l.workers, 'worker process', 'worker processes')} (${each})`,
  ];
  if (l.sourceAddresses.length > 1)
    parts[0] +=
      ` over ${plural(l.sourceAddresses.length, 'source address', 'source addresses')} ` +
      `(${l.sourceAddresses[0]}…${l.sourceAddresses[l.sourceAddresses.length - 1]})`;
  else if (l.sourceAddresses.length === 1) parts[0] += ` from ${l.sourceAddresses[0]}`;
  if (l.serverProcesses) parts[0] += `, ${plural(l.serverProcesses, 'server process', 'server processes')}`;
  const fd = l.fdLimit;
  if (fd.soft)
    parts.push(
      `open-file limit ${num(fd.soft)} per process${fd.hard && fd.hard > fd.soft ? ` (hard ${num(fd.hard)})` : ''}`,
    );
  if (p.connectRate > 0) parts.push(`connected at ${num(p.connectRate)}/s`);
  if (p.requestRate) parts.push(`${num(p.requestRate)} requests/s`);
  const g = p.generator;
  if (g?.clientCpuMicrosPerEvent)
    parts.push(`client CPU ${formatMicros(g.clientCpuMicrosPerEvent)} per delivered event`);
  if (g?.clientRssFloorMultiple && g.socketFloor && p.client) {
    parts.push(
      `client memory ${formatBytes(p.client.rssPerClient)} per connection = ` +
        `${g.clientRssFloorMultiple.toFixed(1)}× a bare TCP socket ` +
        `(${formatBytes(g.socketFloor.rssPerSocket)}, measured)`,
    );
  }
  if (g)
    parts.push(
      `generator loop delay p99 ${g.workerLoopDelayP99Ms.toFixed(1)} ms (workers), ` +
        `${g.publisherLoopDelayP99Ms.toFixed(1)} ms ` +
        `(publisher)${g.saturated ? " — SATURATED: latency partly the generator's own" : ''}`,
    );
  return parts.join('; ');
}

const formatMicros = (us: number) =>
  us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 1 : 0)} µs`;
