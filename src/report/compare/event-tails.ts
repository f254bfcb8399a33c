import type { ProtocolResult } from '../../results/schema.js';
import { normalTail, rankTestGreater } from './rank-test.js';

/**
 * A tail percentile resting on fewer events than it needs (p99 of 10 events is about the slowest
 * event) moves between identical runs by more than order statistics can bound: one event the
 * scheduler delayed sets it. What a real slowdown does instead is move most events. So such a
 * change is also put to a rank test over each run's per-second worst latencies (one or a few events
 * each at usual rates): it counts as a change only when they are significantly higher (or lower).
 */
export interface TailShift {
  /** one-sided p-value of the rank test in the change's direction */
  pValue: number;
  /** the largest p-value that counts: the one-sided normal tail at k standard deviations */
  alpha: number;
  /** seconds with deliveries in the baseline and in the current run */
  seconds: [number, number];
  significant: boolean;
}

/** The worst delivery latency of each second of the phase that had deliveries, µs. */
export function secondTails(p: ProtocolResult): number[] {
  return (p.timeline ?? []).filter((s) => s.count > 0).map((s) => s.maxMicros);
}

/** The rank test of a change (`increase`: current above baseline); null with fewer than 2 seconds a side. */
export function tailShift(b: ProtocolResult, c: ProtocolResult, increase: boolean, k: number): TailShift | null {
  const before = secondTails(b);
  const after = secondTails(c);
  if (before.length < 2 || after.length < 2) return null;
  const pValue = increase ? rankTestGreater(after, before) : rankTestGreater(before, after);
  const alpha = normalTail(k);
  return { pValue, alpha, seconds: [before.length, after.length], significant: pValue <= alpha };
}
