import { ClientSession } from '../client-base.js';
import { openHttp2SseSession } from '../http2/sse-client.js';
import { LeanSseClient } from './lean-client.js';
import type { ProtocolDriver } from '../types.js';

/** Server-Sent Events: one long HTTP response per client, events pushed as they happen. */
export const sseDriver: ProtocolDriver = {
  name: 'sse',
  requestResponse: false,
  http2: true,
  settleMs: () => 1000,
  openSession: (options) =>
    options.target.http2 ? openHttp2SseSession(options) : new ClientSession(options, (spec) => new LeanSseClient(spec)),
};
