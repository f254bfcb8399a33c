import { formatBytes, formatMs } from '../../scenario/units.js';
import { esc } from './escape.js';
import { seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';

const count = (n: number) => n.toLocaleString('en-US');

/** Only with --heartbeat: how fast clients found silenced connections, and what heartbeats cost. */
export function heartbeatSection(protocols: ReportProtocol[]): string {
  const rows = protocols.filter((p) => p.heartbeat);
  if (!rows.length) return '';
  const head = [
    'Protocol',
    'Heartbeat every',
    'Detected / silenced',
    'Time to detect p50 / p99',
    'Missed: recovered / lost for good',
    'Heartbeat bytes per connection-hour (scaled)',
  ];
  const body = rows.map((p) => {
    const h = p.heartbeat!;
    const b = h.blackhole;
    const d = b?.timeToDetect;
    const cells = [
      seriesLabel(p),
      formatMs(h.intervalMs * 1000),
      b ? `${count(b.detected)} / ${b.silenced === null ? '?' : count(b.silenced)}` : `${count(h.timeouts)} / –`,
      d && d.count ? `${formatMs(d.p50)} / ${formatMs(d.p99)}` : '–',
      b ? `${count(b.missed)}: ${count(b.recovered)} / ${count(b.lostForGood)}` : '–',
      `${formatBytes(h.bytesPerConnectionHour)} (over ${count(Math.round(h.connectionSeconds))} connection-seconds)`,
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return (
    `<section id="heartbeats"><h2>Heartbeats and silent connections</h2><div class="table-wrap"><table>` +
    `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody>` +
    `</table></div><p class="muted">Time to detect runs from the blackhole fault's firing to each client's ` +
    `heartbeat-timeout, on one clock. Heartbeat bytes are SSE comment lines and WebSocket ping frames as ` +
    `received (no HTTP chunk or TLS framing), measured over the phase's connection time and scaled to an ` +
    `hour.</p></section>`
  );
}
