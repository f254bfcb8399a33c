/**
 * What TLS costs each protocol, from a run with `--tls off,on`: every TLS row next to the same
 * protocol's plaintext row of the same run (same variant apart from "tls"). The figures are the
 * differences, TLS minus plaintext; a figure either row lacks is null.
 */
import { renderFigureColumns, type FigureColumn } from './figure-columns.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { bytesPerEvent } from './wire-bytes.js';
import { formatBytes, formatMs } from '../scenario/units.js';

export interface TlsCost {
  /** the plaintext row's label ("sse", "websocket · drop-oldest") */
  label: string;
  plain: ProtocolResult;
  tls: ProtocolResult;
  /** connect time p50, µs: the TLS handshake's share of connecting */
  connectP50Micros: number | null;
  /** bytes per delivered event, in + out */
  bytesPerEvent: number | null;
  /** the same as a share of the plaintext figure (0.15 = 15 % more) */
  bytesShare: number | null;
  serverRssPerConnection: number | null;
  clientRssPerClient: number | null;
  serverCpuMicrosPerEvent: number | null;
  clientCpuMicrosPerEvent: number | null;
}

const TLS_SUFFIX = /(^| · )tls$/;

function plainVariantOf(variant: string): string | null {
  const rest = variant.replace(TLS_SUFFIX, '');
  return rest === '' ? null : rest;
}

const diff = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? null : b - a;

/** A memory difference, only where both figures are above the method's resolution (> 0). */
const memoryDiff = (a: number | null | undefined, b: number | null | undefined) =>
  a !== null && a !== undefined && b !== null && b !== undefined && a > 0 && b > 0 ? b - a : null;

/** Every TLS row of the run paired with its plaintext row; empty when the run did not run both. */
export function tlsCosts(results: RunResults): TlsCost[] {
  const out: TlsCost[] = [];
  for (const tls of results.protocols) {
    if (!tls.variant || !TLS_SUFFIX.test(tls.variant)) continue;
    const variant = plainVariantOf(tls.variant);
    const plain = results.protocols.find((p) => p.protocol === tls.protocol && (p.variant ?? null) === variant);
    if (!plain) continue;
    const bytes = diff(bytesPerEvent(plain), bytesPerEvent(tls));
    const plainBytes = bytesPerEvent(plain);
    out.push({
      label: resultLabel(plain),
      plain,
      tls,
      connectP50Micros: plain.connect.count && tls.connect.count ? tls.connect.p50 - plain.connect.p50 : null,
      bytesPerEvent: bytes,
      bytesShare: bytes !== null && plainBytes ? bytes / plainBytes : null,
      serverRssPerConnection: memoryDiff(plain.server?.rssPerConnection, tls.server?.rssPerConnection),
      clientRssPerClient: memoryDiff(plain.client?.rssPerClient, tls.client?.rssPerClient),
      serverCpuMicrosPerEvent: diff(plain.serverCpuMicrosPerEvent, tls.serverCpuMicrosPerEvent),
      clientCpuMicrosPerEvent: diff(plain.generator?.clientCpuMicrosPerEvent, tls.generator?.clientCpuMicrosPerEvent),
    });
  }
  return out;
}

const signed = (text: string, n: number) => (n < 0 ? `−${text.replace(/^-/, '')}` : `+${text}`);
const micros = (us: number) => {
  const a = Math.abs(us);
  return a >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(a < 10 ? 1 : 0)} µs`;
};

/** The cells of one cost, as the terminal and the HTML report both show them. */
export function tlsCostCells(c: TlsCost): Array<[label: string, cell: string]> {
  const show = (n: number | null, format: (n: number) => string) => (n === null ? '–' : signed(format(n), n));
  const share =
    c.bytesShare === null ? '' : ` (${signed(`${Math.abs(c.bytesShare * 100).toFixed(0)}%`, c.bytesShare)})`;
  return [
    ['Connect p50', show(c.connectP50Micros, formatMs)],
    ['Bytes/event', show(c.bytesPerEvent, formatBytes) + (c.bytesPerEvent === null ? '' : share)],
    ['Server mem', show(c.serverRssPerConnection, formatBytes)],
    ['Client mem', show(c.clientRssPerClient, formatBytes)],
    ['Server CPU', show(c.serverCpuMicrosPerEvent, micros)],
    ['Client CPU', show(c.clientCpuMicrosPerEvent, micros)],
  ];
}

/** What the cost table's rows mean, under it. */
export const TLS_COST_LEGEND =
  'TLS minus plaintext, same run. Connect: to the first response or open (TLS handshake included); ' +
  'Bytes/event: in + out at the TCP socket (TLS records included); mem: RSS per connection; CPU: per ' +
  'delivered event (server: its processes over the hold, approximate).';

/** The TLS cost per protocol as a terminal table, or '' when the run has no plaintext/TLS pair. */
export function renderTlsCostTable(results: RunResults): string {
  return renderFigureColumns('TLS cost', tlsCostColumns(results));
}

/** Each protocol's TLS cost as a column of figures, for the terminal and HTML tables. */
export function tlsCostColumns(results: RunResults): FigureColumn[] {
  return tlsCosts(results).map((c) => ({ label: c.label, cells: tlsCostCells(c) }));
}

/** One sentence on what TLS cost, for the verdict: the largest bytes and connect-time overheads. */
export function tlsCostSentence(results: RunResults): string | null {
  const costs = tlsCosts(results);
  if (!costs.length) return null;
  const parts = costs.map((c) => {
    const bits: string[] = [];
    if (c.bytesShare !== null)
      bits.push(`${signed(`${Math.abs(c.bytesShare * 100).toFixed(0)}%`, c.bytesShare)} bytes`);
    if (c.connectP50Micros !== null)
      bits.push(`${signed(formatMs(c.connectP50Micros), c.connectP50Micros)} connect p50`);
    if (c.serverCpuMicrosPerEvent !== null)
      bits.push(`${signed(micros(c.serverCpuMicrosPerEvent), c.serverCpuMicrosPerEvent)} server CPU/event`);
    return `${c.label} ${bits.join(', ') || 'no comparable figure'}`;
  });
  return `Against plaintext in the same run: ${parts.join('; ')}.`;
}
