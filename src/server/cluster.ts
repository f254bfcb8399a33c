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
import type { DropMode } from '../server-core/blackhole.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./cluster-worker.js', import.meta.url));

/** IPC between the cluster primary and its server workers (besides the event bus). */
export type ClusterMessage =
  | { type: 'metrics:request'; id: number; gc: boolean } // worker → primary: someone asked this worker for /metrics
  | { type: 'metrics:collect'; id: number; gc: boolean } // primary → every worker
  | { type: 'metrics:snapshot'; id: number; metrics: ServerMetrics & { pid: number } } // worker → primary
  | { type: 'metrics:result'; id: number; metrics: ServerMetrics } // primary → the asking worker
  | { type: 'drop'; id: number; fraction?: number; kind?: ServerProtocol; mode?: DropMode }
  | { type: 'dropped'; id: number; count: number }
  | { type: 'close' }
  | { type: 'own-listening'; port: number }; // worker → primary: listening on its own addresses

export interface ServerCluster {
  url: string;
  port: number;
  processes: number;
  /** /metrics summed over every process */
  metrics(gc?: boolean): Promise<ServerMetrics>;
  dropConnections(fraction?: number, kind?: ServerProtocol, mode?: DropMode): Promise<number>;
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
  cluster.setupPrimary({ exec: WORKER_SCRIPT, args, silent: false });
  const state: ClusterState = {
    env: options.tls ? { [TLS_ENV]: JSON.stringify(options.tls) } : {},
    started: Date.now(),
    workers: new Set(),
    nextId: 1,
    waiting: new Map(),
    closing: false,
  };
  const onMessage = (worker: Worker, m: ClusterMessage) => handleMessage(state, worker, m);
  cluster.on('message', onMessage);
  let port: number;
  try {
    port = await forkProcesses(state, options, processes);
  } catch (e) {
    state.closing = true;
    for (const w of state.workers) w.kill();
    cluster.off('message', onMessage);
    throw e;
  }
  const host = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1');

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    processes,
    metrics: (gc = false) => clusterMetrics(state, gc),
    dropConnections(fraction, kind, mode) {
      return collect(
        state,
        (w, id) => w.send({ type: 'drop', id, fraction, kind, mode } satisfies ClusterMessage),
        (_g, counts) => counts.reduce((a, b) => a + b, 0),
      );
    },
    close: () => closeCluster(state, onMessage),
  };
}

type ProcessMetrics = ServerMetrics & { pid: number };

/** The primary's books: its server processes and the replies it is collecting from them. */
interface ClusterState {
  /** what every server process's environment adds (the TLS material) */
  env: Record<string, string>;
  started: number;
  workers: Set<Worker>;
  nextId: number;
  waiting: Map<number, { want: number; got: ProcessMetrics[]; counts: number[]; done: () => void }>;
  closing: boolean;
}

/** Asks every live process (`send`) and resolves with `finish` over the replies, or what came in 5 s. */
function collect<T>(
  state: ClusterState,
  send: (w: Worker, id: number) => void,
  finish: (got: ProcessMetrics[], counts: number[]) => T,
): Promise<T> {
  const id = state.nextId++;
  const live = [...state.workers].filter((w) => w.isConnected());
  return new Promise<T>((resolve) => {
    const entry = {
      want: live.length,
      got: [] as ProcessMetrics[],
      counts: [] as number[],
      done: () => {},
    };
    const timer = setTimeout(() => entry.done(), 5000);
    entry.done = () => {
      clearTimeout(timer);
      state.waiting.delete(id);
      resolve(finish(entry.got, entry.counts));
    };
    state.waiting.set(id, entry);
    if (!live.length) entry.done();
    for (const w of live) send(w, id);
  });
}

/** /metrics summed over every process (and the primary's own memory and CPU). */
function clusterMetrics(state: ClusterState, gc: boolean): Promise<ServerMetrics> {
  return collect(
    state,
    (w, id) => w.send({ type: 'metrics:collect', id, gc } satisfies ClusterMessage),
    (got) => {
      if (gc) collectGarbage();
      return sumServerMetrics(
        got,
        { memory: process.memoryUsage(), cpu: process.cpuUsage() },
        Date.now() - state.started,
        gc,
      );
    },
  );
}

function handleMessage(state: ClusterState, worker: Worker, m: ClusterMessage): void {
  if (relayPublish(worker, m, state.workers)) return;
  if (m.type === 'metrics:request') {
    void clusterMetrics(state, m.gc).then(
      (result) =>
        worker.isConnected() &&
        worker.send({ type: 'metrics:result', id: m.id, metrics: result } satisfies ClusterMessage),
    );
  } else if (m.type === 'metrics:snapshot' || m.type === 'dropped') {
    const entry = state.waiting.get(m.id);
    if (!entry) return;
    if (m.type === 'metrics:snapshot') entry.got.push(m.metrics);
    else entry.counts.push(m.count);
    if (entry.got.length + entry.counts.length >= entry.want) entry.done();
  }
}

/** Forks the server processes and resolves with the port they listen on. */
async function forkProcesses(state: ClusterState, options: Partial<ServerOptions>, processes: number): Promise<number> {
  const own = addressesPerProcess([options.host ?? '127.0.0.1', ...(options.extraHosts ?? [])], processes);
  if (!own) {
    const ports = await Promise.all(
      Array.from({ length: processes }, () => forkProcess(state, null, options.port ?? 0)),
    );
    return ports[ports.length - 1] ?? options.port ?? 0;
  }
  // The first process picks the port (it may be 0); the others listen on the same one.
  const port = await forkProcess(state, own[0], options.port ?? 0);
  await Promise.all(own.slice(1).map((hosts) => forkProcess(state, hosts, port)));
  return port;
}

/** Forks one server process (on its own `hosts`, or sharing the primary's) and resolves with its port. */
function forkProcess(state: ClusterState, hosts: string[] | null, port: number): Promise<number> {
  const w = cluster.fork(hosts ? { ...state.env, [OWN_ADDRESSES_ENV]: JSON.stringify({ hosts, port }) } : state.env);
  state.workers.add(w);
  w.on('exit', () => state.workers.delete(w));
  return new Promise<number>((resolve, reject) => {
    // A process on its own addresses does not listen through the cluster: it says so itself.
    if (!hosts) {
      w.once('listening', (address: { port: number }) => {
        w.off('message', onStart);
        resolve(address.port);
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
        resolve(m.port!);
      }
    };
    w.on('message', onStart);
    w.once('exit', (code) => !state.closing && reject(new Error(`server process exited at start (code ${code})`)));
  });
}

/** Asks every process to close (killing one that takes over 5 s) and stops listening to them. */
async function closeCluster(
  state: ClusterState,
  onMessage: (worker: Worker, m: ClusterMessage) => void,
): Promise<void> {
  state.closing = true;
  await Promise.all(
    [...state.workers].map(
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
}
