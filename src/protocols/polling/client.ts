import { openHttp2PollSession } from '../http2/poll-client.js';
import { openPollSession } from '../request-loop.js';
import type { ProtocolDriver } from '../types.js';

/** Polling: ask every --poll-interval whether anything is new; most answers are empty. */
export const pollingDriver: ProtocolDriver = {
  name: 'polling',
  requestResponse: true,
  http2: true,
  settleMs: (options) => options.pollIntervalMs + 1000,
  openSession(options) {
    const interval = options.pollIntervalMs;
    return (options.target.http2 ? openHttp2PollSession : openPollSession)(options, {
      path: options.target.paths.polling,
      // Fixed-rate polling: the next request is due one interval after the last was sent.
      pauseAfter: (elapsed) => Math.max(0, interval - elapsed),
      initialDelay: () => Math.random() * interval,
      timeoutMs: options.requestTimeoutMs,
    });
  },
};
