/**
 * `npm run bench`: rtbench at scale on this machine, and against its peers on the same reference
 * server, in one run. Its fan-out run is followed by a floor at the same size, bare node:net sockets
 * (bench/fanout-floor.ts), so the report shows what the machine itself delivers and rtbench as a
 * multiple of it. Writes bench.json and bench.md into reports/ (RTBENCH_BENCH_OUT). Not a
 * test: it takes about 13 minutes and its figures depend on the machine; the goals it reports
 * are checked here, not in npm test. Smaller runs for checking the bench itself: see ENV below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, machineInfo } from '../src/load/runner.js';
import { startBundledServer } from '../src/load/bundled-server.js';
import { extraLoopbackDestinations } from '../src/load/source-addresses.js';
import { atHost } from '../src/protocols/instances.js';
import { buildPlan, type RawRunOptions } from '../src/scenario/options.js';
import { parseDuration } from '../src/scenario/units.js';
import type { ProtocolResult } from '../src/results/schema.js';
import { installPeers, runAutocannon, runWrk, type Peers, type PeerMode } from './peers.js';
import { compareClientMemory } from './client-memory.js';
import { withServerCpu } from './server-cpu.js';
import { measureFanoutFloor, type FanoutFloor } from './fanout-floor.js';
import { renderBenchMarkdown, type BenchReport, type ScaleStep } from './markdown.js';

const list = (v: string | undefined, fallback: string) =>
  (v || fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const ENV = process.env;
/** Clients per scale step (WebSocket, then SSE); the goal is about 50,000. */
const STEPS = list(ENV.RTBENCH_BENCH_STEPS, '5000,20000,50000').map(Number);
/** How long each scale step holds its clients after the ramp. */
const HOLD = ENV.RTBENCH_BENCH_HOLD || '30s';
/**
 * Connections opened per second during a scale step's ramp (the same at every step, so connect
 * rates compare across sizes): 2,000/s for both. SSE used to ramp at 1,000/s because at 2,000/s
 * 50,000 clients were not all connected by the end of the ramp + 10 s; the cause was the bundled
 * cluster's round-robin hand-off (each server process took one connection at a time from the
 * primary, and a process busy fanning out an event held up its queue, connect p99 5-32 s). Each
 * server process now listens on addresses of its own, and 50,000 SSE clients connect at 2,000/s.
 * A step whose ramp falls behind fails with the loop delay and connected count in its reason.
 */
const RAMP_PER_SECOND = { websocket: 2000, sse: 2000 } as const;
/** WebSocket clients of the fan-out run, each receiving FANOUT_RATE events per second. */
const FANOUT_CLIENTS = Number(ENV.RTBENCH_BENCH_FANOUT || 10_000);
const FANOUT_RATE = 20;
const FANOUT_HOLD_S = 15;
const POLL_CONNECTIONS = 50;
const POLL_SECONDS = 10;
/** Connections each tool holds in the client-memory comparison; memory per connection is the slope. */
const MEMORY_SIZES = list(ENV.RTBENCH_BENCH_MEMORY_SIZES, '2000,20000').map(Number);
const MEMORY_RAMP_S = 10;
const MEMORY_HOLD_S = 15;
/**
 * Events in the client-memory comparison: one every 5 s. A long-polling client sends a request per
 * event, so 20,000 of them at 1/s would be 20,000 requests/s — all the reference server serves at
 * full CPU; the comparison wants connections held, not a request flood. Polling asks every 5 s
 * likewise: both then make 4,000 requests/s at 20,000 clients.
 */
const MEMORY_RATE = '12/m';
const MEMORY_POLL_INTERVAL = '5s';
/** Sections to run (all by default): scale, fanout (with its bare-socket floor), polling, memory. */
const SECTIONS = new Set(list(ENV.RTBENCH_BENCH_ONLY, 'scale,fanout,polling,memory'));
/** install (default): npm/apt-get fetch missing peers; installed: use only those already there; none. */
const PEERS = (ENV.RTBENCH_BENCH_PEERS || 'install') as PeerMode;
const OUT_DIR = ENV.RTBENCH_BENCH_OUT || 'reports';

const started = Date.now();
const log = (s: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);

type Run = { result: ProtocolResult; partialReason: string | null };

async function run(protocol: string, o: RawRunOptions): Promise<Run> {
  const results = await runBenchmark(buildPlan({ protocols: protocol, quiet: true, ...o }), { onProgress: () => {} });
  return { result: results.protocols[0], partialReason: results.partialReason };
}

