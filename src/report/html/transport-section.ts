import { formatBytes, formatCount as count, formatMs } from '../../scenario/units.js';
import { esc } from './escape.js';
import { seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';

/** Only for Socket.IO rows: time polled before the upgrade, what it cost, and the emit → ack round trip. */
export function transportSection(protocols: ReportProtocol[]): string {
  const rows = protocols.filter((p) => p.upgrade || p.ackRoundTrip);
  if (!rows.length) return '';
  const head = [
    'Protocol',
    'Polling before the upgrade p50 / p99',
    'Requests until the upgrade p50 / p99',
    'Bytes until the upgrade p50 / p99',
    'Emit → ack p50 / p99',
  ];
  const body = rows.map((p) => {
    const u = p.upgrade;
    const ack = p.ackRoundTrip;
    const cells = [
      seriesLabel(p),
      u ? `${formatMs(u.time.p50)} / ${formatMs(u.time.p99)}` : '–',
      u ? `${count(u.requests.p50)} / ${count(u.requests.p99)}` : '–',
      u ? `${formatBytes(u.bytes.p50)} / ${formatBytes(u.bytes.p99)}` : '–',
      ack && ack.count ? `${formatMs(ack.p50)} / ${formatMs(ack.p99)}` : '–',
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return (
    `<section id="transport"><h2>Socket.IO: upgrade and acks</h2><div class="table-wrap"><table>` +
    `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody>` +
    `</table></div><p class="muted">The upgrade runs from a client's connection attempt to its switch from ` +
    `long-polling to WebSocket; requests (the WebSocket handshake included) and bytes (headers, framing and ` +
    `TLS included) are that client's until then. Emit → ack is a publish over Socket.IO (--upstream ` +
    `protocol) until the server acknowledged it.</p></section>`
  );
}
