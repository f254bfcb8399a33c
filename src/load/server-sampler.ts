import { nowMicros } from '../clock.js';
import type { ServerSample } from '../contracts/server-metrics.js';
import type { ServerProbe } from './server-probe.js';

export type { ServerSample } from '../contracts/server-metrics.js';

/**
 * Reads the server's metrics once a second (no forced GC: that would disturb what it measures).
 * A reading that takes longer than a second is skipped rather than queued, so a struggling
 * server is not piled on.
 */
export class ServerSampler {
  readonly samples: ServerSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly probe: ServerProbe,
    private readonly phaseStartMicros: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.take(), 1000);
  }

  private async take(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const t = Math.floor((nowMicros() - this.phaseStartMicros) / 1_000_000);
    const metrics = await this.probe.sample(false).catch(() => null);
    this.busy = false;
    if (metrics && t >= 0) this.samples.push({ t, metrics });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
