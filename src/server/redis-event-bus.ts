import type { EventBus } from '../server-core/event-bus.js';
import type { EventLog, LogEntry } from '../server-core/event-log.js';
import type { RedisBus } from './redis-bus.js';

/**
 * The EventBus of one fleet instance: every publish goes through Redis (even to this instance),
 * and every instance appends what Redis delivers with the global id, so cursors work on any
 * instance. A publish resolves once this instance's own log holds the event.
 */
export class RedisEventBus implements EventBus {
  private readonly waiting = new Map<number, (e: LogEntry) => void>();
  private readonly recent = new Map<number, LogEntry>();

  constructor(
    private readonly redis: RedisBus,
    private readonly log: EventLog,
  ) {
    redis.onEvent((id, json, room) => {
      const entry = log.appendWithId(id, json, room);
      if (!entry) return;
      const resolve = this.waiting.get(id);
      if (resolve) {
        this.waiting.delete(id);
        resolve(entry);
      } else {
        // Redis may deliver before the publish call returns its id: keep the entry briefly.
        this.recent.set(id, entry);
        if (this.recent.size > 1000) this.recent.delete(this.recent.keys().next().value!);
      }
    });
  }

  async publish(json: string, room: string): Promise<LogEntry> {
    const id = await this.redis.publish(json, room);
    const ready = this.recent.get(id);
    if (ready) {
      this.recent.delete(id);
      return ready;
    }
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** For /metrics: how long this instance's publishes took to come back from Redis. */
  stats(): Record<string, number> {
    const s = this.redis.roundTripStats();
    return { redisRoundTrips: s.count, redisRoundTripP50Ms: s.p50Ms, redisRoundTripP99Ms: s.p99Ms };
  }

  close(): void {
    void this.redis.close();
  }
}
