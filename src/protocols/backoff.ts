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

/**
 * The delay before retry number `attempt` (0-based): random in [0, min(max, initial × factor^attempt)].
 * The attempt is capped so the power never overflows on a client that retries for hours.
 */
export function fullJitterDelay(
  attempt: number,
  o: { initialMs: number; maxMs: number; factor?: number } = DEFAULT_BACKOFF,
): number {
  return Math.random() * Math.min(o.maxMs, o.initialMs * Math.pow(o.factor ?? 2, Math.min(attempt, 30)));
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The next delay (see fullJitterDelay). */
  next(): number {
    return fullJitterDelay(this.attempt++, this.options);
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
