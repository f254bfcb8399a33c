import type { ProtocolDescriptor } from '../descriptor.js';
import { socketIoDriver } from './client.js';
import { SOCKETIO_TRANSPORTS } from './names.js';

/**
 * Socket.IO (the `socket.io` server and `socket.io-client`): opt-in, since rtbench's default run
 * compares the four ways without a framework; `--protocols socketio` or `all,socketio` runs it.
 */
export const socketio: ProtocolDescriptor = {
  name: 'socketio',
  aliases: ['socket.io'],
  label: 'Socket.IO',
  pathOption: 'socketio',
  defaultPath: '/socket.io',
  optIn: true,
  transports: SOCKETIO_TRANSPORTS,
  backpressurePolicies: false,
  slowReading: false,
  // a poll or post that reaches another process than the session's is refused (Session ID unknown)
  stickyTransports: ['upgrade'],
  driver: socketIoDriver,
  route: async () => {
    const { SocketIoRoute } = await import('./route.js');
    return (ctx) => new SocketIoRoute(ctx);
  },
};
