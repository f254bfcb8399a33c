/**
 * Polling throughput, rtbench against autocannon, on one reference server: alternating runs of
 * each (50 connections, 10 s, one client process), then the medians. The machine is shared and
 * noisy, so only the medians of one invocation compare; absolute figures across invocations do not.
 *
 *   node dist/bench/poll-compare.js [runs=3]
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark } from '../src/load/runner.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { buildPlan } from '../src/scenario/options.js';
import { installAutocannon, runAutocannon } from './peers.js';

const CONNECTIONS = 50;
const SECONDS = 10;
const WARMUP_SECONDS = 3;
const runs = Math.max(1, Number(process.argv[2] ?? 3) || 3);
const log = (s: string) => process.stderr.write(`[poll-compare] ${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function rtbench(url: string): Promise<{ rate: number; errors: number }> {
  const plan = buildPlan({ protocols: 'polling', quiet: true, target: url, clients: CONNECTIONS, pollInterval: 0, duration: `${SECONDS}s`, ramp: '0ms', rate: '1/s', metrics: 'none', workers: 1 });
  const r = (await runBenchmark(plan, { onProgress: () => {} })).protocols[0];
  return { rate: r.requestRate ?? 0, errors: r.errors };
}

async function main(): Promise<void> {
  // The same scratch directory as the full bench, so either reuses the other's install.
  const autocannon = installAutocannon(join(tmpdir(), 'rtbench-bench-peers'), log);
  if (!autocannon) throw new Error('autocannon could not be installed');
  const server = await startBundledServer({ host: '127.0.0.1', port: 0 }, 1);
  const rt: number[] = [];
  const ac: number[] = [];
  try {
    // A fresh server runs its first seconds unoptimised; that would fall on whichever tool goes first.
    log(`warming the server up (${WARMUP_SECONDS} s, not counted) …`);
    await runAutocannon(autocannon, `${server.url}/poll`, CONNECTIONS, WARMUP_SECONDS);
    for (let i = 1; i <= runs; i++) {
      // Alternate which tool goes first, so a drift in the machine's load favours neither.
      const order = i % 2 ? ['rtbench', 'autocannon'] : ['autocannon', 'rtbench'];
      for (const tool of order) {
        if (tool === 'rtbench') {
          const r = await rtbench(server.url);
          rt.push(r.rate);
          log(`run ${i}/${runs} rtbench    ${Math.round(r.rate).toLocaleString('en-US')} req/s (${r.errors} errors)`);
        } else {
          const r = await runAutocannon(autocannon, `${server.url}/poll`, CONNECTIONS, SECONDS);
          ac.push(r.requestsPerSec);
          log(`run ${i}/${runs} autocannon ${Math.round(r.requestsPerSec).toLocaleString('en-US')} req/s (${r.errors} errors)`);
        }
      }
    }
  } finally {
    await server.close();
  }
  const fmt = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ');
  const mr = median(rt);
  const ma = median(ac);
  process.stdout.write(
    [
      `polling, ${CONNECTIONS} connections, ${SECONDS} s, ${runs} alternating runs`,
      `rtbench    median ${Math.round(mr).toLocaleString('en-US')} req/s  [${fmt(rt)}]`,
      `autocannon median ${Math.round(ma).toLocaleString('en-US')} req/s  [${fmt(ac)}]`,
      `rtbench / autocannon: ${(mr / ma).toFixed(3)}`,
      '',
    ].join('\n'),
  );
}

main().catch((e) => {
  process.stderr.write(`poll-compare failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
