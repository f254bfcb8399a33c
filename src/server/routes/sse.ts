import type { IncomingMessage, ServerResponse } from 'node:http';
import { inRoom, parseCursor, parseRoom, type LogEntry } from '../event-log.js';
import { sendError, type ServerContext } from '../context.js';

/** GET /sse: text/event-stream with id: on every event; resumes from Last-Event-ID. */
export class SseRoute {
  /** open streams and the room each one follows */
  private readonly streams = new Map<ServerResponse, string>();

  constructor(private readonly ctx: ServerContext) {
    ctx.log.onAppend((e) => this.broadcast(e));
  }

  handle = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const header = req.headers['last-event-id'];
    const raw = typeof header === 'string' && header !== '' ? header : url.searchParams.get('lastEventId') ?? url.searchParams.get('since');
    const cursor = parseCursor(raw, this.ctx.log);
    if (cursor === 'invalid') return sendError(res, 400, 'Last-Event-ID must be a non-negative integer');
    const room = parseRoom(url);
    if (room === null) return sendError(res, 400, 'room must be 1-64 letters, digits, . : - or _');
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'access-control-allow-origin': '*',
    });
    // retry: tells clients how long to wait before reconnecting; the comment flushes headers.
    res.write('retry: 1000\n:ok\n\n');
    if (cursor !== null) for (const e of this.ctx.log.after(cursor, this.ctx.options.ringSize, room)) res.write(e.sseChunk);
    this.streams.set(res, room);
    res.on('close', () => this.streams.delete(res));
  };

  /** Writes the pre-formatted chunk; the same Buffer goes to every stream. */
  private broadcast(e: LogEntry): void {
    for (const [res, room] of this.streams) if (inRoom(e, room)) res.write(e.sseChunk);
  }

  closeAll(): void {
    for (const res of this.streams.keys()) res.end();
    this.streams.clear();
  }

  get open(): number {
    return this.streams.size;
  }
}
