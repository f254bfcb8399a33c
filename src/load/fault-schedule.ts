import { nowMicros } from '../clock.js';
import { describeFault, type Fault } from '../scenario/stress.js';
import type { BundledServer } from './bundled-server.js';
import type { FaultRecord } from '../results/schema.js';

/** Fires the plan's faults at their times since the phase started, against the bundled server. */
export class FaultSchedule {
  readonly records: FaultRecord[] = [];
  /** true while a restart this schedule fired is under way: the server is down on purpose */
  restarting = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly faults: Fault[],
    private readonly server: BundledServer,
    private readonly phaseStartMicros: number,
  ) {}

  start(): void {
    for (const f of this.faults) {
      const delay = Math.max(0, f.atMs - (nowMicros() - this.phaseStartMicros) / 1000);
      this.timers.push(
        setTimeout(() => {
          const p = this.fire(f).finally(() => this.running.delete(p));
          this.running.add(p);
        }, delay),
      );
    }
  }

  private sinceStart(): number {
    return (nowMicros() - this.phaseStartMicros) / 1000;
  }

  private async fire(f: Fault): Promise<void> {
    const firedAtMs = this.sinceStart();
    const record: FaultRecord = { fault: describeFault(f), atMs: f.atMs, firedAtMs, dropped: null, downMs: null };
    if (f.kind === 'drop-connections') record.dropped = await this.server.dropConnections(f.fraction);
    else if (f.kind === 'blackhole') record.dropped = await this.server.dropConnections(f.fraction, 'blackhole');
    else if (f.kind === 'kill-instance') {
      if (!this.server.killInstance) throw new Error('kill-instance needs a fleet');
      await this.server.killInstance();
    } else {
      this.restarting = true;
      try {
        await this.server.restart();
      } finally {
        this.restarting = false;
      }
      record.downMs = this.sinceStart() - firedAtMs;
    }
    this.records.push(record);
  }

  /** Cancels faults not yet due and waits for one in progress (a restart must finish). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.running]);
  }
}
