import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clockEnv } from '../clock.js';
import { evenSplit } from './capacity.js';
import type { MemoryReading } from '../contracts/memory-reading.js';
import type {
  ParentMessage,
  StartMessage,
  WorkerMessage,
  WorkerProgress,
  WorkerResult,
} from '../contracts/worker-messages.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * A client worker holds many connections and makes short-lived garbage per message. V8 grows the
 * young generation up to 3 × 16 MB under that allocation rate, memory that belongs to no client
 * yet shows up as client RSS (measured here: 17.6 → 11.8 KB RSS per WebSocket client between
 * 5,000 and 15,000 clients). 4 MB semi-spaces keep most of the scavenger's throughput.
 */
const WORKER_FLAGS = ['--max-semi-space-size=4'];

/** A set of client worker processes for one protocol phase. */
export class WorkerPool {
  private children: ChildProcess[] = [];
  private readonly progress = new Map<ChildProcess, WorkerProgress>();
  private readonly exited = new Set<ChildProcess>();

  private constructor() {}

  /**
   * Forks `n` workers sharing this process's clock and waits until each is ready or gone. A worker
   * that dies while starting (killed from outside, out of memory) is dropped and the others take
   * its clients; only when none starts is the phase impossible.
   */
  static async spawn(n: number): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const started = await Promise.all(Array.from({ length: n }, () => pool.fork()));
    pool.diedAtStart = started.filter((ok) => !ok).length;
    pool.children = pool.children.filter((c, i) => started[i]);
    if (!pool.children.length) throw new Error(`all ${n} client worker(s) exited while starting`);
    return pool;
  }

  /** How many workers died before they were ready (their clients went to the others). */
  diedAtStart = 0;

  /** One worker; resolves true once it is ready, false if it exits (or fails to fork) first. */
  private fork(): Promise<boolean> {
    const child = fork(WORKER_SCRIPT, [], {
      execArgv: [...process.execArgv, ...WORKER_FLAGS],
      env: { ...process.env, ...clockEnv() },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.children.push(child);
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') this.progress.set(child, m);
    });
    // A dead child's IPC channel reports errors on send; they must not crash the run.
    child.on('error', () => {});
    child.on('exit', () => this.exited.add(child));
    return new Promise<boolean>((resolve) => {
      child.once('exit', () => resolve(false));
      child.once('message', (m: WorkerMessage) => m.type === 'ready' && resolve(true));
    });
  }

  get size(): number {
    return this.children.length;
  }

  /**
   * Splits the clients [range.first, range.first + range.count) of `total` evenly over the
   * workers, each on the shared ramp schedule.
   */
  start(base: Omit<StartMessage, 'first' | 'count' | 'type'>, range = { first: 0, count: base.total }): number[] {
    const counts = evenSplit(range.count, this.children.length);
    let first = range.first;
    this.children.forEach((child, i) => {
      this.send(child, { type: 'start', ...base, first, count: counts[i] });
      first += counts[i];
    });
    return counts;
  }

  /** Summed live progress of all workers. */
  totals(): { started: number; connected: number; delivered: number; errors: number; loopDelayP99Ms: number } {
    const t = { started: 0, connected: 0, delivered: 0, errors: 0, loopDelayP99Ms: 0 };
    for (const p of this.progress.values()) {
      t.started += p.started;
      t.connected += p.connected;
      t.delivered += p.delivered;
      t.errors += p.errors;
      t.loopDelayP99Ms = Math.max(t.loopDelayP99Ms, p.loopDelayP99Ms);
    }
    return t;
  }

  /** Each live worker's memory after a GC. */
  async sampleMemory(timeoutMs = 10_000): Promise<MemoryReading[]> {
    return this.ask<MemoryReading>(
      { type: 'sample-memory' },
      (m) => (m.type === 'memory' ? m.reading : undefined),
      timeoutMs,
    );
  }

  /** Each worker holds `count` bare TCP sockets to host:port and reports what one costs it. */
  async socketFloor(
    host: string,
    port: number,
    count: number,
    timeoutMs = 20_000,
  ): Promise<Array<{ sockets: number; rssPerSocket: number; heapPerSocket: number }>> {
    return this.ask({ type: 'floor', host, port, count }, (m) => (m.type === 'floor' ? m : undefined), timeoutMs);
  }

  /** Stops all clients and collects every worker's results (workers that died are missing). */
  async stop(
    lastPublished: number | null,
    neverPublished: number[],
    firstHoldSeq: number,
    timeoutMs = 20_000,
  ): Promise<WorkerResult[]> {
    const results = await this.ask<WorkerResult>(
      { type: 'stop', lastPublished, neverPublished, firstHoldSeq },
      (m) => (m.type === 'result' ? m : undefined),
      timeoutMs,
    );
    for (const c of this.children) if (!this.exited.has(c)) setTimeout(() => c.kill(), 2000).unref();
    return results;
  }

  private send(child: ChildProcess, m: ParentMessage): void {
    if (child.connected) child.send(m);
  }

  private ask<T>(m: ParentMessage, pick: (m: WorkerMessage) => T | undefined, timeoutMs: number): Promise<T[]> {
    const live = this.children.filter((c) => !this.exited.has(c) && c.connected);
    return Promise.all(
      live.map(
        (child) =>
          new Promise<T | undefined>((resolve) => {
            const timer = setTimeout(() => done(undefined), timeoutMs);
            const onMessage = (msg: WorkerMessage) => {
              const v = pick(msg);
              if (v !== undefined) done(v);
            };
            const onExit = () => done(undefined);
            function done(v: T | undefined) {
              clearTimeout(timer);
              child.off('message', onMessage);
              child.off('exit', onExit);
              resolve(v);
            }
            child.on('message', onMessage);
            child.once('exit', onExit);
            this.send(child, m);
          }),
      ),
    ).then((all) => all.filter((v): v is Awaited<T> => v !== undefined) as T[]);
  }

  kill(): void {
    for (const c of this.children) if (!this.exited.has(c)) c.kill();
  }
}
