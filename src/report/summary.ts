import Table from 'cli-table3';
import { formatBytes, formatMs, formatPerConnection, formatCount as num } from '../scenario/units.js';
import type { ProtocolResult, RunResults } from '../results/schema.js';
import { verdict } from './html/verdict.js';
import { renderFootnotes, renderTable } from './table.js';
import { renderStressTable } from './stress-table.js';
import { renderTlsCostTable, TLS_COST_LEGEND } from './tls-cost.js';
import { HTTP2_LEGEND, renderHttp2Table } from './http2-table.js';
import { renderSpread } from './spread.js';
import { partialTag } from '../results/interrupted.js';

const micros = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(us < 10 ? 1 : 0)} µs`);

/** One row of the summary: a metric, and how to show it for one protocol. */
type Row = [label: string, cell: (p: ProtocolResult) => string];

const latency =
  (key: 'p50' | 'p99' | 'max'): Row[1] =>
  (p) =>
    p.latency.count ? formatMs(p.latency[key]) : '–';

/**
 * The rows a reader needs to choose a protocol and to trust the figures, in the HTML's order;
 * labels of at most 12 characters, so four protocols of 50,000 clients still fit 80 columns.
 * The last two say whether rtbench itself was the limit (its CPU per event, its memory against
 * the bare-socket floor, and a saturated event loop).
 */
const ROWS: Row[] = [
  ['Connected', (p) => `${num(p.connectedPeak)}/${num(p.clients)}`],
  ['Latency p50', latency('p50')],
  ['Latency p99', latency('p99')],
  ['Latency max', latency('max')],
  ['Delivered', (p) => num(p.delivered)],
  ['Lost', (p) => num(p.lost)],
  ['Dup/reorder', (p) => `${num(p.duplicated)}/${num(p.reordered)}`],
  ['Wasted reqs', (p) => (p.requests ? `${num(p.wasted)} (${p.wastedPct.toFixed(0)}%)` : '–')],
  ['Bytes/event', (p) => (p.delivered ? formatBytes(p.bytes.inPerEvent) : '–')],
  ['Server mem', (p) => (p.server ? perConnection(p.server.rssPerConnection) : 'n/a')],
  ['Errors', (p) => num(p.errors)],
  ['Reconnects', (p) => num(p.reconnects)],
  ['Client CPU', (p) => (p.generator?.clientCpuMicrosPerEvent ? micros(p.generator.clientCpuMicrosPerEvent) : '–')],
  ['Client mem', clientMemory],
];

/** What the short row names mean, under the table. */
export const ROW_LEGEND =
  'Bytes/event: read by clients per delivered event; Server/Client mem: RSS per connection (client: × a bare ' +
  "TCP socket's, measured; ≈0: below what RSS resolves); Client CPU: rtbench's own CPU per delivered event.";

/** A memory figure per connection in a cell of at most 12 characters: "≈0" for below resolution (see the legend). */
function perConnection(n: number): string {
  return n > 0 ? formatPerConnection(n) : '≈0';
}

function clientMemory(p: ProtocolResult): string {
  if (!p.client) return 'n/a';
  const floor = p.generator?.clientRssFloorMultiple;
  return `${perConnection(p.client.rssPerClient)}${floor ? ` ${floor.toFixed(1)}×` : ''}`;
}

/** A column's head: the protocol, its variant and whether it is partial or interrupted, a line each. */
function head(p: ProtocolResult): string {
  return [p.protocol, p.variant ? `· ${p.variant}` : '', partialTag(p), p.generator?.saturated ? 'SATURATED' : '']
    .filter(Boolean)
    .join('\n');
}

/** Visible width of a rendered table (its first line), for fitting the terminal. */
const widthOf = (rendered: string) => rendered.split('\n')[0].length;

function tableOf(protocols: ProtocolResult[]): string {
  // No rule between rows: the table stays one screen tall (16 lines for 12 figures).
  const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
  const table = new Table({ head: ['', ...protocols.map(head)], chars, style: { head: [], border: [] } });
  for (const [label, cell] of ROWS) table.push([label, ...protocols.map(cell)]);
  return table.toString();
}

/**
 * The comparison as it fits a terminal of `width` columns: metrics as rows, protocols as columns
 * (four protocols fit 80 columns); when they do not fit, the protocols are split over several
 * tables. `rtbench run --wide` prints every figure in one row per protocol instead.
 */
export function renderSummaryTable(results: RunResults, width = 80): string {
  const protocols = results.protocols;
  if (!protocols.length) return 'No protocol ran.';
  const tables: string[] = [];
  let start = 0;
  while (start < protocols.length) {
    let end = start + 1;
    while (end < protocols.length && widthOf(tableOf(protocols.slice(start, end + 1))) <= width) end++;
    tables.push(tableOf(protocols.slice(start, end)));
    start = end;
  }
  return tables.join('\n');
}

/** Wraps `text` to `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Lines a run asked for by its options (--tls off,on, --http 1.1,2): never cut. */
const ASKED_FOR = new Set(['tls-cost', 'http2']);

