import { Redis } from 'ioredis';
import { UsageError } from '../errors.js';

/**
 * Fan-out between server instances through Redis pub/sub. Ids are global: one Lua script takes
 * the next id (INCR) and publishes the event with it, atomically, so every instance sees the same
 * ids in the same order and a client can resume on any instance.
 */
const PUBLISH_SCRIPT = `
local id = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
return id`;

export interface RedisBusOptions {
  url: string;
  /** key prefix, so several runs can share one Redis */
  prefix?: string;
}

export class RedisBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly seqKey: string;
  private readonly channel: string;
  private listener: ((id: number, json: string, room: string) => void) | null = null;
  /** Redis round trips of this instance's own publishes (publish sent → message back), ms */
  readonly roundTrips: number[] = [];
  /** this instance's publishes in flight, by body: publish sent → its message back from Redis */
  private readonly pending = new Map<string, number>();

  private constructor(options: RedisBusOptions) {
    const prefix = options.prefix ?? 'rtbench';
    this.seqKey = `${prefix}:seq`;
    this.channel = `${prefix}:events`;
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: false,
      retryStrategy: (n: number) => Math.min(n * 200, 2000),
    };
    this.pub = new Redis(options.url, common);
    this.sub = new Redis(options.url, common);
    // Connection errors surface through connect() and the fleet's health; no stray logs.
    this.pub.on('error', () => {});
    this.sub.on('error', () => {});
  }

  /** Connects both connections; a Redis that cannot be reached is a one-line UsageError. */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(options);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
    } catch (e) {
      bus.pub.disconnect();
      bus.sub.disconnect();
      throw new UsageError(
        `cannot reach Redis at ${options.url} (${(e as Error).message})`,
        'start redis-server or fix --redis redis://host:port',
      );
    }
    await bus.sub.subscribe(bus.channel);
    bus.sub.on('message', (_channel: string, message: string) => {
      // "<id> <room> <json>": room names never contain a space ('' gives two spaces)
      const first = message.indexOf(' ');
      const second = message.indexOf(' ', first + 1);
      const id = Number(message.slice(0, first));
      const room = message.slice(first + 1, second);
      const json = message.slice(second + 1);
      const sentAt = bus.pending.get(json);
      if (sentAt !== undefined) {
        bus.pending.delete(json);
        bus.roundTrips.push(performance.now() - sentAt);
        if (bus.roundTrips.length > 100_000) bus.roundTrips.splice(0, 50_000);
      }
      bus.listener?.(id, json, room);
    });
    return bus;
  }

  /** Publishes to every instance (this one included, through Redis); resolves with the global id. */
  async publish(json: string, room = ''): Promise<number> {
    if (this.pending.size > 10_000) this.pending.clear(); // messages that never came back
    this.pending.set(json, performance.now());
    return Number(await this.pub.eval(PUBLISH_SCRIPT, 2, this.seqKey, this.channel, room, json));
  }

  onEvent(listener: (id: number, json: string, room: string) => void): void {
    this.listener = listener;
  }

  /** Redis round trips of this instance's own publishes: count, p50 and p99 in ms. */
  roundTripStats(): { count: number; p50Ms: number; p99Ms: number } {
    const sorted = [...this.roundTrips].sort((a, b) => a - b);
    const at = (p: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
    return { count: sorted.length, p50Ms: Math.round(at(50) * 1000) / 1000, p99Ms: Math.round(at(99) * 1000) / 1000 };
  }

  /** The newest global id, for instances that start later. */
  async lastId(): Promise<number> {
    return Number((await this.pub.get(this.seqKey)) ?? 0);
  }

  async close(): Promise<void> {
    this.listener = null;
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}
