/**
 * Client memory per connection, every tool measured the same way: each runs as a child process
 * holding N connections to the same reference server, and the peak RSS of its whole process tree
 * is sampled. Memory per connection is the slope between a small and a large run, so each tool's
 * fixed cost (runtime, modules, a grown young generation) cancels out instead of being spread over
 * clients. The floor is a process holding bare idle TCP sockets (hold-sockets.ts): what any
 * client must pay per connection; every rtbench protocol is shown as a multiple of it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionsPerProcess } from '../src/load/capacity.js';
import { readFdLimits } from '../src/load/fd-limit.js';
import { httpProbe } from '../src/load/server-probe.js';
import type { RunResults } from '../src/results/schema.js';
import { runArtilleryWs, runSampled } from './peers.js';

const RTBENCH_BIN = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));
const HOLD_SOCKETS = fileURLToPath(new URL('./hold-sockets.js', import.meta.url));

export type MemoryToolId = 'floor' | 'websocket' | 'sse' | 'long-polling' | 'polling' | 'artillery';
const RTBENCH_PROTOCOLS = ['websocket', 'sse', 'long-polling', 'polling'] as const;

export interface MemoryRun {
  size: number;
  /**
   * connections held: for rtbench and Artillery the peak of the server's open connections of that
   * protocol; for the floor, the sockets still open at the end of the hold (the server does not
   * count a connection that never sent a request)
   */
  held: number;
  /** peak RSS of the tool's process tree */
  peakRss: number;
  exitCode: number | null;
  /** rtbench only: events its clients lost */
  lost?: number;
  /** rtbench only, from its results: its own heap per client and its run's bare-socket floor heap */
  heapPerClient?: number;
  floorHeapPerSocket?: number;
  /** Artillery: its error counters and failed virtual users, from its own report; the floor: socket errors */
  errors?: Record<string, number>;
  tail?: string;
}

export interface MemoryTool {
  tool: MemoryToolId;
  runs: MemoryRun[];
  /** (large peak RSS − small peak RSS) ÷ (large held − small held); null when not measurable */
  rssPerConnection: number | null;
  /** rssPerConnection ÷ the floor's; null without either */
  floorMultiple: number | null;
}

export interface ClientMemoryComparison {
  sizes: number[];
  rampS: number;
  holdS: number;
  /** the event rate every rtbench run published at (rtbench's --rate) */
  rate: string;
  /** rtbench polling's --poll-interval */
  pollInterval: string;
  serverProcesses: number;
  /** server addresses the connections were spread over */
  destinations: number;
  /** processes the floor's sockets were held in (the same at every size) */
  floorProcesses: number;
  tools: MemoryTool[];
}

/** Samples the server's open connections of one protocol; `peak` is the highest seen. */
function connectionPeak(url: string, protocol: string) {
  const probe = httpProbe(url, '/metrics', {});
  let peak = 0;
  let busy = false;
  return {
    sample: () => {
      if (busy) return;
      busy = true;
      void probe.sample(false).then((m) => {
        peak = Math.max(peak, m?.connections[protocol] ?? 0);
        busy = false;
      });
    },
    get peak() {
      return peak;
    },
  };
}

interface Setup {
  urls: string[];
  serverProcesses: number;
  rampS: number;
  holdS: number;
  rate: string;
  pollInterval: string;
  scratch: string;
  floorProcesses: number;
}

const timeoutMs = (o: Setup) => (o.rampS + o.holdS + 120) * 1000;
const failed = (r: { code: number | null; stdout: string; stderr: string }) =>
  r.code === 0 ? {} : { tail: (r.stdout + r.stderr).slice(-1500) };

async function floorRun(o: Setup, size: number): Promise<MemoryRun> {
  const args = [HOLD_SOCKETS, o.urls.join(','), ...[size, o.rampS, o.holdS, o.floorProcesses].map(String)];
  const r = await runSampled(process.execPath, args, { timeoutMs: timeoutMs(o) });
  let held = 0;
  let errors: Record<string, number> = {};
  try {
    type Summary = { held: number; closedEarly: number; errors: number };
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Summary;
    held = out.held;
    const counts = { 'socket errors': out.errors, 'closed early': out.closedEarly };
    errors = Object.fromEntries(Object.entries(counts).filter(([, v]) => v));
  } catch {
    // no summary line: the run failed; its exit code and output say why
  }
  return { size, held, peakRss: r.peakRss, exitCode: r.code, errors, ...failed(r) };
}

