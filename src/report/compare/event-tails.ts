import type { ProtocolResult } from '../../results/schema.js';
import type { TimelinePoint } from '../../contracts/recorder-snapshot.js';
import { normalTail, rankTestGreater } from './rank-test.js';

/**
 * A tail percentile resting on fewer events than it needs (p99 of 10 events is about the slowest
 * event) moves between identical runs by more than order statistics can bound: one event the
 * scheduler delayed sets it. What a real slowdown does instead is move most events. So such a
 * change is also put to rank tests over the runs' seconds (one or a few events each at usual
 * rates): each second's worst delivery (did the tail move?) and, where both runs recorded it, its
 * fastest (did every delivery move? the fastest client is the one a busy machine's spikes miss).
 * The change counts only when one of them is significant; each test gets half of the allowed
 * false-alarm rate when both run (Bonferroni), so together they keep it.
 */
export interface TailShift {
  /** one-sided p-value of each test in the change's direction */
  tests: Array<{ of: 'worst' | 'fastest'; pValue: number }>;
  /** the largest p-value that counts, per test: the one-sided normal tail at k standard deviations, shared */
  alpha: number;
  /** seconds with deliveries in the baseline and in the current run */
  seconds: [number, number];
  significant: boolean;
}

const withDeliveries = (p: ProtocolResult) => (p.timeline ?? []).filter((s) => s.count > 0);

/** The worst delivery latency of each second of the phase that had deliveries, µs. */
export function secondTails(p: ProtocolResult): number[] {
  return withDeliveries(p).map((s) => s.maxMicros);
}

/** The fastest delivery of each such second, µs; null when the results predate per-second minima. */
export function secondFloors(p: ProtocolResult): number[] | null {
  const seconds = withDeliveries(p);
  return seconds.every((s): s is TimelinePoint & { minMicros: number } => s.minMicros !== undefined)
    ? seconds.map((s) => s.minMicros)
    : null;
}

/** The rank tests of a change (`increase`: current above baseline); null with fewer than 2 seconds a side. */
export function tailShift(b: ProtocolResult, c: ProtocolResult, increase: boolean, k: number): TailShift | null {
  const seconds: [number, number] = [withDeliveries(b).length, withDeliveries(c).length];
  if (Math.min(...seconds) < 2) return null;
  const test = (before: number[], after: number[]) =>
    increase ? rankTestGreater(after, before) : rankTestGreater(before, after);
  const tests: TailShift['tests'] = [{ of: 'worst', pValue: test(secondTails(b), secondTails(c)) }];
  const floors = [secondFloors(b), secondFloors(c)];
  if (floors[0] && floors[1]) tests.push({ of: 'fastest', pValue: test(floors[0], floors[1]) });
  const alpha = normalTail(k) / tests.length;
  return { tests, alpha, seconds, significant: tests.some((t) => t.pValue <= alpha) };
}
