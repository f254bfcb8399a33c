import Table from 'cli-table3';
import { formatBytes, formatMs, formatCount as num } from '../scenario/units.js';
import { resultLabel } from '../results/result-label.js';
import type { RunResults } from '../results/schema.js';

/**
 * One row per protocol with an upgrade or acks (Socket.IO): how long its clients polled before the
 * upgrade to WebSocket and what the polling cost them, and the round trip of an emit to its ack
 * when events were published over the protocol (--upstream protocol).
 */
export function renderTransportTable(results: RunResults): string {
  const rows = results.protocols.filter((p) => p.upgrade || p.ackRoundTrip);
  if (!rows.length) return '';
  const table = new Table({
    head: [
      'Protocol',
      'Polling before the\nupgrade p50 / p99',
      'Requests until the\nupgrade p50 / p99*',
      'Bytes until the\nupgrade p50 / p99',
      'Emit → ack\np50 / p99',
    ],
    style: { head: [], border: [] },
  });
  for (const p of rows) {
    const u = p.upgrade;
    const ack = p.ackRoundTrip;
    table.push([
      resultLabel(p) + (p.partial ? ' (partial)' : ''),
      u ? `${formatMs(u.time.p50)} /\n${formatMs(u.time.p99)}` : '–',
      u ? `${num(u.requests.p50)} / ${num(u.requests.p99)}` : '–',
      u ? `${formatBytes(u.bytes.p50)} /\n${formatBytes(u.bytes.p99)}` : '–',
      ack && ack.count ? `${formatMs(ack.p50)} /\n${formatMs(ack.p99)}` : '–',
    ]);
  }
  return table.toString() + '\n  * HTTP requests of one client from its first poll, the WebSocket handshake included';
}
