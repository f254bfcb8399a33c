import { mergeEncoded, newHistogram, summarize, type LatencySummary } from '../metrics/histogram.js';
import type { WorkerResult } from '../contracts/worker-messages.js';
import type { UpgradeResult } from './schema.js';

/** Durations in ms as a latency summary (µs, like every other); null when there are none. */
export function summarizeMs(ms: number[]): LatencySummary | null {
  if (!ms.length) return null;
  const h = newHistogram();
  for (const t of ms) h.recordValue(Math.max(1, Math.round(t * 1000)));
  return summarize(h);
}

/** Mean, median and 99th percentile of counts (exact: a phase has at most one sample per connection). */
function spreadOf(values: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return { mean, p50: at(50), p99: at(99) };
}

/** The phase's polling → WebSocket upgrades over all workers; null when no worker upgraded anything. */
export function assembleUpgrade(workers: WorkerResult[]): UpgradeResult | null {
  const all = workers.map((w) => w.upgrade).filter((u) => u !== undefined);
  const timesMs = all.flatMap((u) => u.timesMs);
  const time = summarizeMs(timesMs);
  if (!time) return null;
  return {
    upgrades: timesMs.length,
    time,
    requests: spreadOf(all.flatMap((u) => u.requests)),
    bytes: spreadOf(all.flatMap((u) => u.bytes)),
  };
}

/**
 * Upgrades of several runs (shards, --repeat): counts summed, times added bucket by bucket, the
 * requests' and bytes' means weighted by upgrades; their p50 and p99 the highest of any run (the
 * samples are not kept), so never better than what a run measured.
 */
export function mergeUpgrades(us: UpgradeResult[]): UpgradeResult | null {
  if (!us.length) return null;
  const upgrades = us.reduce((n, u) => n + u.upgrades, 0);
  const merged = (pick: (u: UpgradeResult) => UpgradeResult['bytes']) => ({
    mean: upgrades ? us.reduce((n, u) => n + pick(u).mean * u.upgrades, 0) / upgrades : 0,
    p50: Math.max(...us.map((u) => pick(u).p50)),
    p99: Math.max(...us.map((u) => pick(u).p99)),
  });
  return {
    upgrades,
    time: summarize(mergeEncoded(us.map((u) => u.time.hdr))),
    requests: merged((u) => u.requests),
    bytes: merged((u) => u.bytes),
  };
}

/** Emit → ack round trips of several runs, added bucket by bucket. */
export function mergeAckRoundTrips(as: LatencySummary[]): LatencySummary | null {
  return as.length ? summarize(mergeEncoded(as.map((a) => a.hdr))) : null;
}
