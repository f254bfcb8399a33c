/**
 * `npm run bench`: rtbench at scale on this machine, and against its peers on the same reference
 * server, in one run. Writes reports/bench.json and reports/bench.md. Not a test: it takes minutes
 * and its figures depend on the machine; the goals it reports are checked here, not in npm test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, machineInfo } from '../src/load/runner.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { buildPlan, type RawRunOptions } from '../src/scenario/options.js';
import type { ProtocolResult } from '../src/results/schema.js';
import { installPeers, runAutocannon, runWrk } from './peers.js';
import { compareWebSocketMemory } from './ws-memory.js';
import { withServerCpu } from './server-cpu.js';
import { renderBenchMarkdown, type BenchReport, type ScaleStep } from './markdown.js';

const STEPS = (process.env.RTBENCH_BENCH_STEPS ?? '5000,10000,20000').split(',').map(Number);
const HOLD = '30s';
/**
 * Connections opened per second during a scale step's ramp, below what the clients reach on 2
 * cores: WebSocket connects ~4,000/s here; SSE ~450–1,400/s (an eventsource client is a fetch
 * each), and ramping 20,000 SSE clients at 2,000/s or 800/s starved the workers' event loops
 * until the server's 10 s header timeout answered 408 to requests not yet written.
 */
const RAMP_PER_SECOND = { websocket: 2000, sse: 400 } as const;
const POLL_CONNECTIONS = 50;
const POLL_SECONDS = 10;
// rtbench and Artillery hold this many WebSocket connections each; memory per connection is the slope.
const WS_MEMORY_SIZES = [2_000, 20_000];
const started = Date.now();
const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${s}\n`);

async function run(protocol: string, o: RawRunOptions): Promise<ProtocolResult> {
  const results = await runBenchmark(buildPlan({ protocols: protocol, quiet: true, ...o }), { onProgress: () => {} });
  return results.protocols[0];
}

/** Steps up the clients of one push protocol; stops at the first step that is not held cleanly. */
async function scale(protocol: 'websocket' | 'sse'): Promise<ScaleStep[]> {
  const steps: ScaleStep[] = [];
  for (const clients of STEPS) {
    log(`${protocol}: ${clients} clients, held ${HOLD} …`);
    const r = await run(protocol, { clients, duration: HOLD, ramp: `${Math.max(1, clients / RAMP_PER_SECOND[protocol])}s`, rate: '1/s' });
    const held = r.connectedPeak === clients && r.lost === 0 && r.disconnects === 0 && !r.partial && r.delivered > 0;
    const why = held ? null : whyNot(r, clients);
    steps.push({ protocol, clients, held, why, result: r });
    log(`${protocol}: ${clients} → ${held ? 'held' : `failed: ${why}`}`);
    if (!held) break;
  }
  return steps;
}

function whyNot(r: ProtocolResult, clients: number): string {
  const kinds = Object.entries(r.errorsByType).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ×${v}`).join(', ');
  const parts = [];
  if (r.connectedPeak < clients) parts.push(`${r.connectedPeak} of ${clients} connected`);
  if (r.lost) parts.push(`${r.lost} events lost`);
  if (r.disconnects) parts.push(`${r.disconnects} disconnects`);
  if (kinds) parts.push(`errors: ${kinds}`);
  return parts.join('; ') || 'partial run';
}

/** Mean deliveries per second over the whole seconds of the hold (the ramp's and the settle's seconds left out). */
function deliveredPerSecond(r: ProtocolResult, rampS: number, holdS: number): number {
  const hold = r.timeline.filter((p) => p.t >= Math.ceil(rampS) + 1 && p.t < rampS + holdS);
  return hold.length ? hold.reduce((n, p) => n + p.count, 0) / hold.length : 0;
}

async function main(): Promise<void> {
  const report: BenchReport = { startedAt: new Date().toISOString(), finishedAt: '', durationS: 0, machine: machineInfo(), notes: [], scale: [], fanout: null, polling: null, wsMemory: null };
  const peers = installPeers(join(tmpdir(), 'rtbench-bench-peers'), log);
  report.notes.push(...peers.notes);

  for (const protocol of ['websocket', 'sse'] as const) report.scale.push(...(await scale(protocol)));

  log('fan-out: 10,000 WebSocket clients × 20 events/s …');
  const fan = await run('websocket', { clients: 10_000, duration: '15s', ramp: '5s', rate: '20/s' });
  report.fanout = { clients: 10_000, rate: 20, deliveredPerSec: deliveredPerSecond(fan, 5, 15), result: fan };

  // One reference server for every polling tool, so they are measured against the same thing.
  const server = await startBundledServer({ host: '127.0.0.1', port: 0 }, 1);
  try {
    log(`polling at max rate: rtbench, autocannon, wrk with ${POLL_CONNECTIONS} connections for ${POLL_SECONDS} s each …`);
    // A fresh server runs its first seconds unoptimised; that would fall on whichever tool goes first.
    if (peers.autocannon) await runAutocannon(peers.autocannon, `${server.url}/poll`, POLL_CONNECTIONS, 3).catch(() => null);
    // One client process, as autocannon runs: on 2 cores a second one would only take CPU from the server.
    const rtRun = await withServerCpu(server.url, () => run('polling', { target: server.url, clients: POLL_CONNECTIONS, pollInterval: 0, duration: `${POLL_SECONDS}s`, ramp: '0ms', rate: '1/s', metrics: 'none', workers: 1 }));
    const rt = rtRun.value;
    const acRun = peers.autocannon ? await withServerCpu(server.url, () => runAutocannon(peers.autocannon!, `${server.url}/poll`, POLL_CONNECTIONS, POLL_SECONDS).catch((e: Error) => ({ error: e.message }))) : null;
    const wrkRun = peers.wrk ? await withServerCpu(server.url, () => runWrk(peers.wrk!, `${server.url}/poll`, POLL_CONNECTIONS, POLL_SECONDS, 2).catch((e: Error) => ({ error: e.message }))) : null;
    const ac = acRun?.value ?? null;
    const wrk = wrkRun?.value ?? null;
    const serverCpu = { rtbench: rtRun.serverCpu, autocannon: acRun?.serverCpu ?? null, wrk: wrkRun?.serverCpu ?? null };
    report.polling = { connections: POLL_CONNECTIONS, seconds: POLL_SECONDS, rtbench: { requestsPerSec: rt.requestRate ?? 0, requests: rt.requests, errors: rt.errors, workers: rt.layout?.workers ?? 0 }, autocannon: ac, wrk, serverCpu };

  } finally {
    await server.close();
  }

  // Two server processes: 20,000 connections do not fit under one process's open-file limit.
  const wsServer = await startBundledServer({ host: '127.0.0.1', port: 0 }, 2);
  try {
    report.wsMemory = await compareWebSocketMemory({ serverUrl: wsServer.url, serverProcesses: 2, artillery: peers.artillery, sizes: WS_MEMORY_SIZES, rampS: 10, holdS: 15, log });
  } finally {
    await wsServer.close();
  }

  report.finishedAt = new Date().toISOString();
  report.durationS = (Date.now() - started) / 1000;
  mkdirSync('reports', { recursive: true });
  writeFileSync('reports/bench.json', JSON.stringify(report, (k, v) => (k === 'hdr' || k === 'timeline' ? undefined : v), 2) + '\n');
  writeFileSync('reports/bench.md', renderBenchMarkdown(report));
  log(`wrote reports/bench.md and reports/bench.json in ${report.durationS.toFixed(0)} s`);
  process.stdout.write(renderBenchMarkdown(report));
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
