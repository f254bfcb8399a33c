import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { ServerOptions } from '../server-core/context.js';
import { envWithTls } from '../server/tls.js';
import type { DropMode } from '../server-core/blackhole.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../server/server-process.js', import.meta.url));

export interface BundledServer {
  url: string;
  /** server processes serving the port (more than one: a cluster fanning events out over IPC) */
  processes: number;
  /**
   * Fault injection: the server closes that share of its client connections (or, `blackhole`, stops
   * reading and writing them without closing them); resolves with how many.
   */
  dropConnections(fraction: number, mode?: DropMode): Promise<number>;
  /** Fault injection: stops the server process and starts a fresh one on the same port. */
  restart(): Promise<void>;
  /** A fleet: kills one instance's process outright (SIGKILL), as a crash would. */
  killInstance?(): Promise<void>;
  /** every instance's URL when this is a fleet (the first receives the publishes) */
  instances?: string[];
  /** the process started for the server (the cluster primary when there are several) */
  pid?: number;
  close(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
}

function spawnServer(options: Partial<ServerOptions>, processes: number): Promise<Started> {
  // The key travels in the environment, not on the command line where `ps` shows it.
  const { tls, ...rest } = options;
  const child: ChildProcess = fork(SERVER_SCRIPT, [JSON.stringify(rest), String(processes)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: envWithTls(tls),
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bundled server exited at start (code ${code})`)));
    child.on('message', (m: { type: string; url?: string; port?: number; message?: string }) => {
      if (m.type === 'failed') reject(new UsageError(m.message ?? 'bundled server failed to start'));
      if (m.type === 'listening') resolve({ child, url: m.url!, port: m.port! });
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    if (child.connected) child.send({ type: 'close' });
    else child.kill();
  });
}

/**
 * Starts the reference server in a process of its own (`processes` > 1: the primary of a cluster)
 * and resolves with its URL.
 */
export async function startBundledServer(
  options: Partial<ServerOptions>,
  processes = 1,
): Promise<BundledServer & { kill(): Promise<void> }> {
  let current = await spawnServer(options, processes);
  const port = current.port;
  return {
    url: current.url,
    processes,
    get pid() {
      return current.child.pid;
    },
    dropConnections(fraction, mode) {
      const child = current.child;
      return new Promise((resolve) => {
        if (!child.connected) return resolve(0);
        const onMessage = (m: { type: string; count?: number }) => {
          if (m.type !== 'dropped') return;
          child.off('message', onMessage);
          resolve(m.count ?? 0);
        };
        child.on('message', onMessage);
        child.send({ type: 'drop', fraction, mode });
      });
    },
    async restart() {
      await stopServer(current.child);
      // Same port, so clients reconnect to the address they know; the new process starts empty.
      current = await spawnServer({ ...options, port }, processes);
    },
    close: () => stopServer(current.child),
    kill: () =>
      new Promise<void>((done) => {
        if (current.child.exitCode !== null || current.child.signalCode !== null) return done();
        current.child.once('exit', () => done());
        current.child.kill('SIGKILL');
      }),
  };
}
