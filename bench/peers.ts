/**
 * The peers rtbench is compared with, installed into a scratch directory (never dependencies of
 * rtbench) and run as child processes against the same reference server.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Peers {
  autocannon: string | null;
  artillery: string | null;
  wrk: string | null;
  notes: string[];
}

/**
 * Installs those of `pkgs` whose binary is missing in `dir` with npm (install scripts off:
 * artillery would fetch a browser); `bin` gives each installed binary, or null.
 */
function installNpmPeers(
  dir: string,
  pkgs: string[],
  log: (s: string) => void,
): { bin(pkg: string): string | null; failure: string | null } {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, 'node_modules', '.bin', name);
  const missing = pkgs.filter((p) => !existsSync(path(p)));
  let failure: string | null = null;
  if (missing.length) {
    log(`installing ${missing.join(' and ')} into ${dir} …`);
    const r = spawnSync(
      'npm',
      ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...missing],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
        timeout: 300_000,
      },
    );
    if (r.status !== 0) failure = `npm install of ${missing.join('/')} failed (exit ${r.status}).`;
  }
  return { bin: (pkg) => (existsSync(path(pkg)) ? path(pkg) : null), failure };
}

/**
 * How the bench gets its peers: install (default) fetches missing ones with npm and apt-get;
 * installed uses only those already in the scratch directory or on PATH (a machine without a
 * registry); none runs without them (their rows and goals say not measured).
 */
export type PeerMode = 'install' | 'installed' | 'none';

/** Installs autocannon and artillery with npm, and wrk with apt-get when possible (per `mode`). */
export function installPeers(dir: string, mode: PeerMode, log: (s: string) => void): Peers {
  if (mode === 'none') {
    return { autocannon: null, artillery: null, wrk: null, notes: ['Peers skipped (RTBENCH_BENCH_PEERS=none).'] };
  }
  const notes: string[] = [];
  const npm = mode === 'install' ? installNpmPeers(dir, ['autocannon', 'artillery'], log) : npmPeersIn(dir);
  if (npm.failure) notes.push(npm.failure);
  let wrk = which('wrk');
  if (!wrk && mode === 'install' && process.getuid?.() === 0 && which('apt-get')) {
    log('installing wrk with apt-get …');
    spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'ignore', timeout: 180_000 });
    wrk = which('wrk');
  }
  if (!wrk) {
    const why = mode === 'install' ? ' and could not be installed here (needs apt-get and root)' : '';
    notes.push(`wrk is not installed${why}; its column is empty.`);
  }
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
        .version;
    } catch {
      return null;
    }
  };
  for (const pkg of ['autocannon', 'artillery']) {
    notes.push(version(pkg) ? `${pkg} ${version(pkg)} from npm.` : `${pkg}: not installed; its rows are empty.`);
  }
  if (wrk) notes.push(`wrk: ${wrkVersion(wrk)}.`);
  return { autocannon: npm.bin('autocannon'), artillery: npm.bin('artillery'), wrk, notes };
}

/** The npm peers already in `dir`, installing nothing. */
function npmPeersIn(dir: string): { bin(pkg: string): string | null; failure: null } {
  const path = (name: string) => join(dir, 'node_modules', '.bin', name);
  return { bin: (pkg) => (existsSync(path(pkg)) ? path(pkg) : null), failure: null };
}

/** Installs only autocannon (if missing) into `dir`; returns its binary, or null when that failed. */
export function installAutocannon(dir: string, log: (s: string) => void): string | null {
  return installNpmPeers(dir, ['autocannon'], log).bin('autocannon');
}

function which(cmd: string): string | null {
  try {
    return execFileSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function wrkVersion(wrk: string): string {
  const r = spawnSync(wrk, ['-v'], { encoding: 'utf8' });
  return (r.stdout + r.stderr).split('\n')[0].trim();
}

/**
 * Runs a command to its end (killed after `timeoutMs`), sampling the RSS of its whole process tree
 * and its CPU time (`cpuSeconds`: user + system, as of the last sample, up to 250 ms before the end).
 */
export function runSampled(
  cmd: string,
  args: string[],
  o: { timeoutMs: number; env?: NodeJS.ProcessEnv; onSample?: () => void },
): Promise<{ code: number | null; stdout: string; stderr: string; peakRss: number; cpuSeconds: number }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    let cpuSeconds = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const sampler = setInterval(() => {
      if (child.pid) {
        peakRss = Math.max(peakRss, treeRss(child.pid));
        cpuSeconds = Math.max(cpuSeconds, treeCpuSeconds(child.pid));
      }
      o.onSample?.();
    }, 250);
    const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(killer);
      resolve({ code, stdout, stderr, peakRss, cpuSeconds });
    });
  });
}

