/**
 * Polling throughput on one reference server: rtbench (the whole runner), each poller
 * implementation alone in a process (bench/poll-variant.ts), autocannon and wrk (when installed;
 * one thread, as the others use one process), 50 connections, 10 s each, in alternating order,
 * then the medians, each tool's own CPU time per request (what it leaves to a server on the same
 * machine) and the server's CPU over each tool's runs. The machine is
 * shared and noisy, so only the medians of one invocation compare; absolute figures across
 * invocations do not.
 *
 *   node dist/bench/poll-compare.js [runs=3] [tools=rtbench,raw,undici,autocannon,wrk]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmark } from '../src/load/runner.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { buildPlan } from '../src/scenario/options.js';
import { installAutocannon, runAutocannon, runSampled, runWrk } from './peers.js';
import { httpProbe } from '../src/load/server-probe.js';

const CONNECTIONS = 50;
const SECONDS = 10;
const WARMUP_SECONDS = 3;
const ALL_TOOLS = ['rtbench', 'raw', 'undici', 'autocannon', 'wrk'];
const runs = Math.min(20, Math.max(1, Number(process.argv[2] ?? 3) || 3));
const wanted = (process.argv[3] ?? ALL_TOOLS.join(',')).split(',').filter((t) => ALL_TOOLS.includes(t));
const VARIANT_SCRIPT = fileURLToPath(new URL('./poll-variant.js', import.meta.url));
const log = (s: string) => process.stderr.write(`[poll-compare] ${s}\n`);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function which(cmd: string): string | null {
  try {
    return execFileSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

interface Outcome {
  rate: number;
  errors: number;
  /** the tool's own CPU time per request, µs */
  cpuUs: number | null;
}

/** CPU seconds of this process and of its children that ended (rtbench's client workers). */
function ownAndEndedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after "(comm) ": utime [11], stime [12], cutime [13], cstime [14], in clock ticks.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
}

/** The whole runner; its CPU is its worker's and this process's (the runner, a publisher at 1/s). */
async function rtbench(url: string): Promise<Outcome> {
  const plan = buildPlan({
    protocols: 'polling',
    quiet: true,
    target: url,
    clients: CONNECTIONS,
    pollInterval: 0,
    duration: `${SECONDS}s`,
    ramp: '0ms',
    rate: '1/s',
    metrics: 'none',
    workers: 1,
  });
  const cpu0 = ownAndEndedChildrenCpu();
  const r = (await runBenchmark(plan, { onProgress: () => {} })).protocols[0];
  const cpu = ownAndEndedChildrenCpu() - cpu0;
  return { rate: r.requestRate ?? 0, errors: r.errors, cpuUs: r.requests ? (cpu / r.requests) * 1e6 : null };
}

