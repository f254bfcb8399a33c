import { ClientSession } from '../client-base.js';
import { LeanSseClient } from './lean-client.js';
import type { ProtocolDriver } from '../types.js';

/** Server-Sent Events: one long HTTP response per client, events pushed as they happen. */
export const sseDriver: ProtocolDriver = {
  name: 'sse',
  requestResponse: false,
  settleMs: () => 1000,
  openSession: (options) => new ClientSession(options, (spec) => new LeanSseClient(spec)),
};
