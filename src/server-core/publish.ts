import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, type ServerContext } from './context.js';
import { parseRoom } from './event-log.js';

const MAX_BODY = 1024 * 1024;

/** POST /publish: the body becomes one event (kept as JSON if it is JSON, else as a JSON string). */
export function handlePublish(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerContext): void {
  if (req.method !== 'POST') return sendError(res, 405, 'use POST');
  const room = parseRoom(url);
  if (room === null) return sendError(res, 400, 'room must be 1-64 letters, digits, . : - or _');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) {
      sendError(res, 413, `event larger than ${MAX_BODY} bytes`);
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    ctx.publishedVia.http++;
    // Answered once this process has the event (with several processes, after the bus relayed it).
    void acceptEvent(ctx, Buffer.concat(chunks).toString('utf8'), room).then((id) =>
      sendJson(res, 202, `{"id":${id}}`),
    );
  });
}

/**
 * Adds one published event (from POST /publish or a WebSocket client's message) to a room, through
 * the event bus so every server process gets it. Resolves with its id once this process has it,
 * or with null when a fan-out delay postpones it.
 */
export function acceptEvent(ctx: ServerContext, text: string, room: string): Promise<number | null> {
  const json = isJson(text) ? text : JSON.stringify(text);
  if (ctx.options.fanoutDelayMs > 0) {
    // The delay sits between publish and delivery only. Equal delays keep the order, since
    // timers with the same timeout fire in creation order.
    setTimeout(() => void ctx.bus.publish(json, room), ctx.options.fanoutDelayMs);
    return Promise.resolve(null);
  }
  return ctx.bus.publish(json, room).then((e) => e.id);
}

function isJson(text: string): boolean {
  const c = text.trimStart()[0];
  if (c !== '{' && c !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
