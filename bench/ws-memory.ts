/**
 * WebSocket clients, rtbench against Artillery's ws engine, measured the same way for both: each
 * tool runs as a child process holding N connections to the same reference server; the peak RSS
 * of its whole process tree is sampled, and the server counts the connections it really held.
 * Memory per connection is the slope between a small and a large run, so each tool's fixed cost
 * (runtime, modules, a grown young generation) cancels out instead of being spread over clients.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpProbe } from '../src/load/server-probe.js';
import type { RunResults } from '../src/results/schema.js';
import { runArtilleryWs, runSampled } from './peers.js';

const RTBENCH_BIN = fileURLToPath(new URL('../../bin/rtbench', import.meta.url));

export interface WsMemoryRun {
  vus: number;
  /** peak of the server's open WebSocket connections during the run */
  held: number;
  /** peak RSS of the tool's process tree */
  peakRss: number;
  exitCode: number | null;
  /** rtbench only: events its clients lost */
  lost?: number;
  /** Artillery only: its error counters and failed virtual users, from its own report */
  errors?: Record<string, number>;
  tail?: string;
}

export interface WsMemoryTool {
  tool: 'rtbench' | 'artillery';
  runs: WsMemoryRun[];
  /** (large peak RSS − small peak RSS) ÷ (large held − small held); null when not measurable */
  rssPerConnection: number | null;
}

export interface WsMemoryComparison {
  sizes: number[];
  rampS: number;
  holdS: number;
  serverProcesses: number;
  tools: WsMemoryTool[];
}

/** Samples the server's WebSocket connection count; `peak` is the highest seen. */
function connectionPeak(url: string) {
  const probe = httpProbe(url, '/metrics', {});
  let peak = 0;
  let busy = false;
  return {
    sample: () => {
      if (busy) return;
      busy = true;
      void probe.sample(false).then((m) => {
        peak = Math.max(peak, m?.connections.websocket ?? 0);
        busy = false;
      });
    },
    get peak() {
      return peak;
    },
  };
}

async function rtbenchRun(serverUrl: string, vus: number, rampS: number, holdS: number, scratch: string): Promise<WsMemoryRun> {
  const out = join(scratch, `rtbench-${vus}.json`);
  const seen = connectionPeak(serverUrl);
  const args = [RTBENCH_BIN, 'run', '--protocols', 'websocket', '--target', serverUrl, '--clients', String(vus), '--ramp', `${rampS}s`, '--duration', `${holdS}s`, '--rate', '1/s', '--quiet', '--out', out];
  const r = await runSampled(process.execPath, args, { timeoutMs: (rampS + holdS + 120) * 1000, onSample: seen.sample });
  let lost: number | undefined;
  try {
    lost = (JSON.parse(readFileSync(out, 'utf8')) as RunResults).protocols[0]?.lost;
  } catch {
    // no results file: the run failed; its exit code and output say why
  }
  return { vus, held: seen.peak, peakRss: r.peakRss, exitCode: r.code, lost, ...(r.code === 0 ? {} : { tail: (r.stdout + r.stderr).slice(-1500) }) };
}

async function artilleryRun(bin: string, serverUrl: string, vus: number, rampS: number, holdS: number, scratch: string): Promise<WsMemoryRun> {
  const seen = connectionPeak(serverUrl);
  const r = await runArtilleryWs(bin, scratch, serverUrl.replace(/^http/, 'ws') + '/ws', vus, rampS, holdS, seen.sample);
  return { vus, held: seen.peak, peakRss: r.peakRss, exitCode: r.code, errors: r.errors, ...(r.code === 0 ? {} : { tail: r.output }) };
}

function slope(runs: WsMemoryRun[]): number | null {
  const [small, large] = runs;
  if (!small || !large || large.held - small.held < 100) return null;
  return (large.peakRss - small.peakRss) / (large.held - small.held);
}

/** Runs both tools at each size in turn (small, then large) against the server at `serverUrl`. */
export async function compareWebSocketMemory(o: { serverUrl: string; serverProcesses: number; artillery: string | null; sizes: number[]; rampS: number; holdS: number; log: (s: string) => void }): Promise<WsMemoryComparison> {
  const scratch = mkdtempSync(join(tmpdir(), 'rtbench-ws-memory-'));
  const tools: WsMemoryTool[] = [];
  try {
    const rt: WsMemoryRun[] = [];
    for (const vus of o.sizes) {
      o.log(`WebSocket memory: rtbench with ${vus} clients …`);
      rt.push(await rtbenchRun(o.serverUrl, vus, o.rampS, o.holdS, scratch));
    }
    tools.push({ tool: 'rtbench', runs: rt, rssPerConnection: slope(rt) });
    if (o.artillery) {
      const art: WsMemoryRun[] = [];
      for (const vus of o.sizes) {
        o.log(`WebSocket memory: Artillery with ${vus} virtual users …`);
        art.push(await artilleryRun(o.artillery, o.serverUrl, vus, o.rampS, o.holdS, scratch));
      }
      tools.push({ tool: 'artillery', runs: art, rssPerConnection: slope(art) });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { sizes: o.sizes, rampS: o.rampS, holdS: o.holdS, serverProcesses: o.serverProcesses, tools };
}
