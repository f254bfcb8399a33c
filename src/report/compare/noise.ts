import { decodeHistogram, type Histogram } from '../../metrics/histogram.js';
import type { LatencySummary } from '../../metrics/histogram.js';
import type { ProtocolResult } from '../../results/schema.js';

/** HdrHistogram keeps 3 significant digits: any recorded value is known to within 0.1%. */
export const HDR_PRECISION = 0.001;

/** How far a measured value could move if the same run were repeated: below and above it. */
export interface Uncertainty {
  down: number;
  up: number;
}

// Decoding is the costly part; a results object is read-only, so cache per summary.
const decoded = new WeakMap<LatencySummary, Histogram>();

/** The histogram behind a latency summary, decoded once. */
export function histogramOf(summary: LatencySummary): Histogram | null {
  if (!summary.count || !summary.hdr) return null;
  let h = decoded.get(summary);
  if (!h) decoded.set(summary, (h = decodeHistogram(summary.hdr)));
  return h;
}

/** Value at a 1-based sample rank (the rank-th smallest recorded value). */
function valueAtRank(h: Histogram, rank: number): number {
  const n = h.totalCount;
  const r = Math.min(n, Math.max(1, rank));
  return h.getValueAtPercentile((100 * r) / n);
}

/**
 * How many independent samples a protocol's latency histogram holds: the deliveries of one event
 * share its publish and fan-out delay and move together, so it is about the events each client
 * received (deliveries ÷ connected clients), not the deliveries. Null when nothing was delivered.
 */
export function eventsBehind(p: ProtocolResult): number | null {
  if (!p.latency.count) return null;
  return Math.max(1, Math.round(p.latency.count / Math.max(1, p.connectedPeak)));
}

/**
 * Order-statistic confidence interval of the p-quantile (0 < p ≤ 1): the number of samples below
 * the true quantile is Binomial(n, p), so its rank lies within ±k·sqrt(n·p·(1−p)) of n·p; reading
 * the histogram at those ranks bounds the value. HDR bucket precision (0.1%) is added on top.
 * With `clusters` (events whose deliveries move together) the binomial runs over the clusters, not
 * the samples: the rank's width is k·sqrt(m·p·(1−p)) clusters of n/m samples each, at least one.
 * For the maximum (p = 1) the binomial width is zero, so the spread of the top ⌈k⌉ samples (or
 * clusters) is used for both sides: a repeat run's maximum is about as likely to land above as below.
 */
export function quantileUncertainty(h: Histogram, p: number, k: number, clusters?: number | null): Uncertainty | null {
  const n = h.totalCount;
  if (!n) return null;
  const value = p >= 1 ? h.maxValue : h.getValueAtPercentile(p * 100);
  const precision = value * HDR_PRECISION;
  if (k <= 0) return { down: precision, up: precision };
  const m = clusters ? Math.min(n, Math.max(1, clusters)) : n;
  const perCluster = n / m;
  if (p >= 1) {
    const gap = value - valueAtRank(h, n - Math.ceil(k) * perCluster);
    return { down: gap + precision, up: gap + precision };
  }
  // At least one rank (one cluster) either side: with few samples the neighbour is the honest resolution.
  const halfWidth = Math.max(1, k * Math.sqrt(m * p * (1 - p))) * perCluster;
  const rank = p * n;
  const low = valueAtRank(h, Math.floor(rank - halfWidth));
  const high = valueAtRank(h, Math.ceil(rank + halfWidth));
  const down = Math.max(0, value - low);
  // Past the top sample the data bound nothing from above (a repeat run's slowest event may be
  // slower still): the interval is taken as wide above as below, as for the maximum.
  const up = rank + halfWidth > n ? Math.max(high - value, down) : Math.max(0, high - value);
  return { down: down + precision, up: up + precision };
}

/**
 * Binomial standard error of a percentage measured as hits/trials, scaled by k. Uses the
 * (hits+1)/(trials+2) estimate so 0% and 100% still carry the uncertainty of a finite sample.
 */
export function percentageUncertainty(hits: number, trials: number, k: number): Uncertainty | null {
  if (!trials) return null;
  const q = (hits + 1) / (trials + 2);
  const half = 100 * k * Math.sqrt((q * (1 - q)) / trials);
  return { down: half, up: half };
}

/**
 * Noise of a difference current − baseline: the baseline could have been higher (its `up`) and the
 * current lower (its `down`) when the change is an increase, and the other way round for a decrease.
 */
export function differenceNoise(
  baseline: Uncertainty | null,
  current: Uncertainty | null,
  delta: number,
): number | null {
  if (!baseline && !current) return null;
  const b = baseline ?? { down: 0, up: 0 };
  const c = current ?? { down: 0, up: 0 };
  return delta >= 0 ? Math.hypot(b.up, c.down) : Math.hypot(b.down, c.up);
}

/** One sentence per estimator, for footnotes under tables and reports. */
export function noiseMethod(k: number): string[] {
  return [
    `Noise: a change is "within noise" when it is smaller than what the two runs' own sampling variation ` +
      `explains (k = ${k} standard deviations).`,
    `Latency percentiles: order-statistic interval from each run's HDR histogram: the p-quantile's rank ` +
      `varies by ±k·√(m·p·(1−p)) (binomial) over the m events each client received, since the deliveries of one ` +
      `event move together, read back as values, plus HDR precision (0.1%); max uses the spread of its top ⌈k⌉ ` +
      `events.`,
    `A tail percentile resting on fewer events than it needs (p95 < 20, p99 < 100, p99.9 < 1000; max always) ` +
      `changes only when the events moved too: a one-sided Mann–Whitney rank test over each run's per-second ` +
      `worst latencies, or over their fastest, must reach the one-sided normal tail of k standard deviations ` +
      `(halved when both tests run).`,
    'Wasted %: binomial standard error of wasted/requests, in percentage points.',
    'Counts, bytes per event and memory per connection are single readings and are compared as they are. ' +
      'Where a results file holds the spread of repeated runs (run --repeat N), that spread is the noise band.',
  ];
}
