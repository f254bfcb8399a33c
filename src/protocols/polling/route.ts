import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRoom } from '../../server-core/event-log.js';
import { sendError, type ServerContext } from '../../server-core/context.js';
import { answer, requestCursor } from '../../server-core/poll-answer.js';
import type { ProtocolRoute } from '../../server-core/route.js';

/** GET /poll: answers at once with what is new (possibly nothing). */
export function handlePoll(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerContext): void {
  const cursor = requestCursor(req, url, ctx);
  if (cursor === 'invalid') return sendError(res, 400, 'since must be a non-negative integer');
  const room = parseRoom(url);
  if (room === null) return sendError(res, 400, 'room must be 1-64 letters, digits, . : - or _');
  const from = cursor ?? ctx.log.lastId;
  answer(req, res, from, ctx.log.after(from, ctx.options.maxBatch, room, ctx.options.maxAnswerChars), ctx);
}

/** The polling route: stateless, one answer per request. */
export function pollingRoute(ctx: ServerContext): ProtocolRoute {
  return { handle: (req, res, url) => handlePoll(req, res, url, ctx) };
}