async function rtbenchRun(o: Setup, protocol: (typeof RTBENCH_PROTOCOLS)[number], size: number): Promise<MemoryRun> {
  const out = join(o.scratch, `rtbench-${protocol}-${size}.json`);
  const seen = connectionPeak(o.urls[0], protocol);
  const args = [RTBENCH_BIN, 'run', '--protocols', protocol, '--target', o.urls[0], '--clients', String(size)];
  if (o.urls.length > 1) args.push('--target-addresses', o.urls.map((u) => new URL(u).hostname).join(','));
  args.push('--ramp', `${o.rampS}s`, '--duration', `${o.holdS}s`, '--rate', o.rate, '--quiet', '--out', out);
  if (protocol === 'polling') args.push('--poll-interval', o.pollInterval);
  const r = await runSampled(process.execPath, args, { timeoutMs: timeoutMs(o), onSample: seen.sample });
  let own: Pick<MemoryRun, 'lost' | 'heapPerClient' | 'floorHeapPerSocket'> = {};
  try {
    const p = (JSON.parse(readFileSync(out, 'utf8')) as RunResults).protocols[0];
    own = {
      lost: p?.lost,
      heapPerClient: p?.client?.heapPerClient,
      floorHeapPerSocket: p?.generator?.socketFloor?.heapPerSocket,
    };
  } catch {
    // no results file: the run failed; its exit code and output say why
  }
  return { size, held: seen.peak, peakRss: r.peakRss, exitCode: r.code, ...own, ...failed(r) };
}

async function artilleryRun(o: Setup, bin: string, size: number): Promise<MemoryRun> {
  const seen = connectionPeak(o.urls[0], 'websocket');
  // Artillery has one target: past one destination's ports it runs out of them, as it would anywhere.
  const wsUrl = o.urls[0].replace(/^http/, 'ws') + '/ws';
  const r = await runArtilleryWs(bin, o.scratch, wsUrl, size, o.rampS, o.holdS, seen.sample);
  const tail = r.code === 0 ? {} : { tail: r.output };
  return { size, held: seen.peak, peakRss: r.peakRss, exitCode: r.code, errors: r.errors, ...tail };
}

function slope(runs: MemoryRun[]): number | null {
  const [small, large] = [runs[0], runs[runs.length - 1]];
  if (!small || !large || large.held - small.held < 100) return null;
  return (large.peakRss - small.peakRss) / (large.held - small.held);
}

/**
 * Runs every tool at each size in turn (small, then large) against the server at `urls` (its
 * addresses); the floor first, Artillery last (it closes with FINs, leaving client ports in
 * TIME_WAIT for a minute; the others reset).
 */
export async function compareClientMemory(o: {
  urls: string[];
  serverProcesses: number;
  artillery: string | null;
  sizes: number[];
  rampS: number;
  holdS: number;
  rate: string;
  pollInterval: string;
  log: (s: string) => void;
}): Promise<ClientMemoryComparison> {
  const scratch = mkdtempSync(join(tmpdir(), 'rtbench-client-memory-'));
  // As many processes as the largest size needs under the open-file limit, at every size: the
  // processes' fixed cost then cancels out of the slope.
  const floorProcesses = Math.ceil(Math.max(...o.sizes) / connectionsPerProcess(readFdLimits().soft));
  const setup: Setup = { ...o, scratch, floorProcesses };
  const tools: MemoryTool[] = [];
  const measure = async (tool: MemoryToolId, one: (size: number) => Promise<MemoryRun>) => {
    const runs: MemoryRun[] = [];
    for (const size of o.sizes) {
      o.log(`client memory: ${tool} with ${size} connections …`);
      runs.push(await one(size));
    }
    tools.push({ tool, runs, rssPerConnection: slope(runs), floorMultiple: null });
  };
  try {
    await measure('floor', (n) => floorRun(setup, n));
    for (const p of RTBENCH_PROTOCOLS) await measure(p, (n) => rtbenchRun(setup, p, n));
    if (o.artillery) await measure('artillery', (n) => artilleryRun(setup, o.artillery!, n));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const floor = tools[0].rssPerConnection;
  for (const t of tools) {
    t.floorMultiple = floor && floor > 0 && t.rssPerConnection !== null ? t.rssPerConnection / floor : null;
  }
  const { sizes, rampS, holdS, rate, pollInterval, serverProcesses } = o;
  const destinations = o.urls.length;
  return { sizes, rampS, holdS, rate, pollInterval, serverProcesses, destinations, floorProcesses, tools };
}
