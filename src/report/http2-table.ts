/**
 * What HTTP/2 changes for each HTTP protocol, from a run with `--http 1.1,2`: every h2 row next to
 * the same protocol's HTTP/1.1 row of the same run (same variant apart from "h2"). Streams share
 * connections, so memory is shown per stream and per connection; bytes per event show HPACK's
 * header compression (polling) and HTTP/2's framing (SSE); latency side by side shows what
 * streams queued on one connection (head-of-line) cost.
 */
import { renderFigureColumns, type FigureColumn } from './figure-columns.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { resultLabel } from '../results/result-label.js';
import { bytesPerEvent } from './wire-bytes.js';
import { formatBytes, formatMs } from '../scenario/units.js';

export interface Http2Pair {
  /** the HTTP/2 row's label ("sse · h2", "polling · tls · h2") */
  label: string;
  h1: ProtocolResult;
  h2: ProtocolResult;
  /** clients (streams) connected at the peak, and the HTTP/2 connections the server counted */
  streams: number;
  connections: number | null;
  /** bytes per delivered event, in + out, over each version */
  bytesH1: number | null;
  bytesH2: number | null;
  /** server RSS per HTTP/2 connection and per stream; null below the method's resolution */
  serverPerConnection: number | null;
  serverPerStream: number | null;
  /** client RSS per stream (a simulated client) and per HTTP/2 connection */
  clientPerStream: number | null;
  clientPerConnection: number | null;
}

const H2_SUFFIX = /(^| · )h2$/;

/** A memory figure only where the method resolved it (an RSS delta at or below zero is noise). */
const measured = (n: number | null | undefined) => (n !== null && n !== undefined && n > 0 ? n : null);

/** Every h2 row of the run paired with its HTTP/1.1 row; empty when the run did not run both. */
export function http2Pairs(results: RunResults): Http2Pair[] {
  const out: Http2Pair[] = [];
  for (const h2 of results.protocols) {
    if (!h2.variant || !H2_SUFFIX.test(h2.variant)) continue;
    const variant = h2.variant.replace(H2_SUFFIX, '') || null;
    const h1 = results.protocols.find((p) => p.protocol === h2.protocol && (p.variant ?? null) === variant);
    if (!h1) continue;
    const streams = h2.connectedPeak;
    const connections = h2.server?.connections || null;
    // Server memory of an h2 row is per stream (assemble divides by the clients it carried).
    const serverPerStream = measured(h2.server?.rssPerConnection);
    const clientPerStream = measured(h2.client?.rssPerClient);
    out.push({
      label: resultLabel(h2),
      h1,
      h2,
      streams,
      connections,
      bytesH1: bytesPerEvent(h1),
      bytesH2: bytesPerEvent(h2),
      serverPerConnection: serverPerStream && connections ? (serverPerStream * streams) / connections : null,
      serverPerStream,
      clientPerStream,
      clientPerConnection: clientPerStream && connections ? (clientPerStream * streams) / connections : null,
    });
  }
  return out;
}

const latencyCell = (h2: ProtocolResult, h1: ProtocolResult, key: 'p50' | 'p99') =>
  h2.latency.count && h1.latency.count ? `${formatMs(h2.latency[key])} (${formatMs(h1.latency[key])})` : '–';

/** The cells of one pair, as the terminal and the HTML report both show them. */
export function http2Cells(c: Http2Pair): Array<[label: string, cell: string]> {
  const bytes = (n: number | null) => (n === null ? '–' : formatBytes(n));
  const share =
    c.bytesH1 && c.bytesH2 !== null
      ? ` (${c.bytesH2 >= c.bytesH1 ? '+' : '−'}${Math.abs((c.bytesH2 / c.bytesH1 - 1) * 100).toFixed(0)}%)`
      : '';
  return [
    ['Streams/conns', `${c.streams} / ${c.connections ?? '–'}`],
    ['Latency p50', latencyCell(c.h2, c.h1, 'p50')],
    ['Latency p99', latencyCell(c.h2, c.h1, 'p99')],
    ['Bytes/event', bytes(c.bytesH2) + share],
    ['Server/conn', bytes(c.serverPerConnection)],
    ['Server/stream', bytes(c.serverPerStream)],
    ['Client/conn', bytes(c.clientPerConnection)],
    ['Client/stream', bytes(c.clientPerStream)],
  ];
}

/**
 * The verdict's HTTP/2 line: each h2 row against its HTTP/1.1 row of the same run (connections,
 * tail latency, bytes, server memory per client), or null when the run has no pair.
 */
export function http2Sentence(results: RunResults): string | null {
  const pairs = http2Pairs(results);
  if (!pairs.length) return null;
  const parts = pairs.map((c) => {
    const bits = [`${c.streams} clients on ${c.connections ?? 'uncounted'} connections`];
    if (c.h2.latency.count && c.h1.latency.count)
      bits.push(`p99 ${formatMs(c.h2.latency.p99)} vs ${formatMs(c.h1.latency.p99)}`);
    if (c.bytesH1 && c.bytesH2 !== null) {
      const change = (c.bytesH2 / c.bytesH1 - 1) * 100;
      bits.push(`${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(0)}% bytes per event`);
    }
    const h1Server = measured(c.h1.server?.rssPerConnection);
    if (c.serverPerStream && h1Server)
      bits.push(`server ${formatBytes(c.serverPerStream)} per client vs ${formatBytes(h1Server)}`);
    return `${c.label} ${bits.join(', ')}`;
  });
  return `Against HTTP/1.1 in the same run: ${parts.join('; ')}.`;
}

/** What the HTTP/2 table's rows mean, under it. */
export const HTTP2_LEGEND =
  'HTTP/2 rows; in brackets the same protocol over HTTP/1.1 in this run. Streams/conns: clients and the ' +
  'connections the server counted; Bytes/event: in + out at the TCP socket, against HTTP/1.1 (HPACK, framing); ' +
  'Server/Client: RSS per HTTP/2 connection and per stream; latency side by side shows what streams sharing ' +
  'a connection (head-of-line) cost.';

/** The HTTP/2 comparison as a terminal table, or '' when the run has no HTTP/1.1 and HTTP/2 pair. */
export function renderHttp2Table(results: RunResults): string {
  return renderFigureColumns('HTTP/2', http2Columns(results));
}

/** Each HTTP/2 row as a column of figures, for the terminal and HTML tables. */
export function http2Columns(results: RunResults): FigureColumn[] {
  return http2Pairs(results).map((c) => ({ label: c.label, cells: http2Cells(c) }));
}
