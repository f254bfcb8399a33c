import Table from 'cli-table3';
import { formatBytes, formatMs, formatCount as num } from '../scenario/units.js';
import { resultLabel } from '../results/result-label.js';
import type { LatencySummary } from '../metrics/histogram.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { renderHeartbeatTable } from './heartbeat-table.js';
import { renderTransportTable } from './transport-table.js';

const ms = (l: LatencySummary | undefined, key: 'p50' | 'p99') => (l && l.count ? formatMs(l[key]) : '–');

/** Rows that carry stress figures (slow consumers, faults, a backpressure policy). */
function stressRows(results: RunResults): ProtocolResult[] {
  return results.protocols.filter((p) => p.recovery || p.slow || p.serverStress);
}

/**
 * The stress table under the comparison table: healthy vs slow clients, what the server's
 * backpressure policy did, how it held up, and how clients came back after faults; then the
 * heartbeat table and the transport table (Socket.IO's upgrade and acks).
 */
export function renderStressTable(results: RunResults): string {
  return [faultTable(results), renderHeartbeatTable(results), renderTransportTable(results)].filter(Boolean).join('\n');
}

function faultTable(results: RunResults): string {
  const rows = stressRows(results);
  if (!rows.length) return '';
  const table = new Table({
    head: [
      'Protocol',
      'Healthy\np50 / p99',
      'Slow clients\np99',
      'Slow\ndelivered / lost',
      'Server dropped\nevents / clients',
      'Server peak\nbuffered / RSS',
      'Server loop\ndelay p99 max',
      'Reconnect\np50 / p99',
      'Missed: recovered\n/ lost for good',
      'Peak\nconnects/s',
    ],
    style: { head: [], border: [] },
  });
  for (const p of rows) {
    const s = p.serverStress;
    const r = p.recovery;
    table.push([
      resultLabel(p) + (p.partial ? ' (partial)' : ''),
      p.healthy
        ? `${ms(p.healthy.latency, 'p50')} /\n${ms(p.healthy.latency, 'p99')}`
        : `${ms(p.latency, 'p50')} /\n${ms(p.latency, 'p99')}`,
      p.slow ? `${ms(p.slow.latency, 'p99')}\n(${p.slow.clients}, ${p.slow.mode})` : '–',
      p.slow ? `${num(p.slow.delivered)} /\n${num(p.slow.lost)}` : '–',
      s ? `${num(s.droppedEvents)} /\n${num(s.disconnectedByPolicy)}` : 'n/a',
      s ? `${formatBytes(s.peakBuffered)} /\n${formatBytes(s.peakRss)}` : 'n/a',
      s ? `${s.peakLoopDelayMs.toFixed(1)} ms` : 'n/a',
      r ? `${ms(r.reconnectTime, 'p50')} /\n${ms(r.reconnectTime, 'p99')}` : '–',
      r ? `${num(r.missed)}: ${num(r.recovered)}\n/ ${num(r.lostForGood)}` : '–',
      r && r.peakConnectsPerSecond
        ? `${num(r.peakConnectsPerSecond)}${r.peakConnectsAt !== null ? `\n(at ${r.peakConnectsAt}s)` : ''}`
        : '–',
    ]);
  }
  return table.toString();
}

/** One line per injected fault, per row. */
export function faultLines(results: RunResults): string[] {
  const lines: string[] = [];
  for (const p of results.protocols) {
    if (!p.faults?.length) continue;
    const what = p.faults.map(
      (f) =>
        `${f.fault} fired at ${(f.firedAtMs / 1000).toFixed(1)}s` +
        (f.dropped !== null
          ? `, ${f.dropped} connections ${f.fault.startsWith('blackhole') ? 'silenced' : 'dropped'}`
          : '') +
        (f.downMs !== null ? `, server down ${Math.round(f.downMs)} ms` : ''),
    );
    lines.push(`${resultLabel(p)} faults: ${what.join('; ')}.`);
  }
  return lines;
}
