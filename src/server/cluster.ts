import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { collectGarbage } from '../metrics/gc.js';
import type { ServerOptions } from '../server-core/context.js';
import { relayPublish } from './ipc-event-bus.js';
import { sumServerMetrics } from './metrics-sum.js';
import { TLS_ENV } from './tls.js';
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
  | { type: 'close' }
  | { type: 'own-listening'; port: number }; // worker → primary: listening on its own addresses

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
 * The addresses each process listens on by itself when the server has as many addresses as
 * processes, or a multiple: process i takes every address j with j mod processes = i. Otherwise
 * null, and the processes share every address through the primary (round-robin).
 */
export function addressesPerProcess(hosts: string[], processes: number): string[][] | null {
  if (processes < 2 || hosts.length < processes || hosts.length % processes !== 0) return null;
  return Array.from({ length: processes }, (_, i) => hosts.filter((_h, j) => j % processes === i));
}

/** Environment entry that hands a forked process its own addresses and port (own-address mode). */
export const OWN_ADDRESSES_ENV = 'RTBENCH_SERVER_OWN_ADDRESSES';

/**
 * Runs the reference server as `processes` worker processes on one port, and relays every publish
 * to every worker (the IPC event bus) and sums /metrics. Call from a primary process only.
 *
 * With one address per process (or a multiple, see addressesPerProcess) each process listens on
 * its own addresses by itself: clients spread over the addresses spread evenly over processes,
 * and a connection costs no one else's event loop. Otherwise Node's cluster round-robin: the
 * primary accepts and hands each connection to the next worker, waiting for that worker to take
 * it before it hands it another — a worker busy fanning out an event then holds up every
 * connection queued for it (measured: 50,000 WebSocket clients, connect p99 5 s round-robin).
 */
export async function startServerCluster(options: Partial<ServerOptions>, processes: number): Promise<ServerCluster> {
  if (!cluster.isPrimary) throw new Error('startServerCluster must run in a primary process');
  cluster.schedulingPolicy = cluster.SCHED_RR;
  // The certificate and key reach the processes through the environment they inherit (see tls.ts).
  const args = [JSON.stringify({ ...options, tls: undefined })];
  const tlsEnv = options.tls ? { [TLS_ENV]: JSON.stringify(options.tls) } : {};
  cluster.setupPrimary({ exec: WORKER_SCRIPT, args, silent: false });
  const started = Date.now();
  const workers = new Set<Worker>();
  let nextId = 1;
  const waiting = new Map<
    number,
    { want: number; got: Array<ServerMetrics & { pid: number }>; counts: number[]; done: () => void }
  >();
  let closing = false;

  const collect = <T>(
    id: number,
    send: (w: Worker) => void,
    finish: (got: Array<ServerMetrics & { pid: number }>, counts: number[]) => T,
  ): Promise<T> => {
    const live = [...workers].filter((w) => w.isConnected());
    return new Promise<T>((resolve) => {
      const entry = {
        want: live.length,
        got: [] as Array<ServerMetrics & { pid: number }>,
        counts: [] as number[],
        done: () => {},
      };
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
    return collect(
      id,
      (w) => w.send({ type: 'metrics:collect', id, gc } satisfies ClusterMessage),
      (got) => {
        if (gc) collectGarbage();
        return sumServerMetrics(
          got,
          { memory: process.memoryUsage(), cpu: process.cpuUsage() },
          Date.now() - started,
          gc,
        );
      },
    );
  };

  const onMessage = (worker: Worker, m: ClusterMessage) => {
    if (relayPublish(worker, m, workers)) return;
    if (m.type === 'metrics:request') {
      void metrics(m.gc).then(
        (result) =>
          worker.isConnected() &&
          worker.send({ type: 'metrics:result', id: m.id, metrics: result } satisfies ClusterMessage),
      );
    } else if (m.type === 'metrics:snapshot' || m.type === 'dropped') {
      const entry = waiting.get(m.id);
      if (!entry) return;
      if (m.type === 'metrics:snapshot') entry.got.push(m.metrics);
      else entry.counts.push(m.count);
      if (entry.got.length + entry.counts.length >= entry.want) entry.done();
    }
  };
  cluster.on('message', onMessage);

  let port = options.port ?? 0;
  const own = addressesPerProcess([options.host ?? '127.0.0.1', ...(options.extraHosts ?? [])], processes);
  const start = (hosts: string[] | null) => {
    const w = cluster.fork(hosts ? { ...tlsEnv, [OWN_ADDRESSES_ENV]: JSON.stringify({ hosts, port }) } : tlsEnv);
    workers.add(w);
    w.on('exit', () => workers.delete(w));
    return new Promise<void>((resolve, reject) => {
      // A process on its own addresses does not listen through the cluster: it says so itself.
      if (!hosts) {
        w.once('listening', (address: { port: number }) => {
          w.off('message', onStart);
          port = address.port;
          resolve();
        });
      }
      // Heard only until the process is up: afterwards every event of the bus passes this channel.
      const onStart = (m: { type: string; message?: string; port?: number }) => {
        if (m.type === 'failed') {
          w.off('message', onStart);
          reject(new UsageError(m.message ?? 'server process failed to start'));
        }
        if (m.type === 'own-listening' && hosts) {
          w.off('message', onStart);
          port = m.port!;
          resolve();
        }
      };
      w.on('message', onStart);
      w.once('exit', (code) => !closing && reject(new Error(`server process exited at start (code ${code})`)));
    });
  };
  try {
    if (own) {
      // The first process picks the port (it may be 0); the others listen on the same one.
      await start(own[0]);
      await Promise.all(own.slice(1).map((hosts) => start(hosts)));
    } else await Promise.all(Array.from({ length: processes }, () => start(null)));
  } catch (e) {
    closing = true;
    for (const w of workers) w.kill();
    cluster.off('message', onMessage);
    throw e;
  }
  const host = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1');

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    processes,
    metrics: (gc = false) => metrics(gc),
    dropConnections(fraction, kind) {
      const id = nextId++;
      return collect(
        id,
        (w) => w.send({ type: 'drop', id, fraction, kind } satisfies ClusterMessage),
        (_g, counts) => counts.reduce((a, b) => a + b, 0),
      );
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
