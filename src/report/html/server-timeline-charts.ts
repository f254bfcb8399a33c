import { axisBytes, axisCount, axisSeconds, axisTime } from './charts/axis-format.js';
import { lineChart } from './charts/line-chart.js';
import { seriesColor, seriesLabel } from './labels.js';
import type { ReportProtocol, ServerTimelinePoint } from './types.js';

interface Field {
  key: Exclude<keyof ServerTimelinePoint, 't' | 'healthyHdr'>;
  title: string;
  yLabel: string;
  format: (v: number) => string;
  /** latency spans decades under faults, so it may go log; counts and bytes stay linear */
  scale: 'auto' | 'linear';
  unit?: number;
}

// One chart per measure: their units differ, and each answers its own question.
const FIELDS: Field[] = [
  {
    key: 'healthyP99Micros',
    title: 'p99 latency of healthy clients',
    yLabel: 'latency',
    format: axisTime,
    scale: 'auto',
  },
  { key: 'rss', title: 'Server RSS', yLabel: 'RSS', format: axisBytes, scale: 'linear', unit: 1024 },
  {
    key: 'buffered',
    title: 'Bytes buffered for slow clients',
    yLabel: 'buffered',
    format: axisBytes,
    scale: 'linear',
    unit: 1024,
  },
  { key: 'dropped', title: 'Events dropped', yLabel: 'events', format: axisCount, scale: 'linear' },
  { key: 'disconnected', title: 'Clients disconnected', yLabel: 'clients', format: axisCount, scale: 'linear' },
  { key: 'reconnects', title: 'Reconnects', yLabel: 'reconnects', format: axisCount, scale: 'linear' },
  {
    key: 'connects',
    title: 'Connections opened per second',
    yLabel: 'connections/s',
    format: axisCount,
    scale: 'linear',
  },
  {
    key: 'loopDelayP99Ms',
    title: 'Server event-loop delay p99 (ms)',
    yLabel: 'ms',
    format: axisCount,
    scale: 'linear',
  },
];

/** Protocols whose results carry a server timeline (slow-consumer and fault scenarios). */
export function withServerTimeline(protocols: ReportProtocol[]): ReportProtocol[] {
  return protocols.filter((p) => Array.isArray(p.serverTimeline) && p.serverTimeline.length > 0);
}

/** The per-second server charts, or an empty list when no protocol has a server timeline. */
export function serverTimelineCharts(protocols: ReportProtocol[]): Array<{ title: string; svg: string }> {
  const drawn = withServerTimeline(protocols);
  if (!drawn.length) return [];
  // A measure no row carries (e.g. results from an older rtbench) gets no empty chart.
  const present = FIELDS.filter((f) => drawn.some((p) => p.serverTimeline!.some((s) => Number.isFinite(s[f.key]))));
  return present.map((f) => ({
    title: f.title,
    svg: lineChart({
      name: `server-${f.key}`,
      title: f.title,
      height: 240,
      x: { label: 'seconds since the phase started', type: 'linear', format: axisSeconds },
      y: { label: f.yLabel, type: f.scale, format: f.format, unit: f.unit },
      series: drawn.map((p) => ({
        label: `${seriesLabel(p)} ${f.title.toLowerCase()}`,
        color: seriesColor(p),
        points: p
          .serverTimeline!.filter((s) => Number.isFinite(s[f.key]))
          .map((s) => [s.t, s[f.key]] as [number, number]),
      })),
      legend: drawn.map((p) => ({ label: seriesLabel(p), color: seriesColor(p), shape: 'line' })),
    }),
  }));
}
