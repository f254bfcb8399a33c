import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCursor, type LogEntry } from './event-log.js';
import { sendJson, type ServerContext } from './context.js';

/**
 * Polling and long-polling share one answer format: {"cursor":N,"events":[...]}, plus ETag and
 * Last-Modified so clients may keep their place with HTTP caching headers instead of ?since=.
 */
export function batchBody(cursor: number, events: LogEntry[]): string {
  let body = `{"cursor":${cursor},"events":[`;
  for (let i = 0; i < events.length; i++) body += (i ? ',' : '') + events[i].json;
  return body + ']}';
}

function cacheHeaders(cursor: number, ctx: ServerContext): Record<string, string> {
  const entry = ctx.log.after(cursor - 1, 1)[0];
  const when = entry && entry.id === cursor ? entry.publishedAt : Date.now();
  return { etag: `"${cursor}"`, 'last-modified': new Date(when).toUTCString(), 'cache-control': 'no-cache' };
}

/** The client's cursor: ?since= first, then If-None-Match (the ETag we sent). null = "from now". */
export function requestCursor(req: IncomingMessage, url: URL, ctx: ServerContext): number | null | 'invalid' {
  const since = url.searchParams.get('since');
  if (since !== null) return parseCursor(since, ctx.log);
  const tag = req.headers['if-none-match'];
  return parseCursor(typeof tag === 'string' ? tag : null, ctx.log);
}

export function answer(
  req: IncomingMessage,
  res: ServerResponse,
  cursor: number,
  events: LogEntry[],
  ctx: ServerContext,
): void {
  const newCursor = events.length ? events[events.length - 1].id : cursor;
  if (
    !events.length &&
    req.headers['if-none-match'] !== undefined &&
    !new URL(req.url ?? '/', 'http://x').searchParams.has('since')
  ) {
    res.writeHead(304, { ...cacheHeaders(newCursor, ctx), 'access-control-allow-origin': '*' });
    res.end();
    return;
  }
  sendJson(res, 200, batchBody(newCursor, events), cacheHeaders(newCursor, ctx));
}
