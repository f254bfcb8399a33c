import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

/**
 * Event-loop delay of this process: how late a 10 ms timer fires. Node's histogram records the
 * whole interval (≈10 ms on an idle loop), so the resolution is subtracted: 0 means on time.
 */
export class LoopDelayMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.h.enable();
  }

  private late(ns: number): number {
    return Math.max(0, ns / 1e6 - RESOLUTION_MS);
  }

  p99Ms(): number {
    return this.h.count ? this.late(this.h.percentile(99)) : 0;
  }

  maxMs(): number {
    return this.h.count ? this.late(this.h.max) : 0;
  }

  reset(): void {
    this.h.reset();
  }

  stop(): void {
    this.h.disable();
  }
}
