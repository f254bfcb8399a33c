/**
 * Entry of the bundled server's own process. `rtbench run` starts one per protocol phase so every
 * phase's server memory is measured from a clean baseline, and the server does not share an event
 * loop with the publisher. With more than one server process this process is the cluster primary.
 */
import { startReferenceServer } from './server.js';
import { startServerCluster } from './cluster.js';
import type { ServerOptions } from './context.js';

process.on('SIGINT', () => {});

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<ServerOptions>;
const processes = Math.max(1, Number(process.argv[3] ?? 1) || 1);
const server = await (processes > 1 ? startServerCluster(options, processes) : startReferenceServer(options)).catch((e: Error) => {
  process.send?.({ type: 'failed', message: e.message });
  process.exit(1);
});

process.send?.({ type: 'listening', url: server.url, port: server.port, processes });

const shutdown = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('message', (m: { type: string; fraction?: number; kind?: string }) => {
  if (m.type === 'close') void shutdown();
  if (m.type === 'drop') void Promise.resolve(server.dropConnections(m.fraction, m.kind as never)).then((count) => process.send?.({ type: 'dropped', count }));
});
process.on('disconnect', () => void shutdown());
