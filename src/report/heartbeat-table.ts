import Table from 'cli-table3';
import { formatBytes, formatMs, formatCount as num } from '../scenario/units.js';
import { resultLabel } from '../results/result-label.js';
import type { RunResults } from '../results/schema.js';

/**
 * One row per protocol that watched for heartbeats: how many clients found the connections a
 * blackhole silenced and how fast (from the fault's firing, one clock), what resume brought back,
 * and what heartbeats cost an idle connection in an hour (scaled from the phase's connection time).
 */
export function renderHeartbeatTable(results: RunResults): string {
  const rows = results.protocols.filter((p) => p.heartbeat);
  if (!rows.length) return '';
  const table = new Table({
    head: [
      'Protocol',
      'Heartbeat\nevery',
      'Detected /\nsilenced',
      'Time to detect\np50 / p99',
      'Missed: recovered\n/ lost for good',
      'Heartbeat bytes per\nconnection-hour*',
    ],
    style: { head: [], border: [] },
  });
  for (const p of rows) {
    const h = p.heartbeat!;
    const b = h.blackhole;
    const detect = b?.timeToDetect;
    table.push([
      resultLabel(p) + (p.partial ? ' (partial)' : ''),
      formatMs(h.intervalMs * 1000),
      b ? `${num(b.detected)} /\n${b.silenced === null ? '?' : num(b.silenced)}` : `${num(h.timeouts)} / –`,
      detect && detect.count ? `${formatMs(detect.p50)} /\n${formatMs(detect.p99)}` : '–',
      b ? `${num(b.missed)}: ${num(b.recovered)}\n/ ${num(b.lostForGood)}` : '–',
      `${formatBytes(h.bytesPerConnectionHour)}\n(${num(h.connectionSeconds)} conn-s)`,
    ]);
  }
  return (
    table.toString() +
    '\n  * measured over the connection-seconds shown, scaled to one hour: SSE comment lines and' +
    '\n    WebSocket ping frames as received, without HTTP chunk or TLS framing'
  );
}
