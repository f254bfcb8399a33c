import type { ProtocolDescriptor } from '../descriptor.js';
import { websocketDriver } from './client.js';

export const websocket: ProtocolDescriptor = {
  name: 'websocket',
  aliases: ['ws'],
  label: 'WebSocket',
  pathOption: 'ws',
  defaultPath: '/ws',
  driver: websocketDriver,
  route: async () => {
    const { WebSocketRoute } = await import('./route.js');
    return (ctx) => new WebSocketRoute(ctx);
  },
};
