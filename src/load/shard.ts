import { createHash } from 'node:crypto';

export type { Shard } from '../scenario/shard-options.js';
import type { Shard } from '../scenario/shard-options.js';

/** This shard's clients: a contiguous block of the global indices, sizes differ by at most one. */
export function shardRange(total: number, shard: Shard | null): { first: number; count: number } {
  if (!shard) return { first: 0, count: total };
  const first = Math.floor((total * shard.index) / shard.count);
  const next = Math.floor((total * (shard.index + 1)) / shard.count);
  return { first, count: next - first };
}

/** Time reserved per protocol when shards run on a shared schedule: setup, ramp, hold, settle. */
export function phaseSlotMs(rampMs: number, durationMs: number, pollIntervalMs: number): number {
  return 10_000 + rampMs + durationMs + pollIntervalMs + 5_000;
}

/** The same tag in every shard for the same run and protocol, so all shards count the same events. */
export function sharedTag(runId: string, protocol: string): string {
  return createHash('sha256')
    .update(`${runId}:${protocol}`)
    .digest('base64url')
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 8);
}

/**
 * The last seq a shard that does not publish can expect: events intended before the hold ended,
 * minus a margin of 100 ms for the publisher's own lag at the very end.
 */
export function scheduledLastSeq(startMicros: number, rate: number, holdEndMicros: number): number {
  const span = holdEndMicros - 100_000 - startMicros;
  return span < 0 ? 0 : Math.floor((span / 1_000_000) * rate) + 1;
}
