import { nowMicros } from '../clock.js';

/** How a slow client reads: it stops for `ms` when the hold starts, or reads at most a byte rate. */
export type SlowMode = { kind: 'stall'; ms: number } | { kind: 'rate'; bytesPerSecond: number };

/** How one slow client reads: the mode, and (for a stall) when the stall starts, epoch µs. */
export interface SlowReading {
  mode: SlowMode;
  stallAtMicros: number;
}

/**
 * Decides when a slow client may read. A stall closes the gate from `stallAtMicros` for its
 * duration; a rate limit is a token bucket (one second of burst) that closes the gate while the
 * client is over its budget. Drivers either wait for `whenOpen()` before each read (streams they
 * pull from) or `bind()` pause/resume to a socket (streams that push).
 */
export class ReadThrottle {
  private open = true;
  private waiters: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private rateTimer: NodeJS.Timeout | null = null;
  private tokens: number;
  private refilledAt = performance.now();
  private pauseFn: (() => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly slow: SlowReading) {
    this.tokens = slow.mode.kind === 'rate' ? slow.mode.bytesPerSecond : 0;
    if (slow.mode.kind === 'stall') {
      const startIn = Math.max(0, (slow.stallAtMicros - nowMicros()) / 1000);
      const endIn = startIn + slow.mode.ms - Math.max(0, (nowMicros() - slow.stallAtMicros) / 1000);
      if (endIn > 0) {
        this.timers.push(setTimeout(() => this.close(), startIn));
        this.timers.push(setTimeout(() => this.reopen(), endIn));
      }
    }
  }

  /** Pause/resume a push-style transport (e.g. a WebSocket) as the gate closes and opens. */
  bind(pause: () => void, resume: () => void): void {
    this.pauseFn = pause;
    this.resumeFn = resume;
    if (!this.open) pause();
  }

  /** Whether the client may read now (false while a stall or the rate limit holds it). */
  get reading(): boolean {
    return this.open;
  }

  /** Resolves at once while reading is allowed, else when it is allowed again. */
  whenOpen(): Promise<void> | null {
    if (this.open || this.stopped) return null;
    return new Promise((r) => this.waiters.push(r));
  }

  /** Accounts bytes just read; over a rate budget, closes the gate until the budget refills. */
  consumed(bytes: number): void {
    if (this.slow.mode.kind !== 'rate' || this.stopped) return;
    const rate = this.slow.mode.bytesPerSecond;
    const now = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    this.tokens -= bytes;
    if (this.tokens < 0 && this.open) {
      this.close();
      if (this.rateTimer) clearTimeout(this.rateTimer);
      this.rateTimer = setTimeout(() => this.reopen(), (-this.tokens / rate) * 1000);
    }
  }

  private close(): void {
    if (!this.open || this.stopped) return;
    this.open = false;
    this.pauseFn?.();
  }

  private reopen(): void {
    if (this.open) return;
    this.open = true;
    this.resumeFn?.();
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** The client closed: release anyone waiting and forget the timers. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.timers = [];
    this.reopen();
  }
}

/** A throttle for a slow client, or null for a healthy one. */
export function throttleFor(slow: SlowReading | undefined): ReadThrottle | null {
  return slow ? new ReadThrottle(slow) : null;
}
