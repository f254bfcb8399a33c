/**
 * Entry of the bundled server's own process. `rtbench run` starts one per protocol phase so every
 * phase's server memory is measured from a clean baseline, and the server does not share an event
 * loop with the publisher. With more than one server process this process is the cluster primary.
 */
import { startReferenceServer } from './server.js';
import { startServerCluster } from './cluster.js';
import { RedisBus } from './redis-bus.js';
import { RedisEventBus } from './redis-event-bus.js';
import { lowerPriority } from './priority.js';
import { withTlsFromEnv } from './tls.js';
import type { EventLog } from '../server-core/event-log.js';
import type { ServerOptions } from '../server-core/context.js';
import type { DropMode } from '../server-core/blackhole.js';

process.on('SIGINT', () => {});

const options = withTlsFromEnv(JSON.parse(process.argv[2] ?? '{}') as Partial<ServerOptions>);
const processes = Math.max(1, Number(process.argv[3] ?? 1) || 1);
// One process serves the clients itself; a primary forks the ones that do, and they lower their own.
if (processes === 1) lowerPriority(options.nice);
// A fleet instance fans out through Redis; the bus connects first so a bad URL fails the start.
const redis = options.redis
  ? await RedisBus.connect({ url: options.redis, prefix: options.busPrefix }).catch((e: Error) => fail(e))
  : null;
const runtime = redis ? { busFor: (log: EventLog) => new RedisEventBus(redis, log) } : {};
const server = await (
  processes > 1 ? startServerCluster(options, processes) : startReferenceServer(options, runtime)
).catch((e: Error) => fail(e));

function fail(e: Error & { hint?: string }): never {
  process.send?.({ type: 'failed', message: e.message + (e.hint ? ` — ${e.hint}` : '') });
  process.exit(1);
}

process.send?.({ type: 'listening', url: server.url, port: server.port, processes });

const shutdown = async () => {
  await server.close().catch(() => {});
  process.exit(0);
};
process.on('message', (m: { type: string; fraction?: number; kind?: string; mode?: DropMode }) => {
  if (m.type === 'close') void shutdown();
  if (m.type === 'drop')
    void Promise.resolve(server.dropConnections(m.fraction, m.kind as never, m.mode)).then((count) =>
      process.send?.({ type: 'dropped', count }),
    );
});
process.on('disconnect', () => void shutdown());