let clockTicks = 0;

/** CPU seconds (user + system) used so far by a process and its descendants, from /proc. */
export function treeCpuSeconds(root: number): number {
  if (!clockTicks) clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  for (const pid of treePids(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm) ": state is [0], utime [11], stime [12].
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / clockTicks;
}

/** A process and all its descendants, from /proc. */
function treePids(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter(inTree);
}

/** RSS in bytes of a process and all its descendants, from /proc. */
export function treeRss(root: number): number {
  let sum = 0;
  for (const pid of treePids(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return sum;
}

/** autocannon's request rate: total 2xx answers over the run's duration. */
export async function runAutocannon(bin: string, url: string, connections: number, seconds: number) {
  const r = await runSampled(bin, ['-c', String(connections), '-d', String(seconds), '-j', '-n', url], {
    timeoutMs: (seconds + 60) * 1000,
  });
  const j = JSON.parse(r.stdout) as {
    requests: { total: number; average: number };
    duration: number;
    '2xx': number;
    errors: number;
    latency: { p99: number };
  };
  return {
    requestsPerSec: j['2xx'] / j.duration,
    total: j['2xx'],
    errors: j.errors,
    p99Ms: j.latency.p99,
    peakRss: r.peakRss,
    cpuSeconds: r.cpuSeconds,
  };
}

/** wrk's own "Requests/sec" line. */
export async function runWrk(bin: string, url: string, connections: number, seconds: number, threads: number) {
  const r = await runSampled(bin, [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    timeoutMs: (seconds + 60) * 1000,
  });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const unit = { us: 0.001, ms: 1, s: 1000 } as Record<string, number>;
  if (!rps) throw new Error(`wrk printed no rate: ${r.stdout}${r.stderr}`);
  const total = /(\d+) requests in/.exec(r.stdout);
  return {
    requestsPerSec: Number(rps[1]),
    total: total ? Number(total[1]) : null,
    p99Ms: p99 ? Number(p99[1]) * unit[p99[2]] : null,
    peakRss: r.peakRss,
    cpuSeconds: r.cpuSeconds,
  };
}

/**
 * Artillery's WebSocket engine: `vus` virtual users arrive over `arriveS` seconds, each opens a
 * WebSocket and holds it for `holdS` seconds. Returns the peak RSS of artillery's process tree.
 */
export async function runArtilleryWs(
  bin: string,
  dir: string,
  wsUrl: string,
  vus: number,
  arriveS: number,
  holdS: number,
  onSample: () => void,
) {
  const script = join(dir, `ws-${vus}.yml`);
  writeFileSync(
    script,
    [
      'config:',
      `  target: "${wsUrl}"`,
      '  phases:',
      `    - duration: ${arriveS}`,
      `      arrivalCount: ${vus}`,
      'scenarios:',
      '  - engine: ws',
      '    flow:',
      `      - think: ${holdS}`,
      '',
    ].join('\n'),
  );
  // Telemetry off: the bench talks to loopback only.
  const env = { ARTILLERY_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: '1', ARTILLERY_NO_UPDATE_CHECK: '1' };
  const reportFile = join(dir, `ws-${vus}-report.json`);
  const r = await runSampled(bin, ['run', '--quiet', '--output', reportFile, script], {
    timeoutMs: (arriveS + holdS + 90) * 1000,
    env,
    onSample,
  });
  return {
    code: r.code,
    peakRss: r.peakRss,
    output: (r.stdout + r.stderr).slice(-2000),
    errors: artilleryErrors(reportFile),
  };
}

/** Artillery's own error counters (errors.<code>) and failed virtual users, from its JSON report. */
function artilleryErrors(reportFile: string): Record<string, number> {
  try {
    const counters =
      (JSON.parse(readFileSync(reportFile, 'utf8')) as { aggregate?: { counters?: Record<string, number> } }).aggregate
        ?.counters ?? {};
    return Object.fromEntries(
      Object.entries(counters).filter(([k]) => k.startsWith('errors.') || k === 'vusers.failed'),
    );
  } catch {
    return {};
  }
}
