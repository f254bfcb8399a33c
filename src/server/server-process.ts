/**
 * Entry of the bundled server's own process. `rtbench run` starts one per protocol phase so every
 * phase's server memory is measured from a clean baseline, and the server does not share an event
 * loop with the publisher.
 */
import { startReferenceServer } from './server.js';
import type { ServerOptions } from './context.js';

process.on('SIGINT', () => {});

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerOptions>;
const server = await startReferenceServer(options).catch((e: Error) => {
  process.send?.({ type: 'failed', message: e.message });
  process.exit(1);
});

process.send?.({ type: 'listening', url: server.url, port: server.port });

const shutdown = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('message', (m: { type: string; fraction?: number; kind?: string }) => {
  if (m.type === 'close') void shutdown();
  if (m.type === 'drop') process.send?.({ type: 'dropped', count: server.dropConnections(m.fraction, m.kind as never) });
});
process.on('disconnect', () => void shutdown());
