import { formatBytes } from '../../scenario/units.js';
import { axisBytes, axisPercent } from './charts/axis-format.js';
import { barChart, type Bar } from './charts/bar-chart.js';
import type { LegendItem } from './charts/frame.js';
import { seriesColor, seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';

const NEUTRAL = '#666';
/** The legend of bars drawn in pairs per group: solid, then faded (protocol colours apart). */
export const pairLegend = (solid: string, faded: string): LegendItem[] => [
  { label: solid, color: NEUTRAL, shape: 'box' },
  { label: faded, color: NEUTRAL, faded: true, shape: 'box' },
];

/** Share of requests that brought no new event. */
export function wastedChart(protocols: ReportProtocol[]): string {
  return barChart({
    name: 'wasted-requests',
    title: 'Wasted requests (requests that returned no new event)',
    xLabel: 'share of requests wasted',
    format: axisPercent,
    legend: protocols.map((p) => ({ label: seriesLabel(p), color: seriesColor(p), shape: 'box' })),
    groups: protocols.map((p) => ({
      label: seriesLabel(p),
      bars: [
        {
          series: 'wasted',
          value: p.requests ? p.wastedPct : null,
          text: p.requests
            ? `${p.wastedPct.toFixed(1)}% (${p.wasted.toLocaleString('en-US')} of ` +
              `${p.requests.toLocaleString('en-US')})`
            : 'no requests',
          color: seriesColor(p),
        },
      ],
    })),
  });
}

/** Wire bytes per delivered event, received (in) and sent (out) by the clients. */
export function bytesChart(protocols: ReportProtocol[]): string {
  const bar = (p: ReportProtocol, series: string, value: number, faded: boolean): Bar => ({
    series,
    value: p.delivered ? value : null,
    text: p.delivered ? `${formatBytes(value)} ${series}` : 'no events delivered',
    color: seriesColor(p),
    faded,
  });
  return barChart({
    name: 'bytes-per-event',
    title: 'Bytes on the wire per delivered event',
    xLabel: 'bytes per delivered event',
    format: axisBytes,
    unit: 1024,
    legend: pairLegend('in (to clients)', 'out (from clients)'),
    groups: protocols.map((p) => ({
      label: seriesLabel(p),
      bars: [bar(p, 'in', p.bytes.inPerEvent, false), bar(p, 'out', p.bytes.outPerEvent, true)],
    })),
  });
}

/** RSS per connection on the server and per simulated client in the load generator. */
export function memoryChart(protocols: ReportProtocol[]): string {
  const bar = (p: ReportProtocol, series: string, value: number | null, faded: boolean): Bar => ({
    series,
    value: value === null ? null : Math.max(0, value),
    // An RSS delta at or below zero is below what RSS sampling resolves, not free memory.
    text:
      value === null
        ? `${series}: not measured`
        : value > 0
          ? `${formatBytes(value)} ${series}`
          : `${series}: too small to measure`,
    color: seriesColor(p),
    faded,
  });
  return barChart({
    name: 'memory-per-connection',
    title: 'Memory per connection (RSS)',
    xLabel: 'RSS per connection',
    format: axisBytes,
    unit: 1024,
    legend: pairLegend('server, per connection', 'client, per simulated client'),
    groups: protocols.map((p) => ({
      label: seriesLabel(p),
      bars: [
        bar(p, 'server', p.server?.rssPerConnection ?? null, false),
        bar(p, 'client', p.client?.rssPerClient ?? null, true),
      ],
    })),
  });
}
