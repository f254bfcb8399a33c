import type { LatencySummary } from '../../metrics/histogram.js';
import { formatBytes, formatMs, formatPerConnection } from '../../scenario/units.js';
import { esc } from './escape.js';
import { seriesColor, seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';

interface Row {
  label: string;
  cell(p: ReportProtocol): string;
  /** the number that decides the best cell of the row; lower wins; null cells never win */
  rank?(p: ReportProtocol): number | null;
  hint?: string;
}

interface Group {
  title: string;
  rows: Row[];
}

const count = (n: number) => n.toLocaleString('en-US');
const ms = (s: LatencySummary, v: number) => (s.count ? formatMs(v) : '–');
const latencyRank =
  (pick: (p: ReportProtocol) => LatencySummary, key: keyof Omit<LatencySummary, 'hdr' | 'count'>) =>
  (p: ReportProtocol) => (pick(p).count ? pick(p)[key] : null);
const memory = formatPerConnection;

function latencyRows(
  prefix: string,
  pick: (p: ReportProtocol) => LatencySummary,
  keys: Array<['p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean', string]>,
): Row[] {
  return keys.map(([key, name]) => ({
    label: `${prefix} ${name}`,
    cell: (p) => ms(pick(p), pick(p)[key]),
    rank: latencyRank(pick, key),
  }));
}

// The rows of the table: one place to add a figure, every protocol gets it.
const GROUPS: Group[] = [
  {
    title: 'Latency (intended publish → received, coordinated-omission corrected)',
    rows: [
      ...latencyRows('latency', (p) => p.latency, [
        ['p50', 'p50'],
        ['p90', 'p90'],
        ['p99', 'p99'],
        ['p999', 'p99.9'],
        ['max', 'max'],
        ['mean', 'mean'],
      ]),
      { label: 'latency samples', cell: (p) => count(p.latency.count) },
    ],
  },
  {
    title: 'Connecting',
    rows: [
      ...latencyRows('connect', (p) => p.connect, [
        ['p50', 'p50'],
        ['p99', 'p99'],
      ]),
      ...latencyRows('first event', (p) => p.firstEvent, [
        ['p50', 'p50'],
        ['p99', 'p99'],
      ]),
      {
        label: 'connect rate',
        cell: (p) => `${p.connectRate.toFixed(0)}/s`,
        hint: 'connections per second reached during ramp-up',
      },
      { label: 'clients (peak connected)', cell: (p) => `${count(p.clients)} (${count(p.connectedPeak)})` },
    ],
  },
  {
    title: 'Delivery',
    rows: [
      {
        label: 'published',
        cell: (p) => count(p.published) + (p.publishErrors ? ` (${count(p.publishErrors)} failed)` : ''),
      },
      { label: 'delivered', cell: (p) => count(p.delivered) },
      { label: 'lost', cell: (p) => count(p.lost), rank: (p) => p.lost },
      { label: 'duplicated', cell: (p) => count(p.duplicated), rank: (p) => p.duplicated },
      { label: 'reordered', cell: (p) => count(p.reordered), rank: (p) => p.reordered },
    ],
  },
  {
    title: 'Requests and bytes',
    rows: [
      { label: 'requests', cell: (p) => count(p.requests) },
      {
        label: 'wasted',
        cell: (p) => (p.requests ? `${count(p.wasted)} (${p.wastedPct.toFixed(1)}%)` : '–'),
        rank: (p) => (p.requests ? p.wastedPct : 0),
        hint: 'requests that returned no new event',
      },
      {
        label: 'bytes/event in',
        cell: (p) => (p.delivered ? formatBytes(p.bytes.inPerEvent) : '–'),
        rank: (p) => (p.delivered ? p.bytes.inPerEvent : null),
      },
      {
        label: 'bytes/event out',
        cell: (p) => (p.delivered ? formatBytes(p.bytes.outPerEvent) : '–'),
        rank: (p) => (p.delivered ? p.bytes.outPerEvent : null),
      },
      { label: 'bytes total in / out', cell: (p) => `${formatBytes(p.bytes.in)} / ${formatBytes(p.bytes.out)}` },
    ],
  },
  {
    title: 'Memory',
    rows: [
      {
        label: 'server RSS/connection',
        cell: (p) => memory(p.server?.rssPerConnection),
        rank: (p) => p.server?.rssPerConnection ?? null,
      },
      {
        label: 'server heap/connection',
        cell: (p) => memory(p.server?.heapPerConnection),
        rank: (p) => p.server?.heapPerConnection ?? null,
      },
      {
        label: 'client RSS/client',
        cell: (p) => memory(p.client?.rssPerClient),
        rank: (p) => p.client?.rssPerClient ?? null,
      },
      {
        label: 'client heap/client',
        cell: (p) => memory(p.client?.heapPerClient),
        rank: (p) => p.client?.heapPerClient ?? null,
      },
    ],
  },
  {
    title: 'Errors and reconnects',
    rows: [
      { label: 'errors', cell: (p) => count(p.errors), rank: (p) => p.errors },
      {
        label: 'errors by type',
        cell: (p) =>
          Object.entries(p.errorsByType)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k}: ${count(v)}`)
            .join(', ') || 'none',
      },
      { label: 'reconnects', cell: (p) => count(p.reconnects), rank: (p) => p.reconnects },
      { label: 'disconnects', cell: (p) => count(p.disconnects), rank: (p) => p.disconnects },
    ],
  },
];

/** The protocol whose cell is best in this row, when the row has a clear best. */
function bestOf(row: Row, protocols: ReportProtocol[]): ReportProtocol | null {
  if (!row.rank || protocols.length < 2) return null;
  const ranked = protocols
    .map((p) => ({ p, v: row.rank!(p) }))
    .filter((x): x is { p: ReportProtocol; v: number } => x.v !== null);
  if (ranked.length < 2) return null;
  ranked.sort((a, b) => a.v - b.v);
  return ranked[0].v < ranked[1].v ? ranked[0].p : null;
}

/** Every protocol side by side: protocols as columns keeps four of them on a laptop screen. */
export function comparisonTable(protocols: ReportProtocol[]): string {
  const head = protocols
    .map(
      (p) =>
        `<th scope="col"><span class="swatch" ` +
        `style="background:${seriesColor(p)}"></span>${esc(seriesLabel(p))}` +
        `${p.partial ? ` <span class="tag">${p.interrupted ? 'interrupted' : 'partial'}</span>` : ''}</th>`,
    )
    .join('');
  const body = GROUPS.map((g) => {
    const rows = g.rows.map((row) => {
      const best = bestOf(row, protocols);
      const cells = protocols.map((p) => `<td${p === best ? ' class="best"' : ''}>${esc(row.cell(p))}</td>`).join('');
      return `<tr><th scope="row"${row.hint ? ` title="${esc(row.hint)}"` : ''}>${esc(row.label)}</th>${cells}</tr>`;
    });
    return (
      `<tbody><tr class="group"><th ` +
      `colspan="${protocols.length + 1}">${esc(g.title)}</th></tr>${rows.join('')}</tbody>`
    );
  }).join('');
  return (
    `<table class="comparison" data-table="comparison"><thead><tr><th ` +
    `scope="col">metric</th>${head}</tr></thead>${body}</table>`
  );
}
