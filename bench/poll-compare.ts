/**
 * Polling throughput on one reference server: rtbench (the whole runner), each poller
 * implementation alone in a process (bench/poll-variant.ts), autocannon and wrk (when installed;
 * one thread, as the others use one process), 50 connections, 10 s each, in alternating order,
 * then the medians, each tool's own CPU time per request (what it leaves to a server on the same
 * machine) and the server's busiest second of CPU during each tool's runs. The machine is
 * shared and noisy, so only the medians of one invocation compare; absolute figures across
 * invocations do not.
 *
 *   node dist/bench/poll-compare.js [runs=3] [tools=rtbench,raw,undici,autocannon,wrk]
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmark } from '../src/load/runner.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { buildPlan } from '../src/scenario/options.js';
import { installAutocannon, runAutocannon, runSampled, runWrk } from './peers.js';
import { withServerCpu } from './server-cpu.js';

const CONNECTIONS = 50;
const SECONDS = 10;
const WARMUP_SECONDS = 3;
const ALL_TOOLS = ['rtbench', 'raw', 'undici', 'autocannon', 'wrk'];
const runs = Math.min(20, Math.max(1, Number(process.argv[2] ?? 3) || 3));
const wanted = (process.argv[3] ?? ALL_TOOLS.join(',')).split(',').filter((t) => ALL_TOOLS.includes(t));
const VARIANT_SCRIPT = fileURLToPath(new URL('./poll-variant.js', import.meta.url));
const log = (s: string) => process.stderr.write(`[poll-compare] ${s}\n`);

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
  /** the tool's own CPU time per request, µs (null where it runs in this process) */
  cpuUs: number | null;
}

async function rtbench(url: string): Promise<Outcome> {
  const plan = buildPlan({ protocols: 'polling', quiet: true, target: url, clients: CONNECTIONS, pollInterval: 0, duration: `${SECONDS}s`, ramp: '0ms', rate: '1/s', metrics: 'none', workers: 1 });
  const r = (await runBenchmark(plan, { onProgress: () => {} })).protocols[0];
  return { rate: r.requestRate ?? 0, errors: r.errors, cpuUs: null };
}

/** One poller implementation in a child process (the flags rtbench's client workers get). */
async function variant(name: string, url: string): Promise<Outcome> {
  const r = await runSampled(process.execPath, ['--max-semi-space-size=4', VARIANT_SCRIPT, name, url, String(CONNECTIONS), String(SECONDS)], { timeoutMs: (SECONDS + 60) * 1000 });
  if (r.code !== 0) throw new Error(`variant ${name} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { requests: number; seconds: number; errors: number };
  return { rate: j.requests / j.seconds, errors: j.errors, cpuUs: (r.cpuSeconds / j.requests) * 1e6 };
}

async function main(): Promise<void> {
  // The same scratch directory as the full bench, so either reuses the other's install.
  const autocannon = wanted.includes('autocannon') ? installAutocannon(join(tmpdir(), 'rtbench-bench-peers'), log) : null;
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
        return runAutocannon(autocannon!, url, CONNECTIONS, SECONDS).then((r) => ({ rate: r.requestsPerSec, errors: r.errors, cpuUs: (r.cpuSeconds / r.total) * 1e6 }));
      case 'wrk':
        return runWrk(wrk!, url, CONNECTIONS, SECONDS, 1).then((r) => ({ rate: r.requestsPerSec, errors: 0, cpuUs: r.total ? (r.cpuSeconds / r.total) * 1e6 : null }));
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
        log(`run ${i}/${runs} ${tool.padEnd(10)} ${Math.round(r.rate).toLocaleString('en-US')} req/s (${r.errors} errors${cpu}${mine})`);
      }
    }
  } finally {
    await server.close();
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const reference = rates.get('autocannon')?.length ? median(rates.get('autocannon')!) : null;
  const lines = [`polling, ${CONNECTIONS} connections, ${SECONDS} s, ${runs} runs in rotating order, median req/s`];
  lines.push(
    '| tool | median req/s | runs | vs autocannon | own CPU µs/req (median) | server CPU (busiest s, median) |',
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