/** One poller implementation in a child process (the flags rtbench's client workers get). */
async function variant(name: string, url: string): Promise<Outcome> {
  const args = ['--max-semi-space-size=4', VARIANT_SCRIPT, name, url, String(CONNECTIONS), String(SECONDS)];
  const r = await runSampled(process.execPath, args, { timeoutMs: (SECONDS + 60) * 1000 });
  if (r.code !== 0) throw new Error(`variant ${name} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { requests: number; seconds: number; errors: number };
  return { rate: j.requests / j.seconds, errors: j.errors, cpuUs: (r.cpuSeconds / j.requests) * 1e6 };
}

/** The server's CPU time (µs) so far, from its /metrics. */
async function serverCpuMicros(url: string): Promise<number | null> {
  const m = await httpProbe(url, '/metrics', {}).sample(false);
  return m?.cpuMicros ? m.cpuMicros.user + m.cpuMicros.system : null;
}

/**
 * Runs `f`, and the server's CPU over the run as a share of one core (1 = one core busy the whole
 * time): read before and after, so one late /metrics answer cannot skew it as a per-second sample can.
 */
async function withServerCpu<T>(url: string, f: () => Promise<T>): Promise<{ value: T; serverCpu: number | null }> {
  const cpu0 = await serverCpuMicros(url);
  const t0 = performance.now();
  const value = await f();
  const t1 = performance.now();
  const cpu1 = await serverCpuMicros(url);
  return { value, serverCpu: cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / 1000 / (t1 - t0) : null };
}

async function main(): Promise<void> {
  // The same scratch directory as the full bench, so either reuses the other's install.
  const peersDir = join(tmpdir(), 'rtbench-bench-peers');
  const autocannon = wanted.includes('autocannon') ? installAutocannon(peersDir, log) : null;
  if (wanted.includes('autocannon') && !autocannon) throw new Error('autocannon could not be installed');
  const wrk = wanted.includes('wrk') ? which('wrk') : null;
  if (wanted.includes('wrk') && !wrk) log('wrk is not installed: its row is left out');
  const tools = wanted.filter((t) => t !== 'wrk' || wrk);
  const server = await startBundledServer({ host: '127.0.0.1', port: 0 }, 1);
  const rates = new Map<string, number[]>(tools.map((t) => [t, []]));
  const cpus = new Map<string, number[]>(tools.map((t) => [t, []]));
  const own = new Map<string, number[]>(tools.map((t) => [t, []]));
  const run = (tool: string): Promise<Outcome> => {
    const url = `${server.url}/poll`;
    switch (tool) {
      case 'rtbench':
        return rtbench(server.url);
      case 'autocannon':
        return runAutocannon(autocannon!, url, CONNECTIONS, SECONDS).then((r) => ({
          rate: r.requestsPerSec,
          errors: r.errors,
          cpuUs: (r.cpuSeconds / r.total) * 1e6,
        }));
      case 'wrk':
        return runWrk(wrk!, url, CONNECTIONS, SECONDS, 1).then((r) => ({
          rate: r.requestsPerSec,
          errors: 0,
          cpuUs: r.total ? (r.cpuSeconds / r.total) * 1e6 : null,
        }));
      default:
        return variant(tool, server.url);
    }
  };
  try {
    // A fresh server runs its first seconds unoptimised; that would fall on whichever tool goes first.
    log(`warming the server up (${WARMUP_SECONDS} s, not counted) …`);
    await variant('raw', server.url).catch(() => null);
    for (let i = 1; i <= runs; i++) {
      // Rotate which tool goes first, so a drift in the machine's load favours none.
      const order = tools.map((_, k) => tools[(k + i - 1) % tools.length]);
      for (const tool of order) {
        const { value: r, serverCpu } = await withServerCpu(server.url, () => run(tool));
        rates.get(tool)!.push(r.rate);
        if (serverCpu !== null) cpus.get(tool)!.push(serverCpu);
        if (r.cpuUs !== null) own.get(tool)!.push(r.cpuUs);
        const cpu = serverCpu === null ? '' : `, server CPU ${(serverCpu * 100).toFixed(0)} %`;
        const mine = r.cpuUs === null ? '' : `, own CPU ${r.cpuUs.toFixed(1)} µs/req`;
        log(`run ${i}/${runs} ${tool.padEnd(10)} ${fmt(r.rate)} req/s (${r.errors} errors${cpu}${mine})`);
      }
    }
  } finally {
    await server.close();
  }
  const reference = rates.get('autocannon')?.length ? median(rates.get('autocannon')!) : null;
  const lines = [`polling, ${CONNECTIONS} connections, ${SECONDS} s, ${runs} runs in rotating order, median req/s`];
  lines.push(
    '| tool | median req/s | runs | vs autocannon | own CPU µs/req (median) | server CPU over the run (median) |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
  );
  for (const tool of tools) {
    const xs = rates.get(tool)!;
    const m = median(xs);
    const cpu = cpus.get(tool)!.length ? `${(median(cpus.get(tool)!) * 100).toFixed(0)} %` : '–';
    const vs = reference ? `${(m / reference).toFixed(2)}×` : '–';
    const mine = own.get(tool)!.length ? median(own.get(tool)!).toFixed(1) : '–';
    lines.push(`| ${tool} | ${fmt(m)} | ${xs.map(fmt).join(', ')} | ${vs} | ${mine} | ${cpu} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`poll-compare failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
