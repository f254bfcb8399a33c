import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRoom, type LogEntry } from '../../server-core/event-log.js';
import { sendError, type ServerContext } from '../../server-core/context.js';
import { answer, requestCursor } from '../../server-core/poll-answer.js';

interface Waiter {
  req: IncomingMessage;
  res: ServerResponse;
  cursor: number;
  room: string;
  timer: NodeJS.Timeout;
}

/** GET /long-poll: holds the request until an event after the cursor exists or the timeout passes. */
export class LongPollRoute {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly ctx: ServerContext) {
    ctx.log.onAppend((e) => this.release(e));
  }

  handle = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const ctx = this.ctx;
    const cursor = requestCursor(req, url, ctx);
    if (cursor === 'invalid') return sendError(res, 400, 'since must be a non-negative integer');
    const room = parseRoom(url);
    if (room === null) return sendError(res, 400, 'room must be 1-64 letters, digits, . : - or _');
    const from = cursor ?? ctx.log.lastId;
    const ready = ctx.log.after(from, ctx.options.maxBatch, room, ctx.options.maxAnswerChars);
    if (ready.length) return answer(req, res, from, ready, ctx);
    const waiter: Waiter = {
      req,
      res,
      cursor: from,
      room,
      timer: setTimeout(() => this.finish(waiter, []), ctx.options.longPollTimeoutMs),
    };
    this.waiters.add(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
    });
  };

  private finish(w: Waiter, events: LogEntry[]): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
    if (!w.res.writableEnded) answer(w.req, w.res, w.cursor, events, this.ctx);
  }

  /** Answers every held request of the event's room; waiters with the same cursor share one lookup. */
  private release(e: LogEntry): void {
    if (!this.waiters.size) return;
    const byCursor = new Map<string, LogEntry[]>();
    for (const w of [...this.waiters]) {
      if (w.room !== '' && w.room !== e.room) continue;
      const key = `${w.cursor}|${w.room}`;
      let events = byCursor.get(key);
      if (!events)
        byCursor.set(
          key,
          (events = this.ctx.log.after(w.cursor, this.ctx.options.maxBatch, w.room, this.ctx.options.maxAnswerChars)),
        );
      if (events.length) this.finish(w, events);
    }
  }

  /** Ends every held request (server shutdown). */
  closeAll(): void {
    for (const w of [...this.waiters]) this.finish(w, []);
  }

  get held(): number {
    return this.waiters.size;
  }
}
