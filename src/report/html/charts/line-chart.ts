import { emptyChart, frame, legendRows, type LegendItem } from './frame.js';
import { linearScale, logScale, wantsLog, type Scale, type Tick } from './scale.js';
import { el, pathData, tooltip } from './svg.js';

export interface LineSeries {
  /** shown in the tooltip */
  label: string;
  color: string;
  points: Array<[number, number]>;
  dash?: string;
  width?: number;
  opacity?: number;
}

export interface AxisSpec {
  label: string;
  type: 'linear' | 'log' | 'auto';
  format: (v: number) => string;
  /** 1024 for byte axes: ticks at round KB/MB */
  unit?: number;
  /** fixed domain and ticks (e.g. the percentile axis); otherwise fitted to the data */
  min?: number;
  max?: number;
  ticks?: Tick[];
}

export interface LineChartSpec {
  name: string;
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: LineSeries[];
  legend: LegendItem[];
  width?: number;
  height?: number;
}

function scaleFor(axis: AxisSpec, values: number[], r0: number, r1: number): Scale {
  const positive = values.filter((v) => v > 0);
  const min = axis.min ?? Math.min(...values);
  const max = axis.max ?? Math.max(...values);
  const log = axis.type === 'log' || (axis.type === 'auto' && positive.length === values.length && wantsLog(min, max));
  return log
    ? logScale(axis.min ?? Math.min(...positive), max, r0, r1, axis.format, axis.ticks)
    : linearScale(min, max, r0, r1, axis.format, 5, axis.unit);
}

/** Several series over one x axis; log or linear axes; dashes tell series kinds apart. */
export function lineChart(s: LineChartSpec): string {
  const series = s.series.filter((x) => x.points.length);
  if (!series.length) return emptyChart(s.name, s.title, 'no data to draw');
  const width = s.width ?? 640;
  const height = s.height ?? 300;
  const top = 14 + legendRows(s.legend, width, 64) * 16;
  // The right margin leaves room for the last x tick label ("99.99%") centred on the edge.
  const margin = { top, right: 28, bottom: 42, left: 64 };
  const xs = series.flatMap((x) => x.points.map((p) => p[0]));
  const ys = series.flatMap((x) => x.points.map((p) => p[1]));
  const x = scaleFor(s.x, xs, margin.left, width - margin.right);
  const y = scaleFor(s.y, ys, height - margin.bottom, margin.top);
  const body = series
    .map((line) => {
      const pts = line.points.map(([a, b]) => [x.map(a), y.map(b)] as [number, number]);
      const style = {
        stroke: line.color,
        'stroke-width': line.width ?? 2,
        'stroke-dasharray': line.dash,
        'stroke-opacity': line.opacity,
        fill: 'none',
        'stroke-linejoin': 'round',
      };
      // A single point draws no line; mark it so a one-second run still shows.
      const shape =
        pts.length === 1
          ? el('circle', { cx: pts[0][0], cy: pts[0][1], r: 3, fill: line.color }, tooltip(line.label))
          : el('path', { d: pathData(pts), ...style }, tooltip(line.label));
      return shape;
    })
    .join('');
  return frame({
    name: s.name,
    title: s.title,
    width,
    height,
    margin,
    x: { scale: x, label: s.x.label },
    y: { scale: y, label: s.y.label },
    legend: s.legend,
    body: el('g', { class: 'series' }, body),
  });
}
