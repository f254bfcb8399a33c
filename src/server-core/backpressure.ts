/**
 * What the reference server does when a client reads slower than events arrive:
 * - buffer: keep writing; the socket's buffer grows without bound (what many servers do by default);
 * - drop-oldest: once a client has `highWaterBytes` waiting, queue at most that much more and drop
 *   the oldest queued events to make room (the client sees a gap);
 * - disconnect: close a client once it has more than `highWaterBytes` waiting (it may reconnect
 *   and resume from its last id).
 */
export const BACKPRESSURE_POLICIES = ['buffer', 'drop-oldest', 'disconnect'] as const;
export type BackpressurePolicy = (typeof BACKPRESSURE_POLICIES)[number];

/** One push connection as the outbox sees it: an SSE response or a WebSocket. */
export interface PushSink {
  /** bytes written but not yet taken by the kernel (socket and protocol layer) */
  buffered(): number;
  write(chunk: Buffer): void;
  /** writes the protocol's heartbeat (an SSE comment, a WebSocket ping) */
  heartbeat(): void;
  /** calls `cb` once, the next time the sink's buffer drained */
  onceDrained(cb: () => void): void;
  /** closes the connection at once */
  kill(): void;
}

/** Counters the policies feed; the /metrics route reports them. */
export interface BackpressureCounters {
  droppedEvents: number;
  disconnectedByPolicy: number;
}

/** The per-client gate every pushed event passes through. */
export class Outbox {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private waiting = false;
  private dead = false;

  constructor(
    private readonly sink: PushSink,
    private readonly policy: BackpressurePolicy,
    private readonly highWaterBytes: number,
    private readonly counters: BackpressureCounters,
  ) {}

  /** Bytes held in this outbox's own queue (drop-oldest only), on top of the sink's buffer. */
  get queuedBytes(): number {
    return this.queued;
  }

  push(chunk: Buffer): void {
    if (this.dead) return;
    if (this.policy === 'buffer' || (!this.queue.length && this.sink.buffered() < this.highWaterBytes))
      return this.sink.write(chunk);
    if (this.policy === 'disconnect') {
      this.dead = true;
      this.counters.disconnectedByPolicy++;
      this.sink.kill();
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    // Keep the newest event even if it alone is over the bound: a client must be able to progress.
    while (this.queued > this.highWaterBytes && this.queue.length > 1) {
      this.queued -= this.queue.shift()!.length;
      this.counters.droppedEvents++;
    }
    if (!this.waiting) {
      this.waiting = true;
      this.sink.onceDrained(this.flush);
    }
  }

  /**
   * A heartbeat takes the events' gate: it goes out only when nothing waits (a client with a
   * backlog is receiving bytes anyway), and is never queued, dropped or counted.
   */
  heartbeat(): void {
    if (this.dead || this.queue.length || this.sink.buffered() >= this.highWaterBytes) return;
    this.sink.heartbeat();
  }

  private readonly flush = (): void => {
    this.waiting = false;
    if (this.dead) return;
    while (this.queue.length && this.sink.buffered() < this.highWaterBytes) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      this.sink.write(chunk);
    }
    if (this.queue.length) {
      this.waiting = true;
      this.sink.onceDrained(this.flush);
    }
  };

  /** Forgets queued events (the connection closed). */
  close(): void {
    this.dead = true;
    this.queue.length = 0;
    this.queued = 0;
  }
}
