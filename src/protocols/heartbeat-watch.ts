import { nowMicros } from '../clock.js';

/** What one watched client offers the watch: one call per interval, nothing per received byte. */
export interface WatchedClient {
  /**
   * The watch's periodic look at the client (`tick`: the watch's count of intervals so far): a
   * client whose transport heard nothing for 2 intervals gives it up. Returns whether a transport
   * was up (it counts toward the connection time heartbeat bytes are divided by).
   */
  checkHeartbeat(tick: number): boolean;
}

/** What one process's clients of one protocol saw of heartbeats. */
export interface HeartbeatStats {
  intervalMs: number;
  /** heartbeat bytes received (SSE comment lines, WebSocket ping frames), framing of HTTP and TLS left out */
  bytes: number;
  /** connection time the watch saw, ms: the sum over its checks of transports up × the interval */
  watchedMs: number;
  /** epoch µs of each heartbeat-timeout (the first MAX_TIMEOUTS kept) */
  timeoutsAtMicros: number[];
}

/** Detection times kept per process: beyond this a run's p99 is long settled. */
const MAX_TIMEOUTS = 100_000;

/**
 * Finds connections that died silently, for every client of one session with one timer. A client
 * records the watch's `tick` whenever its transport receives bytes (one assignment, no timer
 * reset per chunk); the watch counts intervals and asks each client once per interval, so a
 * transport is given up after 2 to 3 intervals without a byte. Counting ticks rather than reading
 * the clock means a worker whose event loop stalled (bytes waiting unread) condemns no one.
 */
export class HeartbeatWatch {
  /** intervals counted so far; a client stores it as the time it last heard bytes */
  tick = 0;
  /** heartbeat bytes the clients received (they add to it) */
  bytes = 0;
  private watchedMs = 0;
  private readonly clients: WatchedClient[] = [];
  private readonly timeoutsAtMicros: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `intervalMs` 0: no watch (clients still store the tick, which stays 0) */
  constructor(private readonly intervalMs: number) {}

  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  add(client: WatchedClient): void {
    if (!this.enabled) return;
    this.clients.push(client);
    this.timer ??= setInterval(this.check, this.intervalMs).unref();
  }

  /** A client gave its transport up for silence: the moment counts toward time to detect. */
  timedOut(): void {
    if (this.timeoutsAtMicros.length < MAX_TIMEOUTS) this.timeoutsAtMicros.push(nowMicros());
  }

  private readonly check = (): void => {
    const tick = ++this.tick;
    let up = 0;
    for (const c of this.clients) if (c.checkHeartbeat(tick)) up++;
    this.watchedMs += up * this.intervalMs;
  };

  /** Null without a watch or without a client to watch (pollers need no heartbeat). */
  stats(): HeartbeatStats | null {
    if (!this.enabled || !this.clients.length) return null;
    return {
      intervalMs: this.intervalMs,
      bytes: this.bytes,
      watchedMs: this.watchedMs,
      timeoutsAtMicros: [...this.timeoutsAtMicros],
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Ticks since a transport last heard bytes at which it is dead: 2 to 3 intervals of silence. */
export const SILENT_TICKS = 3;

/** The error kind of a transport given up for silence. */
export const HEARTBEAT_TIMEOUT = 'heartbeat-timeout';
