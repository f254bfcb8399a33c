import { newHistogram, summarize } from '../metrics/histogram.js';
import type { WorkerResult } from '../contracts/worker-messages.js';
import type { FaultRecord, HeartbeatResult } from './schema.js';

const HOUR_MS = 3_600_000;

/**
 * What heartbeats cost the phase's clients and, after a blackhole fault, how fast they found their
 * silenced connections; null when no worker watched for heartbeats (none asked, or a poller).
 * `missed`/`recovered`/`lost` are the phase's (as in recovery): events due while connections were
 * away, and how many of them resume brought back.
 */
export function assembleHeartbeat(
  workers: WorkerResult[],
  faults: FaultRecord[],
  delivery: { recovered: number; lost: number },
): HeartbeatResult | null {
  const beats = workers.map((w) => w.heartbeat).filter((h) => h !== undefined);
  if (!beats.length) return null;
  const bytes = beats.reduce((n, h) => n + h.bytes, 0);
  const watchedMs = beats.reduce((n, h) => n + h.watchedMs, 0);
  const timeouts = beats.flatMap((h) => h.timeoutsAtMs);
  const out: HeartbeatResult = {
    intervalMs: beats[0].intervalMs,
    bytes,
    connectionSeconds: watchedMs / 1000,
    bytesPerConnectionHour: perConnectionHour(bytes, watchedMs),
    timeouts: timeouts.length,
  };
  const fault = faults.find((f) => f.fault.startsWith('blackhole'));
  if (fault) {
    // Detections from the firing on, until the next fault of any kind muddles whose silence it was.
    const until = Math.min(...faults.filter((f) => f.firedAtMs > fault.firedAtMs).map((f) => f.firedAtMs), Infinity);
    const delays = newHistogram();
    let detected = 0;
    for (const t of timeouts)
      if (t >= fault.firedAtMs && t < until) {
        detected++;
        delays.recordValue(Math.max(1, Math.round((t - fault.firedAtMs) * 1000)));
      }
    out.blackhole = {
      fault: fault.fault,
      firedAtMs: fault.firedAtMs,
      silenced: fault.dropped,
      detected,
      timeToDetect: summarize(delays),
      missed: delivery.recovered + delivery.lost,
      recovered: delivery.recovered,
      lostForGood: delivery.lost,
    };
  }
  return out;
}

/** Heartbeat bytes per connection-hour: measured over `watchedMs` of connection time, scaled to an hour. */
export function perConnectionHour(bytes: number, watchedMs: number): number {
  return watchedMs > 0 ? (bytes / watchedMs) * HOUR_MS : 0;
}
