import type { ProtocolDescriptor } from '../descriptor.js';
import { pollingDriver } from './client.js';

export const polling: ProtocolDescriptor = {
  name: 'polling',
  aliases: ['poll'],
  label: 'Polling',
  pathOption: 'poll',
  defaultPath: '/poll',
  driver: pollingDriver,
  route: async () => (await import('./route.js')).pollingRoute,
};
