/** Reconnect delays: exponential back-off with full jitter (AWS architecture blog's "full jitter"). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2 };

/** The back-off a driver's options ask for, else the default. */
export function backoffFrom(range: { initialMs: number; maxMs: number } | undefined): Backoff {
  return new Backoff(range ? { ...DEFAULT_BACKOFF, ...range } : DEFAULT_BACKOFF);
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The next delay: random in [0, min(max, initial × factor^attempt)]. */
  next(): number {
    // The attempt is capped so the power never overflows on a client that retries for hours.
    const cap = Math.min(this.options.maxMs, this.options.initialMs * Math.pow(this.options.factor, Math.min(this.attempt++, 30)));
    return Math.random() * cap;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