/** Steps up the clients of one push protocol; stops at the first step that is not held cleanly. */
async function scale(protocol: 'websocket' | 'sse'): Promise<ScaleStep[]> {
  const steps: ScaleStep[] = [];
  for (const clients of STEPS) {
    const rampS = Math.max(1, clients / RAMP_PER_SECOND[protocol]);
    log(`${protocol}: ${clients} clients, ramp ${rampS} s, held ${HOLD} …`);
    const options = { clients, duration: HOLD, ramp: `${rampS}s`, rate: '1/s' };
    const { result: r, partialReason } = await run(protocol, options);
    const held = r.connectedPeak === clients && r.lost === 0 && r.disconnects === 0 && !r.partial && r.delivered > 0;
    const why = held ? null : whyNot(r, clients, partialReason);
    steps.push({ protocol, clients, rampPerSecond: RAMP_PER_SECOND[protocol], held, why, result: r });
    log(`${protocol}: ${clients} → ${held ? 'held' : `failed: ${why}`}`);
    // Stop here: a larger step would fail too, and each takes minutes of a shared machine.
    if (!held) break;
  }
  return steps;
}

/** What was measured to go wrong in a step: connections, loss, errors, the run's own reason, the generator. */
function whyNot(r: ProtocolResult, clients: number, partialReason: string | null): string {
  const kinds = Object.entries(r.errorsByType)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  const parts = [];
  if (r.connectedPeak < clients) parts.push(`${r.connectedPeak} of ${clients} connected`);
  if (r.lost) parts.push(`${r.lost} events lost (${r.ramp?.lost ?? '?'} of them in the ramp)`);
  if (r.disconnects) parts.push(`${r.disconnects} disconnects`);
  if (kinds.length) parts.push(`errors: ${kinds.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  if (partialReason) parts.push(`run: ${partialReason}`);
  if (r.delivered === 0) parts.push('no event delivered');
  const g = r.generator;
  if (g?.saturated) parts.push(`generator saturated (worker loop p99 ${g.workerLoopDelayP99Ms} ms)`);
  return parts.join('; ') || 'partial run';
}

/** Mean deliveries per second over the whole seconds of the hold (the ramp's and the settle's seconds left out). */
function deliveredPerSecond(r: ProtocolResult, rampS: number, holdS: number): number {
  const hold = r.timeline.filter((p) => p.t >= Math.ceil(rampS) + 1 && p.t < rampS + holdS);
  return hold.length ? hold.reduce((n, p) => n + p.count, 0) / hold.length : 0;
}

/**
 * Bare sockets at the fan-out run's size, right after it: what this machine delivers before any
 * protocol. Same message size and client processes as rtbench's run; null (with a note) if it failed.
 */
async function fanoutFloor(report: BenchReport, rt: ProtocolResult): Promise<FanoutFloor | null> {
  const processes = rt.layout?.workers || 2;
  // Its WebSocket frames as they arrived; a run that delivered nothing has no size to copy.
  const messageBytes = rt.delivered && rt.bytes.inPerEvent >= 16 ? Math.round(rt.bytes.inPerEvent) : 280;
  log(`fan-out floor: bare node:net sockets, ${messageBytes} B, ${processes} client processes …`);
  try {
    const floor = await measureFanoutFloor({
      clients: FANOUT_CLIENTS,
      rate: FANOUT_RATE,
      holdS: FANOUT_HOLD_S,
      messageBytes,
      processes,
    });
    log(`fan-out floor: ${Math.round(floor.deliveredPerSec)} deliveries/s, ${floor.lost} lost`);
    return floor;
  } catch (e) {
    log(`fan-out floor failed: ${(e as Error).message}`);
    report.notes.push(`The fan-out floor (bare sockets) failed: ${(e as Error).message}.`);
    return null;
  }
}

async function polling(report: BenchReport, peers: Peers): Promise<void> {
  // One reference server for every polling tool, so they are measured against the same thing.
  const server = await startBundledServer({ host: '127.0.0.1', port: 0 }, 1);
  const url = `${server.url}/poll`;
  try {
    log(`polling at max rate: rtbench, autocannon, wrk, ${POLL_CONNECTIONS} connections for ${POLL_SECONDS} s each …`);
    // A fresh server runs its first seconds unoptimised; that would fall on whichever tool goes first.
    if (peers.autocannon) await runAutocannon(peers.autocannon, url, POLL_CONNECTIONS, 3).catch(() => null);
    // One client process, as autocannon runs: on 2 cores a second one would only take CPU from the server.
    const rtRun = await withServerCpu(server.url, () =>
      run('polling', {
        target: server.url,
        clients: POLL_CONNECTIONS,
        pollInterval: 0,
        duration: `${POLL_SECONDS}s`,
        ramp: '0ms',
        rate: '1/s',
        metrics: 'none',
        workers: 1,
      }),
    );
    const rt = rtRun.value.result;
    const fail = (e: Error) => ({ error: e.message });
    const acRun = peers.autocannon
      ? await withServerCpu(server.url, () =>
          runAutocannon(peers.autocannon!, url, POLL_CONNECTIONS, POLL_SECONDS).catch(fail),
        )
      : null;
    const wrkRun = peers.wrk
      ? await withServerCpu(server.url, () => runWrk(peers.wrk!, url, POLL_CONNECTIONS, POLL_SECONDS, 2).catch(fail))
      : null;
    report.polling = {
      connections: POLL_CONNECTIONS,
      seconds: POLL_SECONDS,
      rtbench: {
        requestsPerSec: rt.requestRate ?? 0,
        requests: rt.requests,
        errors: rt.errors,
        workers: rt.layout?.workers ?? 0,
        workerLoopDelayP99Ms: rt.generator?.workerLoopDelayP99Ms ?? null,
      },
      autocannon: acRun?.value ?? null,
      wrk: wrkRun?.value ?? null,
      serverCpu: { rtbench: rtRun.serverCpu, autocannon: acRun?.serverCpu ?? null, wrk: wrkRun?.serverCpu ?? null },
    };
  } finally {
    await server.close();
  }
}

async function clientMemory(report: BenchReport, peers: Peers): Promise<void> {
  // Two server processes: 20,000 connections do not fit under one process's open-file limit.
  // Past one destination's ephemeral ports, more loopback addresses, as rtbench run does itself.
  const extraHosts = extraLoopbackDestinations(Math.max(...MEMORY_SIZES));
  // The floor's sockets never send a request; the server's 10 s header timeout would close them
  // mid-hold. Every other tool sends its request at once, so the longer limit changes nothing for them.
  const headersTimeoutMs = (MEMORY_RAMP_S + MEMORY_HOLD_S + 60) * 1000;
  const server = await startBundledServer({ host: '127.0.0.1', port: 0, extraHosts, headersTimeoutMs }, 2);
  try {
    report.clientMemory = await compareClientMemory({
      urls: [server.url, ...extraHosts.map((h) => atHost(server.url, h))],
      serverProcesses: 2,
      artillery: peers.artillery,
      sizes: MEMORY_SIZES,
      rampS: MEMORY_RAMP_S,
      holdS: MEMORY_HOLD_S,
      rate: MEMORY_RATE,
      pollInterval: MEMORY_POLL_INTERVAL,
      log,
    });
  } finally {
    await server.close();
  }
}

/** The RTBENCH_BENCH_* variables this run was given: a report says when it is not the default run. */
function benchEnv(): Record<string, string> {
  // Where the report goes changes no figure.
  const set = (e: [string, string | undefined]): e is [string, string] =>
    e[0].startsWith('RTBENCH_BENCH_') && e[0] !== 'RTBENCH_BENCH_OUT' && !!e[1];
  return Object.fromEntries(Object.entries(ENV).filter(set));
}

async function main(): Promise<void> {
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    durationS: 0,
    machine: machineInfo(),
    loadAverage: loadavg()[0],
    holdS: parseDuration(HOLD) / 1000,
    env: benchEnv(),
    notes: [],
    scale: [],
    fanout: null,
    polling: null,
    clientMemory: null,
  };
  const peers = installPeers(join(tmpdir(), 'rtbench-bench-peers'), PEERS, log);
  report.notes.push(...peers.notes);

  if (SECTIONS.has('scale')) {
    for (const protocol of ['websocket', 'sse'] as const) report.scale.push(...(await scale(protocol)));
  }

  if (SECTIONS.has('fanout')) {
    const rampS = Math.max(1, FANOUT_CLIENTS / RAMP_PER_SECOND.websocket);
    log(`fan-out: ${FANOUT_CLIENTS} WebSocket clients × ${FANOUT_RATE} events/s …`);
    const { result } = await run('websocket', {
      clients: FANOUT_CLIENTS,
      duration: `${FANOUT_HOLD_S}s`,
      ramp: `${rampS}s`,
      rate: `${FANOUT_RATE}/s`,
    });
    report.fanout = {
      clients: FANOUT_CLIENTS,
      rate: FANOUT_RATE,
      holdS: FANOUT_HOLD_S,
      deliveredPerSec: deliveredPerSecond(result, rampS, FANOUT_HOLD_S),
      result,
      floor: await fanoutFloor(report, result),
    };
  }

  if (SECTIONS.has('polling')) await polling(report, peers);
  if (SECTIONS.has('memory')) await clientMemory(report, peers);

  report.finishedAt = new Date().toISOString();
  report.durationS = (Date.now() - started) / 1000;
  mkdirSync(OUT_DIR, { recursive: true });
  // Summaries only: histograms and per-second timelines would make the file megabytes.
  const json = JSON.stringify(report, (k, v: unknown) => (k === 'hdr' || k === 'timeline' ? undefined : v), 2);
  writeFileSync(join(OUT_DIR, 'bench.json'), json + '\n');
  const md = renderBenchMarkdown(report);
  writeFileSync(join(OUT_DIR, 'bench.md'), md);
  log(`wrote ${join(OUT_DIR, 'bench.md')} and bench.json in ${report.durationS.toFixed(0)} s`);
  process.stdout.write(md);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
