import type { LatencySummary } from '../../metrics/histogram.js';
import type { ProtocolResult } from '../../results/schema.js';
import { eventsBehind, histogramOf, percentageUncertainty, quantileUncertainty, type Uncertainty } from './noise.js';

/** What a metric's numbers are, which decides the units a limit may use and how values print. */
export type MetricKind = 'latency' | 'count' | 'percent' | 'bytes';

/** One comparable figure of a protocol's results. */
export interface MetricDef {
  /** name used in --fail-on */
  name: string;
  aliases: string[];
  /** row label in tables */
  label: string;
  kind: MetricKind;
  /** the value (µs, count, percent or bytes); null when the run did not measure it */
  value(p: ProtocolResult): number | null;
  /** how far the value could move on a repeat run (k standard deviations); null when not estimable */
  uncertainty(p: ProtocolResult, k: number): Uncertainty | null;
  /**
   * a delivery-latency percentile as a fraction (max = 1): when it rests on fewer events than it
   * needs, a change must also move the events themselves (compare/event-tails.ts)
   */
  tailQuantile?: number;
}

const exact = (): null => null;

function quantile(
  label: string,
  name: string,
  aliases: string[],
  pick: (p: ProtocolResult) => LatencySummary,
  key: 'p50' | 'p90' | 'p99' | 'p999' | 'max',
  q: number,
  perEvent = true,
): MetricDef {
  return {
    name,
    aliases,
    label,
    kind: 'latency',
    value: (p) => (pick(p).count ? pick(p)[key] : null),
    uncertainty: (p, k) => {
      const h = histogramOf(pick(p));
      // Delivery latencies cluster by event; connect and first-event times are one per client.
      return h ? quantileUncertainty(h, q, k, perEvent ? eventsBehind(p) : null) : null;
    },
  };
}

const latency = (p: ProtocolResult) => p.latency;
const NONE: LatencySummary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, hdr: '' };
const timeToDetect = (p: ProtocolResult) => p.heartbeat?.blackhole?.timeToDetect ?? NONE;
const ackRoundTrip = (p: ProtocolResult) => p.ackRoundTrip ?? NONE;
const upgradeTime = (p: ProtocolResult) => p.upgrade?.time ?? NONE;

/** Every metric compare knows, in table order. */
export const METRICS: readonly MetricDef[] = [
  quantile('latency p50', 'p50', ['median'], latency, 'p50', 0.5),
  quantile('latency p90', 'p90', [], latency, 'p90', 0.9),
  {
    // p95 is not in the summary: read from the run's own histogram (k6's and Artillery's favourite).
    name: 'p95',
    aliases: [],
    label: 'latency p95',
    kind: 'latency',
    value: (p) => (p.latency.count ? (histogramOf(p.latency)?.getValueAtPercentile(95) ?? null) : null),
    uncertainty: (p, k) => {
      const h = histogramOf(p.latency);
      return h ? quantileUncertainty(h, 0.95, k, eventsBehind(p)) : null;
    },
    tailQuantile: 0.95,
  },
  { ...quantile('latency p99', 'p99', [], latency, 'p99', 0.99), tailQuantile: 0.99 },
  { ...quantile('latency p99.9', 'p999', ['p99.9'], latency, 'p999', 0.999), tailQuantile: 0.999 },
  { ...quantile('latency max', 'max', ['latency-max'], latency, 'max', 1), tailQuantile: 1 },
  quantile('connect p99', 'connect-p99', [], (p) => p.connect, 'p99', 0.99, false),
  quantile('first event p99', 'first-event-p99', [], (p) => p.firstEvent, 'p99', 0.99, false),
  { name: 'delivered', aliases: [], label: 'delivered', kind: 'count', value: (p) => p.delivered, uncertainty: exact },
  { name: 'lost', aliases: [], label: 'lost', kind: 'count', value: (p) => p.lost, uncertainty: exact },
  {
    name: 'duplicated',
    aliases: ['dup', 'duplicates'],
    label: 'duplicated',
    kind: 'count',
    value: (p) => p.duplicated,
    uncertainty: exact,
  },
  { name: 'reordered', aliases: [], label: 'reordered', kind: 'count', value: (p) => p.reordered, uncertainty: exact },
  {
    name: 'wasted',
    aliases: ['wasted-pct', 'wasted%'],
    label: 'wasted requests %',
    kind: 'percent',
    value: (p) => p.wastedPct,
    uncertainty: (p, k) => percentageUncertainty(p.wasted, p.requests, k),
  },
  // Per delivered event: a run that delivered nothing has no per-event cost, not a cost of 0.
  {
    name: 'bytes-in',
    aliases: ['bytes-in-per-event'],
    label: 'bytes/event in',
    kind: 'bytes',
    value: (p) => (p.delivered ? p.bytes.inPerEvent : null),
    uncertainty: exact,
  },
  {
    name: 'bytes-out',
    aliases: ['bytes-out-per-event'],
    label: 'bytes/event out',
    kind: 'bytes',
    value: (p) => (p.delivered ? p.bytes.outPerEvent : null),
    uncertainty: exact,
  },
  {
    name: 'server-rss',
    aliases: ['server-mem', 'server-memory'],
    label: 'server RSS/conn',
    kind: 'bytes',
    value: (p) => p.server?.rssPerConnection ?? null,
    uncertainty: exact,
  },
  {
    name: 'client-rss',
    aliases: ['client-mem', 'client-memory'],
    label: 'client RSS/conn',
    kind: 'bytes',
    value: (p) => p.client?.rssPerClient ?? null,
    uncertainty: exact,
  },
  { name: 'errors', aliases: [], label: 'errors', kind: 'count', value: (p) => p.errors, uncertainty: exact },
  {
    name: 'reconnects',
    aliases: [],
    label: 'reconnects',
    kind: 'count',
    value: (p) => p.reconnects,
    uncertainty: exact,
  },
  // --heartbeat: a blackhole fault's firing → each client's detection, and heartbeats' cost per connection-hour.
  quantile('time to detect p99', 'detect-p99', ['time-to-detect-p99'], timeToDetect, 'p99', 0.99),
  {
    name: 'heartbeat-bytes',
    aliases: ['heartbeat-bytes-per-hour'],
    label: 'heartbeat B/conn/h',
    kind: 'bytes',
    value: (p) => p.heartbeat?.bytesPerConnectionHour ?? null,
    uncertainty: exact,
  },
  // Socket.IO: an acked publish's round trip (--upstream protocol), and the time polled before the upgrade.
  quantile('emit → ack p99', 'ack-p99', ['ack-round-trip-p99'], ackRoundTrip, 'p99', 0.99),
  quantile('polling before upgrade p99', 'upgrade-p99', ['upgrade-time-p99'], upgradeTime, 'p99', 0.99),
];

/** Looks a metric up by its name or an alias (case-insensitive). */
export function findMetric(name: string): MetricDef | undefined {
  const n = name.toLowerCase();
  return METRICS.find((m) => m.name === n || m.aliases.includes(n));
}