/** The verdict's first `max` topics, then the lines the run's options asked for. */
function verdictLines(results: RunResults, max: number) {
  const all = verdict(results);
  return [...all.filter((v) => !ASKED_FOR.has(v.topic)).slice(0, max), ...all.filter((v) => ASKED_FOR.has(v.topic))];
}

/**
 * Who won what, in a few lines computed from the numbers (the HTML report's verdict): two
 * latencies within their sampling noise are a tie, never a win. At most `max` lines.
 */
export function renderVerdict(results: RunResults, width = 80, max = 5): string {
  const lines = verdictLines(results, max);
  if (!results.protocols.length || !lines.length) return '';
  const out = ['Verdict (ties: within measurement noise):'];
  for (const v of lines) out.push(...wrap(`• ${v.heading}: ${v.text}`, width - 2, '  ').map((l) => `  ${l}`));
  return out.join('\n');
}

/**
 * The verdict in at most `max` lines of `width` columns, one per topic, each cut with "…" where it
 * would wrap: the lines a terminal of 24 rows has left under the table (the whole sentences are
 * in --verbose and the HTML report).
 */
export function renderShortVerdict(results: RunResults, width = 80, max = 5): string {
  if (!results.protocols.length) return '';
  return verdictLines(results, max)
    .map((v) => {
      const line = `Verdict · ${v.heading}: ${v.text}`;
      return [...line].length <= width ? line : [...line].slice(0, width - 1).join('') + '…';
    })
    .join('\n');
}

/** How the summary is printed: `wide` one row per protocol with every figure; `verbose` with the method notes. */
export interface SummaryView {
  wide: boolean;
  verbose: boolean;
  /**
   * a terminal shows it: fit its last screen (notes first, one verdict line per topic); a log or a
   * pipe gets the whole sentences after the table
   */
  screen?: boolean;
}

/**
 * The summary a terminal shows after a run: the table (fitted to the terminal unless wide), the
 * verdict, and the footnotes (only the table and verdict with --quiet, apart from a partial run).
 */
export function renderSummary(results: RunResults, view: SummaryView, quiet: boolean, width = 80): string {
  // Footnotes wrap to the terminal too; --verbose keeps them one line each (for grep).
  const notes = quiet ? '' : renderFootnotes(results, view.verbose);
  const notesText = !notes
    ? results.partial
      ? `  PARTIAL RESULTS: ${results.partialReason}.`
      : ''
    : view.verbose
      ? notes
      : notes
          .split('\n')
          .flatMap((l) => wrap(l.trim(), width - 2, '  ').map((w) => `  ${w}`))
          .join('\n');
  const spread = renderSpread(results).flatMap((l, i) => wrap(l, width - 2, i ? '    ' : '').map((w) => `  ${w}`));
  const tlsCost = renderTlsCostTable(results);
  const tls = tlsCost ? [tlsCost, ...wrap(TLS_COST_LEGEND, width - 2, '').map((l) => `  ${l}`)] : [];
  // The HTTP/2 table goes with the TLS one: both compare rows of the same run.
  const http2Table = renderHttp2Table(results);
  if (http2Table) tls.push(http2Table, ...wrap(HTTP2_LEGEND, width - 2, '').map((l) => `  ${l}`));
  const legend = wrap(ROW_LEGEND, width - 2, '').map((l) => `  ${l}`);
  if (view.wide || view.verbose || !view.screen) {
    // The wide table carries the stress table already; the fitted one gets it below.
    const stress = view.wide ? null : renderStressTable(results);
    const parts = [view.wide ? renderTable(results) : renderSummaryTable(results, width)];
    if (stress) parts.push(stress);
    if (!view.wide) parts.push(...legend);
    parts.push(...spread, ...tls);
    const verdictText = renderVerdict(results, width);
    if (verdictText) parts.push(verdictText);
    if (notesText) parts.push(notesText);
    return parts.join('\n') + '\n';
  }
  // A terminal's last screen (80×24) is what stays in view: the notes and the legend come first,
  // then the table and a verdict of one line per topic, so the numbers and who won are never
  // scrolled away by notes.
  const parts: string[] = [];
  if (notesText) parts.push(notesText);
  parts.push(...legend, ...spread);
  const stress = renderStressTable(results);
  if (stress) parts.push(stress);
  parts.push(...tls, renderSummaryTable(results, width));
  const verdictText = renderShortVerdict(results, width);
  if (verdictText) parts.push(verdictText);
  return parts.join('\n') + '\n';
}
