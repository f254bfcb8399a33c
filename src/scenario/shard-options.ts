import { UsageError } from '../errors.js';

/** The options of a sharded run, parsed (the shard arithmetic itself is in load/shard.ts). */
export interface Shard {
  index: number;
  count: number;
}

/** "I/N" → shard I of N (0-based), as an Indexed Job's JOB_COMPLETION_INDEX gives it. */
export function parseShard(text: string): Shard {
  const m = String(text)
    .trim()
    .match(/^(\d+)\s*\/\s*(\d+)$/);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count)
    throw new UsageError(`malformed shard "${text}"`, 'use I/N with 0 ≤ I < N, e.g. --shard 0/4');
  return { index, count };
}

/** A wall-clock start shared by every shard: ISO time, or epoch seconds / milliseconds. */
export function parseStartAt(text: string): number {
  const s = String(text).trim();
  if (/^\d{9,11}$/.test(s)) return Number(s) * 1000;
  if (/^\d{12,14}$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (!Number.isFinite(t))
    throw new UsageError(
      `malformed start time "${text}"`,
      'use epoch seconds or an ISO time, e.g. --start-at $(( $(date +%s) + 60 ))',
    );
  return t;
}
