import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, type ServerContext } from '../context.js';
import { parseRoom } from '../event-log.js';

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
    const text = Buffer.concat(chunks).toString('utf8');
    const json = isJson(text) ? text : JSON.stringify(text);
    if (ctx.options.fanoutDelayMs > 0) {
      // Accept at once and fan out later: the delay sits between publish and delivery only.
      // Equal delays keep the order, since timers with the same timeout fire in creation order.
      setTimeout(() => ctx.log.append(json, room), ctx.options.fanoutDelayMs);
      return sendJson(res, 202, '{"id":null}');
    }
    const entry = ctx.log.append(json, room);
    sendJson(res, 202, `{"id":${entry.id}}`);
  });
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
