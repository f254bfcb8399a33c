import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { collectGarbage } from '../metrics/gc.js';
import type { ServerOptions } from '../server-core/context.js';
import { relayPublish } from './ipc-event-bus.js';
import { sumServerMetrics } from './metrics-sum.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';
import type { ServerProtocol } from '../server-core/connections.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./cluster-worker.js', import.meta.url));

/** IPC between the cluster primary and its server workers (besides the event bus). */
export type ClusterMessage =
  | { type: 'metrics:request'; id: number; gc: boolean } // worker → primary: someone asked this worker for /metrics
  | { type: 'metrics:collect'; id: number; gc: boolean } // primary → every worker
  | { type: 'metrics:snapshot'; id: number; metrics: ServerMetrics & { pid: number } } // worker → primary
  | { type: 'metrics:result'; id: number; metrics: ServerMetrics } // primary → the asking worker
  | { type: 'drop'; id: number; fraction?: number; kind?: ServerProtocol }
  | { type: 'dropped'; id: number; count: number }
  | { type: 'close' };

export interface ServerCluster {
  url: string;
  port: number;
  processes: number;
  /** /metrics summed over every process */
  metrics(gc?: boolean): Promise<ServerMetrics>;
  dropConnections(fraction?: number, kind?: ServerProtocol): Promise<number>;
  close(): Promise<void>;
}

/**
 * Runs the reference server as `processes` worker processes sharing one port (Node's cluster,
 * round-robin: the primary accepts and hands each connection to the next worker, so connections
 * spread evenly and each worker stays under its own open-file limit). The primary relays every
 * publish to every worker (the IPC event bus) and sums /metrics. Call from a primary process only.
 */
export async function startServerCluster(options: Partial<ServerOptions>, processes: number): Promise<ServerCluster> {
  if (!cluster.isPrimary) throw new Error('startServerCluster must run in a primary process');
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: WORKER_SCRIPT, args: [JSON.stringify(options)], silent: false });
  const started = Date.now();
  const workers = new Set<Worker>();
  let nextId = 1;
  const waiting = new Map<number, { want: number; got: Array<ServerMetrics & { pid: number }>; counts: number[]; done: () => void }>();
  let closing = false;

  const collect = <T>(id: number, send: (w: Worker) => void, finish: (got: Array<ServerMetrics & { pid: number }>, counts: number[]) => T): Promise<T> => {
    const live = [...workers].filter((w) => w.isConnected());
    return new Promise<T>((resolve) => {
      const entry = { want: live.length, got: [] as Array<ServerMetrics & { pid: number }>, counts: [] as number[], done: () => {} };
      const timer = setTimeout(() => entry.done(), 5000);
      entry.done = () => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(finish(entry.got, entry.counts));
      };
      waiting.set(id, entry);
      if (!live.length) entry.done();
      for (const w of live) send(w);
    });
  };
  const metrics = (gc: boolean) => {
    const id = nextId++;
    return collect(id, (w) => w.send({ type: 'metrics:collect', id, gc } satisfies ClusterMessage), (got) => {
      if (gc) collectGarbage();
      return sumServerMetrics(got, { memory: process.memoryUsage(), cpu: process.cpuUsage() }, Date.now() - started, gc);
    });
  };

  const onMessage = (worker: Worker, m: ClusterMessage) => {
    if (relayPublish(worker, m, workers)) return;
    if (m.type === 'metrics:request') {
      void metrics(m.gc).then((result) => worker.isConnected() && worker.send({ type: 'metrics:result', id: m.id, metrics: result } satisfies ClusterMessage));
    } else if (m.type === 'metrics:snapshot' || m.type === 'dropped') {
      const entry = waiting.get(m.id);
      if (!entry) return;
      if (m.type === 'metrics:snapshot') entry.got.push(m.metrics);
      else entry.counts.push(m.count);
      if (entry.got.length + entry.counts.length >= entry.want) entry.done();
    }
  };
  cluster.on('message', onMessage);

  let port = 0;
  try {
    await Promise.all(
      Array.from({ length: processes }, () => {
        const w = cluster.fork();
        workers.add(w);
        w.on('exit', () => workers.delete(w));
        return new Promise<void>((resolve, reject) => {
          w.once('listening', (address: { port: number }) => {
            port = address.port;
            resolve();
          });
          w.once('message', (m: { type: string; message?: string }) => m.type === 'failed' && reject(new UsageError(m.message ?? 'server process failed to start')));
          w.once('exit', (code) => !closing && reject(new Error(`server process exited at start (code ${code})`)));
        });
      }),
    );
  } catch (e) {
    closing = true;
    for (const w of workers) w.kill();
    cluster.off('message', onMessage);
    throw e;
  }
  const host = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    processes,
    metrics: (gc = false) => metrics(gc),
    dropConnections(fraction, kind) {
      const id = nextId++;
      return collect(id, (w) => w.send({ type: 'drop', id, fraction, kind } satisfies ClusterMessage), (_g, counts) => counts.reduce((a, b) => a + b, 0));
    },
    async close() {
      closing = true;
      await Promise.all(
        [...workers].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const timer = setTimeout(() => w.kill('SIGKILL'), 5000);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              if (w.isConnected()) w.send({ type: 'close' } satisfies ClusterMessage);
              else w.kill();
            }),
        ),
      );
      cluster.off('message', onMessage);
    },
  };
}
