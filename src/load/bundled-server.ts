import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { ServerOptions } from '../server/context.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../server/server-process.js', import.meta.url));

export interface BundledServer {
  url: string;
  /** server processes serving the port (more than one: a cluster fanning events out over IPC) */
  processes: number;
  close(): Promise<void>;
}

/** Starts the reference server in processes of its own (`processes` > 1: a cluster) and resolves with its URL. */
export function startBundledServer(options: Partial<ServerOptions>, processes = 1): Promise<BundledServer> {
  const child: ChildProcess = fork(SERVER_SCRIPT, [JSON.stringify(options), String(processes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bundled server exited at start (code ${code})`)));
    child.on('message', (m: { type: string; url?: string; message?: string }) => {
      if (m.type === 'failed') reject(new UsageError(m.message ?? 'bundled server failed to start'));
      if (m.type !== 'listening') return;
      resolve({
        url: m.url!,
        processes,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            if (child.connected) child.send({ type: 'close' });
            else child.kill();
          }),
      });
    });
  });
}
