import type { GeneratorHealth } from './schema.js';

/** A generator loop delay below this never makes a run "saturated": timer and GC jitter. */
export const SATURATION_FLOOR_MS = 10;
/** Saturated when the generator's own p99 delay is at least this share of the p99 latency it reports. */
export const SATURATION_SHARE = 0.25;

/**
 * Whether the load generator (client workers or publisher) was too busy to trust the latency it
 * measured: its event-loop delay p99 is both large in itself and large against the reported p99.
 */
export function generatorHealth(o: {
  workerLoopDelayP99Ms: number[];
  workerLoopDelayMaxMs: number[];
  publisherLoopDelayP99Ms: number;
  publisherLoopDelayMaxMs: number;
  latencyP99Micros: number;
}): GeneratorHealth {
  const worker = Math.max(0, ...o.workerLoopDelayP99Ms);
  const latencyMs = o.latencyP99Micros / 1000;
  const busy = (ms: number) => ms >= SATURATION_FLOOR_MS && (latencyMs === 0 || ms >= latencyMs * SATURATION_SHARE);
  const saturated = busy(worker) || busy(o.publisherLoopDelayP99Ms);
  return {
    workerLoopDelayP99Ms: round(worker),
    workerLoopDelayMaxMs: round(Math.max(0, ...o.workerLoopDelayMaxMs)),
    publisherLoopDelayP99Ms: round(o.publisherLoopDelayP99Ms),
    publisherLoopDelayMaxMs: round(o.publisherLoopDelayMaxMs),
    saturated,
    rule:
      `saturated when a client worker's or the publisher's event-loop delay p99 is ≥ ` +
      `${SATURATION_FLOOR_MS} ms and ≥ ${SATURATION_SHARE * 100}% of the reported latency p99`,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
