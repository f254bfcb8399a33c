import type { ProtocolDescriptor } from '../descriptor.js';
import { longPollingDriver } from './client.js';

export const longPolling: ProtocolDescriptor = {
  name: 'long-polling',
  aliases: ['longpoll', 'long-poll'],
  label: 'Long-polling',
  pathOption: 'longPoll',
  defaultPath: '/long-poll',
  driver: longPollingDriver,
  route: async () => {
    const { LongPollRoute } = await import('./route.js');
    return (ctx) => new LongPollRoute(ctx);
  },
};
