import { ClientSession } from '../client-base.js';
import type { ProtocolDriver } from '../types.js';
import { LeanWebSocketClient } from './lean-client.js';
import { WebSocketUpstream } from './upstream.js';

/** WebSocket: one upgraded connection per client, full duplex, events pushed as frames. */
export const websocketDriver: ProtocolDriver = {
  name: 'websocket',
  requestResponse: false,
  settleMs: () => 1000,
  openSession: (options) => new ClientSession(options, (spec) => new LeanWebSocketClient(spec)),
  openUpstream: (options) => new WebSocketUpstream(options),
};
