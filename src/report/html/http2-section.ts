import type { RunResults } from '../../results/schema.js';
import { HTTP2_LEGEND, http2Columns, type Http2Pair } from '../http2-table.js';
import { figureColumnsHtml } from './figure-columns.js';
import { formatBytes, formatMs } from '../../scenario/units.js';
import { axisBytes, axisTime } from './charts/axis-format.js';
import { barChart, type Bar } from './charts/bar-chart.js';
import { seriesColor, seriesLabel } from './labels.js';
import { pairLegend } from './bar-charts.js';

/** The HTTP/2 comparison (a `--http 1.1,2` run) as a table, or '' when the run has no pair. */
export function http2Table(results: RunResults): string {
  return figureColumnsHtml('http2', http2Columns(results), HTTP2_LEGEND);
}

/** p50 and p99 of each HTTP/1.1 row next to its HTTP/2 row: what sharing a connection did to latency. */
export function http2LatencyChart(pairs: Http2Pair[]): string {
  const bar = (p: Http2Pair['h1'], key: 'p50' | 'p99'): Bar => ({
    series: key,
    value: p.latency.count ? p.latency[key] : null,
    text: p.latency.count ? `${key} ${formatMs(p.latency[key])}` : 'no events delivered',
    color: seriesColor(p),
    faded: key === 'p99',
  });
  return barChart({
    name: 'http2-latency',
    title: 'Latency, HTTP/1.1 against HTTP/2',
    xLabel: 'latency',
    format: axisTime,
    legend: pairLegend('p50', 'p99'),
    groups: pairs.flatMap((c) =>
      [c.h1, c.h2].map((p) => ({ label: seriesLabel(p), bars: [bar(p, 'p50'), bar(p, 'p99')] })),
    ),
  });
}

/** Bytes per delivered event over each version: HPACK's effect on headers, HTTP/2's framing. */
export function http2BytesChart(pairs: Http2Pair[]): string {
  const bar = (p: Http2Pair['h1'], value: number | null): Bar => ({
    series: 'bytes',
    value,
    text: value === null ? 'no events delivered' : `${formatBytes(value)} per event`,
    color: seriesColor(p),
  });
  return barChart({
    name: 'http2-bytes',
    title: 'Bytes per delivered event (in + out), HTTP/1.1 against HTTP/2',
    xLabel: 'bytes per delivered event',
    format: axisBytes,
    unit: 1024,
    legend: [],
    groups: pairs.flatMap((c) => [
      { label: seriesLabel(c.h1), bars: [bar(c.h1, c.bytesH1)] },
      { label: seriesLabel(c.h2), bars: [bar(c.h2, c.bytesH2)] },
    ]),
  });
}
