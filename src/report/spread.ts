import { resultLabel } from '../results/result-label.js';
import type { ProtocolResult, RunResults, RunSpread, SpreadFigure } from '../results/schema.js';
import { formatBytes, formatMs } from '../scenario/units.js';
import { findMetric } from './compare/metrics.js';

/**
 * The figures whose run-to-run spread `run --repeat` records: compare's metrics that a merged run
 * keeps per run (percentiles, shares, per-event and per-connection figures; counts are summed over
 * the runs, so they are not), and the delivered rate.
 */
const SPREAD_METRICS = [
  'p50',
  'p90',
  'p95',
  'p99',
  'p999',
  'wasted',
  'bytes-in',
  'bytes-out',
  'server-rss',
  'client-rss',
];
/** Events delivered per second of the phase, every client's together. */
export const DELIVERED_RATE = 'delivered-per-s';

/** min, max, mean and sample standard deviation of the values (those that were measured). */
function spreadOf(values: Array<number | null>): SpreadFigure | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { min: Math.min(...xs), max: Math.max(...xs), mean, sd, runs: xs.length };
}

/** The spread of each figure of one protocol over the runs that measured it (at least two). */
export function protocolSpread(runs: ProtocolResult[]): RunSpread {
  const figures: Record<string, SpreadFigure> = {};
  for (const name of SPREAD_METRICS) {
    const metric = findMetric(name)!;
    const s = spreadOf(runs.map((p) => metric.value(p)));
    if (s) figures[name] = s;
  }
  const rate = spreadOf(runs.map((p) => (p.durationMs > 0 ? p.delivered / (p.durationMs / 1000) : null)));
  if (rate) figures[DELIVERED_RATE] = rate;
  return { runs: runs.length, figures };
}

/**
 * The noise band of a change between two results when either holds a run-to-run spread of the
 * metric: k standard deviations of one run (pooled over the files that have one) times
 * √(1/Na + 1/Nb), a file without a spread counting as one run. Null when neither has it.
 */
export function spreadNoise(
  metric: string,
  baseline: ProtocolResult | undefined,
  current: ProtocolResult | undefined,
  k: number,
): number | null {
  const sides = [baseline, current].map((p) => ({ n: p?.spread?.runs ?? 1, figure: p?.spread?.figures[metric] }));
  const known = sides.filter((s) => s.figure);
  if (!known.length) return null;
  const variance = known.reduce((a, s) => a + s.figure!.sd ** 2, 0) / known.length;
  return k * Math.sqrt(variance) * Math.sqrt(sides.reduce((a, s) => a + 1 / s.n, 0));
}

/** "1.18–1.23 ms" (the unit once when both ends share it), or one value when they print the same. */
function range(f: SpreadFigure | undefined, show: (v: number) => string): string | null {
  if (!f) return null;
  const [low, high] = [show(f.min), show(f.max)];
  if (low === high) return low;
  const unit = (t: string) => t.replace(/^[\d.,]+\s*/, '');
  return unit(low) === unit(high) && unit(low) ? `${low.slice(0, -unit(low).length).trim()}–${high}` : `${low}–${high}`;
}

/** "Run-to-run spread over 5 runs (lowest–highest):" and a line per protocol; none without a spread. */
export function renderSpread(results: RunResults): string[] {
  const withSpread = results.protocols.filter((p) => p.spread);
  if (!withSpread.length) return [];
  const lines = [`Run-to-run spread over ${withSpread[0].spread!.runs} runs (lowest–highest of the runs):`];
  for (const p of withSpread) {
    const f = p.spread!.figures;
    const parts = [
      ['p50', range(f.p50, formatMs)],
      ['p95', range(f.p95, formatMs)],
      ['p99', range(f.p99, formatMs)],
      ['', range(f[DELIVERED_RATE], (v) => `${Math.round(v).toLocaleString('en-US')}`)],
      ['', range(f['bytes-in'], formatBytes)],
    ] as const;
    const text = parts
      .map(([name, v], i) => (v === null ? null : i === 3 ? `${v} events/s` : i === 4 ? `${v}/event` : `${name} ${v}`))
      .filter((t): t is string => t !== null)
      // A figure and its unit stay on one line when the summary wraps (a no-break space between them).
      .map((t) => t.replace(/ /g, '\u00a0'))
      .join(', ');
    lines.push(`${resultLabel(p)}: ${text}`);
  }
  return lines;
}
