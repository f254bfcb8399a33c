import type { ProtocolDescriptor } from '../descriptor.js';
import { sseDriver } from './client.js';

export const sse: ProtocolDescriptor = {
  name: 'sse',
  aliases: ['server-sent-events'],
  label: 'SSE',
  pathOption: 'sse',
  defaultPath: '/sse',
  driver: sseDriver,
  route: async () => {
    const { SseRoute } = await import('./route.js');
    return (ctx) => new SseRoute(ctx);
  },
};
