import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/** This process's open-file limits, and the soft limit the processes rtbench starts will get. */
export interface FdLimits {
  soft: number;
  hard: number;
  /** soft limit of the worker and server processes rtbench starts (the hard limit when it could raise it) */
  effective: number;
  /** true when rtbench's children run with a higher soft limit than this process */
  raised: boolean;
}

const SHELL = '/bin/sh';
let cached: FdLimits | null = null;

/**
 * Node has no setrlimit, but a child inherits its parent's limits and `ulimit -n` may raise the
 * soft limit up to the hard limit without privileges. So rtbench reads both limits through a shell
 * (which inherits them from this process) and starts its children through `sh -c 'ulimit -n <hard>;
 * exec node …'`: the exec keeps the pid and the IPC channel, only the soft limit changes.
 */
export function readFdLimits(): FdLimits {
  if (cached) return cached;
  let soft = Infinity;
  let hard = Infinity;
  if (process.platform !== 'win32' && existsSync(SHELL)) {
    try {
      const [s, h] = execFileSync(SHELL, ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8', timeout: 5000 }).trim().split(/\s+/);
      soft = parseLimit(s);
      hard = parseLimit(h);
    } catch {
      // no shell we can ask: assume nothing about the limit
    }
  }
  const effective = Math.max(soft, Number.isFinite(hard) ? hard : soft);
  cached = { soft, hard, effective, raised: effective > soft };
  return cached;
}

function parseLimit(text: string | undefined): number {
  if (!text || text === 'unlimited') return Infinity;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}

/** Like child_process.fork, but the child's open-file soft limit is raised to the hard limit first. */
export function forkWithFdLimit(script: string, args: string[], options: Pick<SpawnOptions, 'env' | 'stdio'> & { serialization?: 'json' | 'advanced' }): ChildProcess {
  const limits = readFdLimits();
  const stdio = options.stdio ?? ['ignore', 'inherit', 'inherit', 'ipc'];
  if (!limits.raised) return spawn(process.execPath, [...process.execArgv, script, ...args], { ...options, stdio });
  // "$0" "$@" keep the arguments out of the shell's parsing; a failed ulimit still execs node.
  const line = `ulimit -n ${limits.hard} 2>/dev/null; exec "$0" "$@"`;
  return spawn(SHELL, ['-c', line, process.execPath, ...process.execArgv, script, ...args], { ...options, stdio });
}
