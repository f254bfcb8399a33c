import type { Worker } from 'node:cluster';
import type { EventLog, LogEntry } from '../server-core/event-log.js';
import type { EventBus } from '../server-core/event-bus.js';

/** IPC message types of the event bus (a worker's publish, the primary's relay). */
export const BUS_PUBLISH = 'bus:publish';
export const BUS_EVENT = 'bus:event';

interface BusPublish {
  type: typeof BUS_PUBLISH;
  json: string;
  room: string;
  nonce: number;
}
interface BusEvent {
  type: typeof BUS_EVENT;
  json: string;
  room: string;
  origin: number;
  nonce: number;
}

type Channel = Pick<NodeJS.Process, 'on' | 'off'> & { send?: NodeJS.Process['send'] };

/**
 * Worker side of the cluster bus: a publish goes to the primary, which relays it to every worker
 * (this one included) in the order it received them. The publisher's answer waits until this
 * worker's own log has the event, so an acknowledged event is already being fanned out here.
 */
export class IpcEventBus implements EventBus {
  private nonce = 0;
  private readonly pending = new Map<number, (e: LogEntry) => void>();

  constructor(
    private readonly log: EventLog,
    private readonly self: number,
    private readonly channel: Channel = process,
  ) {
    channel.on('message', this.onMessage);
  }

  publish(json: string, room: string): Promise<LogEntry> {
    const nonce = ++this.nonce;
    return new Promise((resolve) => {
      this.pending.set(nonce, resolve);
      this.channel.send?.({ type: BUS_PUBLISH, json, room, nonce } satisfies BusPublish);
    });
  }

  private readonly onMessage = (m: unknown): void => {
    const ev = m as BusEvent;
    if (!ev || ev.type !== BUS_EVENT) return;
    const entry = this.log.append(ev.json, ev.room);
    if (ev.origin !== this.self) return;
    const resolve = this.pending.get(ev.nonce);
    this.pending.delete(ev.nonce);
    resolve?.(entry);
  };

  close(): void {
    this.channel.off('message', this.onMessage);
  }
}

/** Primary side: relays one worker's publish to every live worker, in arrival order. */
export function relayPublish(from: Worker, m: unknown, workers: Iterable<Worker>): boolean {
  const p = m as BusPublish;
  if (!p || p.type !== BUS_PUBLISH) return false;
  const ev: BusEvent = { type: BUS_EVENT, json: p.json, room: p.room, origin: from.id, nonce: p.nonce };
  for (const w of workers) if (w.isConnected()) w.send(ev);
  return true;
}
