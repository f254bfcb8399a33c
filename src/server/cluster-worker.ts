/**
 * One reference-server process of a cluster (see cluster.ts): serves its share of the
 * connections, takes events from the IPC bus, and answers the primary's metrics and drop requests.
 */
import cluster from 'node:cluster';
import { OWN_ADDRESSES_ENV, type ClusterMessage } from './cluster.js';
import type { ServerOptions } from '../server-core/context.js';
import { IpcEventBus } from './ipc-event-bus.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';
import { startReferenceServer } from './server.js';
import { lowerPriority } from './priority.js';
import { withTlsFromEnv } from './tls.js';

process.on('SIGINT', () => {});

const options = withTlsFromEnv(JSON.parse(process.argv[2] ?? '{}') as Partial<ServerOptions>);
const own = process.env[OWN_ADDRESSES_ENV];
if (own) {
  // This process listens on its own addresses by itself (see addressesPerProcess).
  const { hosts, port } = JSON.parse(own) as { hosts: string[]; port: number };
  Object.assign(options, { host: hosts[0], extraHosts: hosts.slice(1), port, exclusiveListen: true });
}
lowerPriority(options.nice);
const self = cluster.worker?.id ?? 0;
let nextId = 1;
const asked = new Map<number, (m: ServerMetrics) => void>();

const server = await startReferenceServer(options, {
  busFor: (log) => new IpcEventBus(log, self),
  // A /metrics request reaches one worker; the primary collects and sums every process's reading.
  clusterMetrics: (gc) =>
    new Promise((resolve) => {
      const id = nextId++;
      asked.set(id, resolve);
      process.send?.({ type: 'metrics:request', id, gc } satisfies ClusterMessage);
    }),
}).catch((e: Error) => {
  process.send?.({ type: 'failed', message: e.message });
  process.exit(1);
});

if (own) process.send?.({ type: 'own-listening', port: server.port } satisfies ClusterMessage);

process.on('message', (m: ClusterMessage) => {
  if (m.type === 'metrics:collect')
    process.send?.({
      type: 'metrics:snapshot',
      id: m.id,
      metrics: { ...server.metrics(m.gc), pid: process.pid },
    } satisfies ClusterMessage);
  else if (m.type === 'metrics:result') {
    asked.get(m.id)?.(m.metrics);
    asked.delete(m.id);
  } else if (m.type === 'drop')
    process.send?.({
      type: 'dropped',
      id: m.id,
      count: server.dropConnections(m.fraction, m.kind, m.mode),
    } satisfies ClusterMessage);
  else if (m.type === 'close') void server.close().finally(() => process.exit(0));
});
process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
