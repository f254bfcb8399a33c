import { openHttp2PollSession } from '../http2/poll-client.js';
import { openPollSession } from '../request-loop.js';
import type { ProtocolDriver } from '../types.js';

/** Long-polling: the server holds each request until there is news; the client asks again at once. */
export const longPollingDriver: ProtocolDriver = {
  name: 'long-polling',
  requestResponse: true,
  http2: true,
  settleMs: () => 1000,
  openSession(options) {
    return (options.target.http2 ? openHttp2PollSession : openPollSession)(options, {
      path: options.target.paths['long-polling'],
      pauseAfter: () => 0,
      initialDelay: () => 0,
      // The server may hold a request for its whole long-poll timeout; allow that plus slack.
      timeoutMs: options.longPollWaitMs ?? options.requestTimeoutMs,
    });
  },
};
