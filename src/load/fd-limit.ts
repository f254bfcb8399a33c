import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** This process's open-file limits (Infinity when unlimited or unknown). */
export interface FdLimits {
  soft: number;
  hard: number;
}

const SHELL = '/bin/sh';
let cached: FdLimits | null = null;

/**
 * Node has no getrlimit/setrlimit API, but it raises its own soft open-file limit to the hard
 * limit when it starts (PlatformInit in node.cc), so every rtbench process, workers and server
 * processes included, already runs at the hard limit; a wrapper like `sh -c 'ulimit -n <hard>;
 * exec node …'` would change nothing. The hard limit can only be raised with privileges, so past
 * it rtbench adds processes. The limits are read through a shell, which inherits them from this
 * process.
 */
export function readFdLimits(): FdLimits {
  if (cached) return cached;
  cached = { soft: Infinity, hard: Infinity };
  if (process.platform !== 'win32' && existsSync(SHELL)) {
    try {
      const [s, h] = execFileSync(SHELL, ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8', timeout: 5000 })
        .trim()
        .split(/\s+/);
      cached = { soft: parseLimit(s), hard: parseLimit(h) };
    } catch {
      // no shell to ask: assume nothing about the limit
    }
  }
  return cached;
}

function parseLimit(text: string | undefined): number {
  if (!text || text === 'unlimited') return Infinity;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}
