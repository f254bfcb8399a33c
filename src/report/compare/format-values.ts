import { formatBytes, formatMs } from '../../scenario/units.js';
import type { MetricKind } from './metrics.js';

/** A metric value as people read it: 4.10 ms, 1.2 KB, 11,052, 92.1%. */
export function formatValue(kind: MetricKind, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const byKind: Record<MetricKind, (x: number) => string> = {
    latency: formatMs,
    bytes: formatBytes,
    count: (x) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(1)),
    percent: (x) => `${x.toFixed(1)}%`,
  };
  return byKind[kind](v);
}

/** A signed difference in the metric's unit: +4.10 ms, -12, +3.1 pp (ASCII signs: logs get grepped). */
export function formatDelta(kind: MetricKind, d: number): string {
  const sign = d > 0 ? '+' : d < 0 ? '-' : '';
  const magnitude = kind === 'percent' ? `${Math.abs(d).toFixed(1)} pp` : formatValue(kind, Math.abs(d));
  return `${sign}${magnitude}`;
}

/** A relative change in percent: +23.4%, -5.0%, "new" when the baseline was 0. */
export function formatRelative(r: number): string {
  if (r === Infinity) return 'new';
  if (r === -Infinity) return 'gone';
  const sign = r > 0 ? '+' : r < 0 ? '-' : '';
  return `${sign}${Math.abs(r).toFixed(1)}%`;
}

/** A number without trailing zeros: 10, 2.5, 0.125. */
export function trimNumber(n: number): string {
  return String(Number(n.toFixed(3)));
}
