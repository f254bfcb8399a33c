import { createServer, type Socket } from 'node:net';
import { WorkerPool } from './worker-pool.js';
import { ACCEPT_BACKLOG } from '../server/server.js';

/** What one bare, idle TCP socket costs a client worker: the floor client costs are compared with. */
export interface SocketFloor {
  sockets: number;
  rssPerSocket: number;
  heapPerSocket: number;
  method: string;
}

/**
 * Measures the floor once per run: a fresh client worker process holds `count` bare TCP sockets
 * to a listener in this process (so the accepting side's memory is not in the reading, and no
 * traffic goes to a target), RSS and heap after a GC with and without them, divided by `count`.
 * Returns null when it cannot be measured (e.g. no sockets connected).
 */
export async function measureSocketFloor(count: number): Promise<SocketFloor | null> {
  const accepted = new Set<Socket>();
  const server = createServer((s) => {
    accepted.add(s);
    s.on('error', () => {});
    s.on('close', () => accepted.delete(s));
  });
  // All sockets connect at once: at the default backlog (511) the kernel drops SYNs and retries them a second later.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: ACCEPT_BACKLOG }, resolve));
  const pool = await WorkerPool.spawn(1);
  try {
    const port = (server.address() as { port: number }).port;
    const [r] = await pool.socketFloor('127.0.0.1', port, count);
    if (!r || r.sockets === 0) return null;
    return {
      ...r,
      method:
        `a client worker process holding ${r.sockets.toLocaleString('en-US')} bare idle TCP sockets ` +
        `(node:net): RSS and heap after a forced GC with them open, minus the same reading before, divided by ` +
        `the sockets`,
    };
  } catch {
    return null;
  } finally {
    pool.kill();
    for (const s of accepted) s.destroy();
    server.close();
  }
}
