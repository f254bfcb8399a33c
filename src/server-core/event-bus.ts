import type { EventLog, LogEntry } from './event-log.js';

/**
 * How a published event reaches every server process. Each process keeps its own event log; the
 * bus delivers every event to every log in one order, so ids (and resume cursors) agree across
 * processes. Local: one process. IPC: a cluster on one machine. A multi-machine bus (e.g. Redis
 * pub/sub) fits the same interface.
 */
export interface EventBus {
  /**
   * Hands one event (JSON text, for `room`; '' = none) to every process; resolves with this process's entry
   * once it has it.
   */
  publish(json: string, room: string): Promise<LogEntry>;
  /** figures for /metrics (e.g. Redis round trips), if the bus has any */
  stats?(): Record<string, number>;
  close(): void;
}

/** One process: publishing is appending. */
export class LocalEventBus implements EventBus {
  constructor(private readonly log: EventLog) {}

  publish(json: string, room: string): Promise<LogEntry> {
    return Promise.resolve(this.log.append(json, room));
  }

  close(): void {}
}
