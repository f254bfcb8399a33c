import { markerPrefix } from '../events/marker.js';
import { fullJitterDelay } from './backoff.js';
import { instanceFor } from './instances.js';
import { throttleFor, type ReadThrottle, type SlowReading } from './read-throttle.js';
import { roomOf, withRoom } from './rooms.js';
import type { ClientEvents, DriverOptions, DriverSession, ProtocolClient } from './types.js';
import { WireCounter } from './wire.js';
import {
  HEARTBEAT_TIMEOUT,
  HeartbeatWatch,
  SILENT_TICKS,
  type HeartbeatStats,
  type WatchedClient,
} from './heartbeat-watch.js';

/** Everything one simulated client is built from (one object instead of positional arguments). */
export interface ClientSpec {
  /** global index of the client in the phase (rooms, fleet instance and source address follow from it) */
  index: number;
  options: DriverOptions;
  events: ClientEvents;
  /** present when this client reads slowly */
  slow?: SlowReading;
  /** the source address to bind, when the session spreads clients over several */
  localAddress?: string;
  /** what every client of the session shares: byte counter, marker bytes */
  shared: SessionShared;
}

/** Per-session state the clients of one protocol share in one process. */
export interface SessionShared {
  wire: WireCounter;
  /** the marker bytes of this run's events (`~rtb:<tag>:`) */
  prefix: Buffer;
  /** finds silently dead transports (--heartbeat); its `tick` is what clients store when bytes arrive */
  watch: HeartbeatWatch;
}

/**
 * The lifecycle every push client shares (after undici's dispatcher-base: the base checks the
 * closed state and calls one hook). A subclass implements `open()` (start one transport attempt)
 * and `teardown()` (drop the current transport at once) and calls `up()` when the transport
 * works and `down(kind)` when it failed; the base owns the closed state, the retry timer,
 * exponential back-off with full jitter, the hop to the next fleet instance, and settling
 * `start()`. No closures per client: the retry timer calls one bound method.
 */
export abstract class ReconnectingClient implements ProtocolClient, WatchedClient {
  protected closed = false;
  /**
   * The heartbeat watch's tick when the transport last received bytes, -1 while none is up. A
   * subclass stores `spec.shared.watch.tick` here as bytes arrive: one assignment per read.
   */
  protected heardAt = -1;
  /** reconnections so far: a fleet client moves one instance on with each */
  protected hop = 0;
  private opens = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private resolveStart: (() => void) | null = null;
  protected readonly throttle: ReadThrottle | null;

  constructor(protected readonly spec: ClientSpec) {
    this.throttle = throttleFor(spec.slow);
    spec.shared.watch.add(this);
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.resolveStart = resolve;
      this.spec.events.attempt();
      this.open();
    });
  }

  /** Starts one transport attempt. */
  protected abstract open(): void;
  /** Drops the current transport at once, reporting nothing. */
  protected abstract teardown(): void;

  /** The transport is up: counts a reconnection after the first open and resets the back-off. */
  protected up(): void {
    if (this.opens++ > 0) this.spec.events.reconnect();
    this.attempt = 0;
    this.heardAt = this.spec.shared.watch.tick;
    this.spec.events.connected();
    this.settleStart();
  }

  /** The transport went down (`kind`: why, or null for a clean end); tries again after a back-off. */
  protected down(kind: string | null): void {
    if (this.closed) return;
    this.heardAt = -1;
    this.teardown();
    if (kind) this.spec.events.error(kind);
    this.spec.events.disconnected();
    this.settleStart();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(this.retry, this.nextDelay());
  }

  /** @internal WatchedClient: gives the transport up after SILENT_TICKS intervals without a byte. */
  checkHeartbeat(tick: number): boolean {
    if (this.heardAt < 0 || this.closed) return false;
    // A slow client that stopped reading on purpose hears nothing by choice, not because the line is dead.
    if (this.throttle && !this.throttle.reading) this.heardAt = tick;
    else if (tick - this.heardAt >= SILENT_TICKS) {
      this.spec.shared.watch.timedOut();
      this.down(HEARTBEAT_TIMEOUT);
    }
    return true;
  }

  private readonly retry = (): void => {
    this.retryTimer = null;
    if (this.closed) return;
    this.hop++; // in a fleet: try the next instance
    this.open();
  };

  /** Back-off: random in [0, min(max, initial × 2^attempt)] (full jitter). */
  private nextDelay(): number {
    return fullJitterDelay(this.attempt++, this.spec.options.backoff);
  }

  private settleStart(): void {
    this.resolveStart?.();
    this.resolveStart = null;
  }

  /** The base URL this attempt goes to (a fleet instance, or the target). */
  protected baseUrl(): string {
    return instanceFor(this.spec.options.target, this.spec.index, this.hop);
  }

  /** A subscription path with this client's room filled in. */
  protected roomPath(path: string): string {
    return withRoom(path, roomOf(this.spec.index, this.spec.options.rooms));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.heardAt = -1;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.throttle?.stop();
    this.teardown();
    this.settleStart();
  }
}

/**
 * The one driver session: builds each client from a ClientSpec, spreads clients over the source
 * addresses, counts bytes at every socket, and closes every client at the end.
 */
export class ClientSession implements DriverSession {
  readonly shared: SessionShared;
  private readonly clients: ProtocolClient[] = [];

  constructor(
    private readonly options: DriverOptions,
    private readonly build: (spec: ClientSpec) => ProtocolClient,
    private readonly onClose?: () => Promise<void>,
  ) {
    this.shared = {
      wire: new WireCounter(),
      prefix: markerPrefix(options.tag),
      watch: new HeartbeatWatch(options.heartbeatMs ?? 0),
    };
  }

  createClient(index: number, events: ClientEvents, slow?: SlowReading): ProtocolClient {
    const addrs = this.options.sourceAddresses;
    const localAddress = addrs.length ? addrs[index % addrs.length] : undefined;
    const client = this.build({ index, options: this.options, events, slow, localAddress, shared: this.shared });
    this.clients.push(client);
    return client;
  }

  wireBytes(): { in: number; out: number } {
    return this.shared.wire.totals();
  }

  heartbeat(): HeartbeatStats | null {
    return this.shared.watch.stats();
  }

  async close(): Promise<void> {
    this.shared.watch.stop();
    this.shared.wire.resetAll();
    await Promise.all(this.clients.map((c) => c.close()));
    await this.onClose?.();
  }
}
