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

/** Each second of a phase that had deliveries: its worst latency and, where recorded, its fastest (µs). */
export function secondsOf(p: ProtocolResult): { worst: number[]; fastest: number[] | null } {
  const seconds = (p.timeline ?? []).filter((s) => s.count > 0);
  const fastest = seconds.every((s): s is TimelinePoint & { minMicros: number } => s.minMicros !== undefined)
    ? seconds.map((s) => s.minMicros)
    : null; // results from before per-second minima
  return { worst: seconds.map((s) => s.maxMicros), fastest };
}

/** The rank tests of a change (`increase`: current above baseline); null with fewer than 2 seconds a side. */
export function tailShift(b: ProtocolResult, c: ProtocolResult, increase: boolean, k: number): TailShift | null {
  const before = secondsOf(b);
  const after = secondsOf(c);
  const seconds: [number, number] = [before.worst.length, after.worst.length];
  if (Math.min(...seconds) < 2) return null;
  const test = (x: number[], y: number[]) => (increase ? rankTestGreater(y, x) : rankTestGreater(x, y));
  const tests: TailShift['tests'] = [{ of: 'worst', pValue: test(before.worst, after.worst) }];
  if (before.fastest && after.fastest) tests.push({ of: 'fastest', pValue: test(before.fastest, after.fastest) });
  const alpha = normalTail(k) / tests.length;
  return { tests, alpha, seconds, significant: tests.some((t) => t.pValue <= alpha) };
}
