import type { PhaseProgress } from '../load/phase.js';

/** A phase's progress in words: "sse: 80/100 connected, 1,234 events delivered, 0 errors, 7s left". */
export function describePhaseProgress(p: PhaseProgress): string {
  return (
    `${p.label}: ${p.connected}/${p.clients} connected, ${p.delivered.toLocaleString('en-US')} events ` +
    `delivered, ${p.errors} errors, ${p.secondsLeft.toFixed(0)}s left`
  );
}

/**
 * Whole-run progress for `rtbench run`: which phase of how many, and about how long the run has
 * left, prefixed to each phase's own progress line. Where no spinner can redraw (piped, CI) the
 * latest line is printed every `everyMs`, so a log is never silent for a whole phase.
 */
export class RunProgress {
  private readonly startedAt = Date.now();
  private phase = 0;
  private latest = '';
  private timer: NodeJS.Timeout | null = null;

  /** `phaseMs`: a phase's expected length (ramp + hold); each also spends a few seconds starting and settling. */
  constructor(
    private readonly phases: number,
    private readonly phaseMs: number,
    private readonly sink: { redraw?: (line: string) => void; print?: (line: string) => void },
    everyMs = 10_000,
  ) {
    if (sink.print) {
      this.timer = setInterval(() => this.latest && sink.print!(this.latest), everyMs);
      this.timer.unref();
    }
  }

  /** The current phase's progress, prefixed with the phase's place in the run and suffixed with the run's time left. */
  update(phase: PhaseProgress): void {
    this.latest =
      `[${Math.min(this.phase + 1, this.phases)}/${this.phases}] ${describePhaseProgress(phase)} · run ` +
      `~${this.secondsLeft()}s left`;
    this.sink.redraw?.(this.latest);
  }

  phaseDone(): void {
    this.phase++;
  }

  /** An estimate: phases not yet done at their planned length (+5 s each to start and settle), less the time spent. */
  secondsLeft(): number {
    const planned = this.phases * (this.phaseMs + 5000);
    return Math.max(0, Math.round((planned - (Date.now() - this.startedAt)) / 1000));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
