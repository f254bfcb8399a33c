import { percentileSpectrum } from '../../metrics/histogram.js';
import { histogramOf } from '../compare/noise.js';
import { axisSeconds, axisTime } from './charts/axis-format.js';
import type { LegendItem } from './charts/frame.js';
import { lineChart } from './charts/line-chart.js';
import { seriesColor, seriesLabel } from './labels.js';
import type { ReportProtocol } from './types.js';

/** The percentile axis ends at 99.99%: beyond it a typical run has too few samples to mean much. */
const TOP_PERCENTILE = 99.99;
const PERCENTILE_TICKS = [0, 90, 99, 99.9, 99.99].map((p) => ({ value: 1 / (1 - p / 100), label: `${p}%` }));

const legendOf = (protocols: ReportProtocol[]): LegendItem[] =>
  protocols.map((p) => ({ label: seriesLabel(p), color: seriesColor(p), shape: 'line' }));

/** HDR percentile spectrum of each protocol's latency; x = 1/(1−p) on a log axis spreads the tail. */
export function percentileChart(protocols: ReportProtocol[]): string {
  const drawn = protocols.filter((p) => histogramOf(p.latency));
  const series = drawn.map((p) => {
    const h = histogramOf(p.latency)!;
    const points = percentileSpectrum(h, TOP_PERCENTILE)
      .filter((s) => s.percentile < 100)
      .map((s) => [1 / (1 - s.percentile / 100), s.value] as [number, number]);
    points.push([1 / (1 - TOP_PERCENTILE / 100), h.getValueAtPercentile(TOP_PERCENTILE)]);
    return { label: `${seriesLabel(p)} latency by percentile`, color: seriesColor(p), points };
  });
  return lineChart({
    name: 'latency-percentiles',
    title: 'Latency by percentile (publish → receive)',
    x: {
      label: 'percentile',
      type: 'log',
      format: String,
      min: 1,
      max: 1 / (1 - TOP_PERCENTILE / 100),
      ticks: PERCENTILE_TICKS,
    },
    y: { label: 'latency', type: 'auto', format: axisTime },
    series,
    legend: legendOf(drawn),
  });
}

/** Mean (solid) and max (dashed) latency for each second of each protocol's phase. */
export function latencyTimelineChart(protocols: ReportProtocol[]): string {
  const drawn = protocols.filter((p) => p.timeline.some((t) => t.count > 0));
  const series = drawn.flatMap((p) => {
    const points = p.timeline.filter((t) => t.count > 0);
    const color = seriesColor(p);
    const label = seriesLabel(p);
    return [
      {
        label: `${label} mean latency per second`,
        color,
        points: points.map((t) => [t.t, t.sumMicros / t.count] as [number, number]),
      },
      {
        label: `${label} max latency per second`,
        color,
        dash: '5 4',
        width: 1.25,
        opacity: 0.75,
        points: points.map((t) => [t.t, t.maxMicros] as [number, number]),
      },
    ];
  });
  const styles: LegendItem[] = drawn.length
    ? [
        { label: 'mean', color: '#555', shape: 'line' },
        { label: 'max', color: '#555', dash: '5 4', shape: 'line' },
      ]
    : [];
  return lineChart({
    name: 'latency-timeline',
    title: 'Latency over time (per second: mean and max)',
    x: { label: 'seconds since the phase started', type: 'linear', format: axisSeconds },
    y: { label: 'latency', type: 'auto', format: axisTime },
    series,
    legend: [...legendOf(drawn), ...styles],
  });
}
