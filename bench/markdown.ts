import type { ProtocolResult, RunResults } from '../src/results/schema.js';
import { formatBytes, formatMs, formatPerConnection } from '../src/scenario/units.js';
import type { ClientMemoryComparison, MemoryRun, MemoryTool, MemoryToolId } from './client-memory.js';
import type { FanoutFloor } from './fanout-floor.js';

export interface ScaleStep {
  protocol: 'websocket' | 'sse';
  clients: number;
  /** connections per second the ramp asked for */
  rampPerSecond: number;
  held: boolean;
  why: string | null;
  result: ProtocolResult;
}

type Failed = { error: string };
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: RunResults['machine'];
  /** 1-minute load average when the bench started: the machine may be shared */
  loadAverage: number;
  /** how long each scale step held its clients, s */
  holdS: number;
  /** RTBENCH_BENCH_* variables this run was given (a smaller run than the default one) */
  env: Record<string, string>;
  notes: string[];
  scale: ScaleStep[];
  fanout: {
    clients: number;
    rate: number;
    holdS: number;
    deliveredPerSec: number;
    result: ProtocolResult;
    /** bare node:net sockets at the same size, measured right after (null: it failed, see notes) */
    floor: FanoutFloor | null;
  } | null;
  polling: {
    connections: number;
    seconds: number;
    rtbench: {
      requestsPerSec: number;
      requests: number;
      errors: number;
      workers: number;
      /** its client worker's event-loop delay p99, ms */
      workerLoopDelayP99Ms?: number | null;
    };
    autocannon:
      { requestsPerSec: number; total: number; errors: number; p99Ms: number; peakRss: number } | Failed | null;
    wrk: { requestsPerSec: number; p99Ms: number | null; peakRss: number } | Failed | null;
    /** the reference server's busiest second during each tool's run, as a share of one core */
    serverCpu?: { rtbench: number | null; autocannon: number | null; wrk: number | null };
  } | null;
  clientMemory: ClientMemoryComparison | null;
}

/** The issue's "done means", in figures. */
const GOAL = {
  clients: 50_000,
  holdS: 30,
  p99Micros: 1_000_000,
  floorMultiple: 2,
  fanoutClients: 10_000,
  fanoutRate: 20,
  /** connect rate at GOAL.clients within this factor of the rate at connectBase */
  connectFactor: 2,
  connectBase: 5_000,
};

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const times = (x: number | null | undefined) => (x === null || x === undefined ? '?' : `${x.toFixed(1)}×`);
const ok = <T extends object>(v: T | Failed | null): v is T => !!v && !('error' in v);
/** Memory per connection: the one formatter the terminal table and the HTML report use too. */
const mem = formatPerConnection;
const PUSH = ['websocket', 'sse'] as const;

/** The bench report: every figure from the one run recorded in `r`. */
export function renderBenchMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = ['# rtbench benchmark', ''];
  const day = r.startedAt.slice(0, 10);
  const from = r.startedAt.slice(11, 16);
  const to = r.finishedAt.slice(11, 16);
  out.push(
    `Measured on ${day}, ${from}–${to} UTC (${num(r.durationS)} s), on ${m.cpus} × ${m.cpuModel}, ` +
      `${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node} (${m.platform}/${m.arch}); ` +
      `load average ${r.loadAverage.toFixed(2)} when it started. Client load and reference server on the same ` +
      'machine, over loopback. Every figure and ratio below is from this one run. Regenerate with `npm run bench`.',
    '',
  );
  const env = Object.entries(r.env);
  if (env.length) {
    out.push(
      `**A smaller run than the default** (${env.map(([k, v]) => `\`${k}=${v}\``).join(', ')}): ` +
        'the goals are about the default sizes, so a goal not run at its size shows as not measured.',
      '',
    );
  }

  out.push('## Goals', '');
  for (const g of goals(r)) out.push(`- ${g}`);
  out.push('');

  if (r.scale.length) out.push(...scaleSection(r));
  if (r.fanout) out.push(...fanoutSection(r.fanout));
  if (r.polling) out.push(...pollingSection(r.polling));
  if (r.clientMemory) out.push(...memorySection(r.clientMemory));

  out.push('## Notes', '');
  for (const n of r.notes) out.push(`- ${n}`);
  out.push(
    '- Memory per connection is a process RSS delta divided by connections; RSS includes allocator slack, so it is ' +
      'an upper bound of what a connection needs.',
    '- rtbench ran its polling throughput clients in one worker process, like autocannon; its other runs use its ' +
      'automatic worker split. autocannon, wrk and Artillery ran with their defaults otherwise.',
    "- Two memory floors: the scale table's is rtbench's own, measured in each run (a worker's RSS after a GC " +
      'with and without up to 2,000 bare sockets to a listener of its own, ÷ sockets), so it compares with that ' +
      "table's client readings; the client-memory table's is a process holding bare sockets to the reference " +
      'server, read like every tool there (peak process-tree RSS, slope between two sizes). Each multiple is against ' +
      'its own floor.',
    '- Client load and the server share the cores; anything else running on the machine lowers every figure.',
    '',
  );
  return out.join('\n');
}

/** The ramp's p99, or a dash when no event was intended during the ramp (a ramp shorter than the event interval). */
const rampP99 = (p: ProtocolResult) => (p.ramp?.latency.count ? formatMs(p.ramp.latency.p99) : '–');

function layoutOf(p: ProtocolResult): string {
  const l = p.layout;
  if (!l) return '';
  const sources = l.sourceAddresses.length ? `${l.sourceAddresses.length} bound source addr.` : 'source addr. by OS';
  return (
    `${l.workers} workers (${num(l.clientsPerWorker[0])} each), ${l.serverProcesses ?? '?'} server proc., ` +
    `${l.destinations?.length ?? 1} dest., ${sources}`
  );
}

function scaleSection(r: BenchReport): string[] {
  const out = [`## Concurrent clients held for ${r.holdS} s (1 event/s, 256 B)`, ''];
  out.push(
    "Latency and loop delay are the **hold**'s (events intended after the ramp, every client connected); the " +
      "ramp's p99 is apart. Client RSS per connection is rtbench's own reading (worker RSS delta after a GC ÷ " +
      'clients) and its multiple of the bare-socket floor the same run measured the same way. Client CPU is the ' +
      "workers' CPU time in the hold per event delivered in it.",
    '',
    '| Protocol | Clients | Held | Connected | Lost | Hold p50 / p99 | Ramp p99 | Client RSS/conn (× floor) | ' +
      'Server RSS/conn | Connect rate (asked) | Client CPU/event | Layout | Generator loop p99 (workers / publisher) |',
    '| --- | ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: | ---: | --- | --- |',
  );
  for (const s of r.scale) {
    const p = s.result;
    const g = p.generator;
    const cpu = g?.clientCpuMicrosPerEvent;
    const cells = [
      s.protocol,
      num(s.clients),
      s.held ? 'yes' : '**no**',
      num(p.connectedPeak),
      num(p.lost),
      `${formatMs(p.latency.p50)} / ${formatMs(p.latency.p99)}`,
      rampP99(p),
      `${mem(p.client?.rssPerClient)} (${times(g?.clientRssFloorMultiple)})`,
      mem(p.server?.rssPerConnection),
      `${num(p.connectRate)}/s (${num(s.rampPerSecond)}/s)`,
      cpu === null || cpu === undefined ? '–' : `${cpu.toFixed(1)} µs`,
      layoutOf(p),
      g ? `${g.workerLoopDelayP99Ms} / ${g.publisherLoopDelayP99Ms} ms${g.saturated ? ' **saturated**' : ''}` : '',
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  for (const protocol of PUSH) {
    const steps = r.scale.filter((s) => s.protocol === protocol);
    if (!steps.length) continue;
    const best = steps.filter((s) => s.held).pop();
    const failed = steps.find((s) => !s.held);
    const floor = steps[0].result.generator?.socketFloor;
    out.push(
      `- **${protocol}**: ${best ? `${num(best.clients)} clients held` : 'no step held'}` +
        (failed ? `; ${num(failed.clients)} failed: ${failed.why}.` : '; no limit hit up to the largest step tried.') +
        (floor ? ` Floor in these runs: ${mem(floor.rssPerSocket)} RSS per bare socket.` : ''),
    );
  }
  for (const protocol of PUSH) {
    const c = connectRatio(r, protocol, null);
    if (c) {
      out.push(
        `- **${protocol} connect rate at ${num(c.large.clients)} vs ${num(c.small.clients)}**: ` +
          `${num(c.large.result.connectRate)}/s vs ${num(c.small.result.connectRate)}/s = ${c.ratio.toFixed(2)}× ` +
          `(the ramp asked for ${num(c.small.rampPerSecond)}/s; goal: ≥ ${(1 / GOAL.connectFactor).toFixed(2)}×).`,
      );
    }
  }
  out.push('');
  return out;
}

/** Connect rate of the larger step ÷ the smaller one's: `size` the goal's, or null for the largest and smallest run. */
function connectRatio(r: BenchReport, protocol: string, size: { small: number; large: number } | null) {
  const steps = r.scale.filter((s) => s.protocol === protocol);
  const small = size ? steps.find((s) => s.clients === size.small) : steps[0];
  const large = size ? steps.find((s) => s.clients === size.large) : steps[steps.length - 1];
  if (!small || !large || small === large || !small.result.connectRate) return null;
  return { small, large, ratio: large.result.connectRate / small.result.connectRate };
}

function fanoutSection(f: NonNullable<BenchReport['fanout']>): string[] {
  const p = f.result;
  const g = p.generator;
  const cpu = g?.clientCpuMicrosPerEvent;
  return [
    `## Fan-out: ${num(f.clients)} WebSocket clients × ${f.rate} events/s`,
    '',
    `${num(f.deliveredPerSec)} events delivered per second during the ${f.holdS} s hold ` +
      `(expected ${num(f.clients * f.rate)}); ${num(p.connectedPeak)} of ${num(f.clients)} connected; ` +
      `hold latency p50 ${formatMs(p.latency.p50)}, p99 ${formatMs(p.latency.p99)}, max ${formatMs(p.latency.max)}` +
      ` (ramp p99 ${rampP99(p)})` +
      `; ${num(p.delivered)} delivered, ${num(p.lost)} lost; client CPU ` +
      `${cpu === null || cpu === undefined ? '?' : `${cpu.toFixed(1)} µs`} per delivered event; generator loop p99 ` +
      `${g?.workerLoopDelayP99Ms ?? '?'} ms (workers) / ${g?.publisherLoopDelayP99Ms ?? '?'} ms (publisher), ` +
      (g?.saturated ? '**generator saturated**: part of this latency is its own.' : 'generator not saturated.'),
    '',
    ...floorTable(f),
  ];
}

/** rtbench's fan-out beside bare sockets' at the same size, from the same bench run. */
function floorTable(f: NonNullable<BenchReport['fanout']>): string[] {
  const fl = f.floor;
  if (!fl) return ['The bare-socket floor was not measured in this run (see the notes).', ''];
  const us = (c: FanoutFloor['serverCpu']) => `${(c.user + c.system).toFixed(1)} µs (sys ${c.system.toFixed(1)})`;
  const cpu = f.result.generator?.clientCpuMicrosPerEvent;
  const rtClientCpu = cpu === null || cpu === undefined ? '–' : `${cpu.toFixed(1)} µs`;
  const lat = fl.latency;
  return [
    '| Run | Deliveries/s | × floor | Server CPU per delivery | Client CPU per delivery |',
    '| --- | ---: | ---: | ---: | ---: |',
    '| Floor: bare sockets (node:net server writing one Buffer, clients counting bytes) | ' +
      `${num(fl.deliveredPerSec)} | 1.00× | ${us(fl.serverCpu)} | ${us(fl.clientCpu)} |`,
    `| rtbench (reference server + WebSocket clients) | ${num(f.deliveredPerSec)} | ` +
      `${floorMultiple(f.deliveredPerSec, fl)} | – | ${rtClientCpu} |`,
    '',
    `The floor ran right after rtbench's run: one node:net server process wrote one prebuilt ${fl.messageBytes}-byte ` +
      `Buffer (the size of rtbench's delivered message) to each of ${num(fl.connected)} sockets ${fl.rate} times a ` +
      `second for ${fl.holdS} s, a write loop over every socket per event; ${fl.processes} client processes (as many ` +
      "as rtbench's workers) read the sockets with `onread` into one shared buffer and only counted bytes. " +
      `${num(fl.eventsSent)} of ${num(fl.eventsIntended)} events went out` +
      (fl.eventsLate ? `, ${num(fl.eventsLate)} of them begun more than one interval late` : '') +
      `; one write loop took ${ms(fl.writeLoop.meanMs)} on average (max ${ms(fl.writeLoop.maxMs)}) against an ` +
      `interval of ${ms(1000 / fl.rate)}; ${num(fl.delivered)} delivered, ${num(fl.lost)} lost. Its deliveries per ` +
      "second count from the first event to the last byte received, or to the end of the sent events' schedule if " +
      `that is later (${fl.wallS.toFixed(2)} s); CPU per delivery is each side's process CPU time over the hold ÷ ` +
      'deliveries, user + system' +
      (lat
        ? `; latency from each event's due time, on 1 socket in ${lat.sampleEvery}: p50 ${ms(lat.p50Ms)}, ` +
          `p99 ${ms(lat.p99Ms)}, max ${ms(lat.maxMs)}.`
        : '.') +
      " rtbench's deliveries per second are its mean over the hold's whole seconds; its results hold no server CPU.",
    '',
  ];
}

const ms = (v: number) => formatMs(v * 1000);
const floorMultiple = (perSec: number, fl: FanoutFloor) =>
  fl.deliveredPerSec ? `${(perSec / fl.deliveredPerSec).toFixed(2)}×` : '?';

function pollingSection(p: NonNullable<BenchReport['polling']>): string[] {
  const title = `Polling throughput, same reference server (${p.connections} connections, ${p.seconds} s, GET /poll)`;
  const out = [`## ${title}`, ''];
  const cpu = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);
  out.push('| Tool | Requests/s | Server CPU, busiest second (share of 1 core) | Notes |');
  out.push('| --- | ---: | ---: | --- |');
  out.push(
    `| rtbench (--poll-interval 0) | ${num(p.rtbench.requestsPerSec)} | ${cpu(p.serverCpu?.rtbench)} | ` +
      `${num(p.rtbench.requests)} requests, ${p.rtbench.errors} errors, ${p.rtbench.workers} worker processes; ` +
      'each answer is parsed for events and its cursor |',
  );
  out.push(
    ok(p.autocannon)
      ? `| autocannon | ${num(p.autocannon.requestsPerSec)} | ${cpu(p.serverCpu?.autocannon)} | ` +
          `1 process, p99 ${p.autocannon.p99Ms} ms, ${p.autocannon.errors} errors |`
      : `| autocannon | – | – | ${p.autocannon ? p.autocannon.error : 'not installed'} |`,
  );
  out.push(
    ok(p.wrk)
      ? `| wrk (2 threads) | ${num(p.wrk.requestsPerSec)} | ${cpu(p.serverCpu?.wrk)} | p99 ${p.wrk.p99Ms ?? '?'} ms |`
      : `| wrk | – | – | ${p.wrk ? p.wrk.error : 'not installed'} |`,
  );
  out.push(
    '',
    'The reference server here is one Node process: at about 100% of a core it, not the load tool, sets ' +
      'the request rate, and the tools can only tie.',
    '',
  );
  return out;
}

const TOOL_NAMES: Record<MemoryToolId, string> = {
  floor: 'Floor: bare idle TCP sockets (node:net)',
  websocket: 'rtbench websocket',
  sse: 'rtbench sse',
  'long-polling': 'rtbench long-polling',
  polling: 'rtbench polling',
  artillery: 'Artillery (ws engine)',
};

function memorySection(w: ClientMemoryComparison): string[] {
  const title = `Client memory per connection, same reference server (${w.serverProcesses} processes), same method`;
  const out = [`## ${title}`, ''];
  out.push(
    `Each tool ran as a child process opening ${w.sizes.map(num).join(', then ')} connections over ${w.rampS} s ` +
      `and holding them ${w.holdS} s, against one reference server (${w.destinations} address` +
      `${w.destinations > 1 ? 'es' : ''}); rtbench published ${w.rate} events and polled every ${w.pollInterval}. ` +
      'The peak RSS of its whole process tree was sampled every 250 ms; "held" is the peak of open connections of ' +
      'that protocol the server counted (the floor: sockets still open at the end of the hold, by its own count; ' +
      `its sockets were held in ${w.floorProcesses} process${w.floorProcesses > 1 ? 'es forked by one' : ''} at ` +
      'every size, for the open-file limit). ' +
      "Memory per connection is the slope between the two runs, so each tool's fixed cost cancels out; the last " +
      "column divides it by the floor's.",
    '',
  );
  const sizes = w.sizes.map((n) => `${num(n)}: held / peak RSS`).join(' | ');
  out.push(`| Tool | ${sizes} | RSS per connection (slope) | × floor |`);
  out.push(`| --- | ${w.sizes.map(() => '---').join(' | ')} | ---: | ---: |`);
  for (const t of w.tools) {
    const cells = t.runs.map(
      (r) =>
        `${num(r.held)} / ${formatBytes(r.peakRss)}` +
        (r.exitCode === 0 ? '' : ` (exit ${r.exitCode})`) +
        (r.lost ? `, ${num(r.lost)} lost` : '') +
        errorList(r.errors),
    );
    out.push(
      `| ${TOOL_NAMES[t.tool]} | ${cells.join(' | ')} | ${mem(t.rssPerConnection)} | ` +
        `${t.tool === 'floor' ? '1.0×' : times(t.floorMultiple)} |`,
    );
  }
  out.push('');
  for (const t of w.tools) {
    for (const r of t.runs) {
      if (!r.tail) continue;
      out.push(`${TOOL_NAMES[t.tool]} with ${num(r.size)} ended with exit code ${r.exitCode}:`);
      out.push('', '```', r.tail.trim(), '```', '');
    }
  }
  return out;
}

function errorList(errors: Record<string, number> | undefined): string {
  const list = Object.entries(errors ?? {}).sort((a, b) => b[1] - a[1]);
  return list.length ? `; ${list.map(([k, v]) => `${k} ×${num(v)}`).join(', ')}` : '';
}

/** The issue's "done means", each met or missed with its figure and, when missed, what was measured to miss it. */
function goals(r: BenchReport): string[] {
  const lines: string[] = [];
  for (const protocol of PUSH) lines.push(scaleGoal(r, protocol));
  lines.push(...memoryGoals(r.clientMemory));
  lines.push(fanoutGoal(r.fanout, r.machine.cpus));
  lines.push(pollingGoal(r.polling));
  for (const protocol of PUSH) lines.push(connectGoal(r, protocol));
  return lines;
}

function scaleGoal(r: BenchReport, protocol: string): string {
  const what = `${protocol}: ${num(GOAL.clients)} clients connected and held ${GOAL.holdS} s at 1 event/s`;
  const steps = r.scale.filter((s) => s.protocol === protocol);
  const step = steps.find((s) => s.clients === GOAL.clients);
  if (!step) {
    const failed = steps.find((s) => !s.held);
    if (failed) return `❌ ${what}: not reached; the ${num(failed.clients)} step failed first: ${failed.why}.`;
    return `❌ ${what}: not measured (steps run: ${steps.map((s) => num(s.clients)).join(', ') || 'none'}).`;
  }
  const p = step.result;
  const g = p.generator;
  const loop = g ? `worker loop p99 ${g.workerLoopDelayP99Ms} ms, publisher ${g.publisherLoopDelayP99Ms} ms` : '';
  const figures = `${num(p.connectedPeak)} connected, ${num(p.lost)} lost${loop ? `, ${loop}` : ''}`;
  const misses: string[] = [];
  if (!step.held) misses.push(`not held: ${step.why}`);
  if (r.holdS < GOAL.holdS) misses.push(`held only ${r.holdS} s`);
  if (p.latency.p99 >= GOAL.p99Micros) {
    misses.push(
      `hold p99 ${formatMs(p.latency.p99)} ≥ ${formatMs(GOAL.p99Micros)}` +
        (g?.saturated ? ' with the generator saturated (its loop delay is part of it)' : ', generator not saturated'),
    );
  } else if (g?.saturated) misses.push('generator saturated');
  if (!misses.length) return `✅ ${what}: ${figures}, hold p99 ${formatMs(p.latency.p99)}; generator not saturated.`;
  return `❌ ${what}: ${misses.join('; ')} (${figures}).`;
}

function memoryGoals(w: ClientMemoryComparison | null): string[] {
  const tool = (id: MemoryToolId) => w?.tools.find((t) => t.tool === id);
  const floor = tool('floor');
  const lines: string[] = [];
  for (const id of PUSH) {
    const t = tool(id);
    const what = `${id} client RSS per connection ≤ ${GOAL.floorMultiple}× the bare-socket floor`;
    if (!w || !t?.floorMultiple || !floor?.rssPerConnection) {
      lines.push(`❌ ${what}: not measured${w ? ' (no slope: see the client-memory table)' : ''}.`);
      continue;
    }
    const figure = `${mem(t.rssPerConnection)} vs ${mem(floor.rssPerConnection)}: ${times(t.floorMultiple)}`;
    const met = t.floorMultiple <= GOAL.floorMultiple;
    lines.push(met ? `✅ ${what}: ${figure}.` : `❌ ${what}: ${figure}.${heapShare(t)}`);
  }
  const rt = tool('websocket');
  const art = tool('artillery');
  const what = "websocket client RSS per connection ≤ Artillery's (same method)";
  if (!rt?.rssPerConnection || !art?.rssPerConnection) {
    const why = !w ? 'not run' : art ? 'no slope: see the client-memory table' : 'Artillery not installed';
    lines.push(`❌ ${what}: not measured (${why}).`);
  } else {
    const held = (t: MemoryTool) => t.runs[t.runs.length - 1]?.held ?? 0;
    const largest = w!.sizes[w!.sizes.length - 1];
    const artErrors = errorList(art.runs[art.runs.length - 1]?.errors).replace(/^; /, '');
    const capacity =
      held(art) < largest
        ? ` At ${num(largest)}, Artillery held ${num(held(art))}${artErrors ? ` (its own report: ${artErrors})` : ''}.`
        : '';
    const figure = `${mem(rt.rssPerConnection)} vs ${mem(art.rssPerConnection)}`;
    lines.push(`${rt.rssPerConnection <= art.rssPerConnection ? '✅' : '❌'} ${what}: ${figure}.${capacity}`);
  }
  return lines;
}

/** Where a missed memory goal's bytes are, from rtbench's own reading in the same runs: heap vs the rest. */
function heapShare(t: MemoryTool): string {
  const r: MemoryRun | undefined = t.runs[t.runs.length - 1];
  if (!r?.heapPerClient || !r.floorHeapPerSocket) return '';
  return (
    ` rtbench's own reading in the ${num(r.size)} run: ${mem(r.heapPerClient)} of JS heap per client against ` +
    `${mem(r.floorHeapPerSocket)} per bare socket.`
  );
}

function fanoutGoal(f: BenchReport['fanout'], cores: number): string {
  const expected = GOAL.fanoutClients * GOAL.fanoutRate;
  const what = `fan-out ≥ ${num(expected)} deliveries/s (${num(GOAL.fanoutClients)} × ${GOAL.fanoutRate}/s), 0 lost`;
  if (!f) return `❌ ${what}: not measured.`;
  const p = f.result;
  const fl = f.floor;
  const vsFloor = fl?.deliveredPerSec
    ? `${floorMultiple(f.deliveredPerSec, fl)} the bare-socket floor of ${num(fl.deliveredPerSec)}/s`
    : '';
  const delivered = `${num(f.deliveredPerSec)}/s delivered in the hold, ${num(p.lost)} lost`;
  if (f.clients !== GOAL.fanoutClients || f.rate !== GOAL.fanoutRate) {
    const ran = `${delivered}${vsFloor ? `, ${vsFloor}` : ''}`;
    return `❌ ${what}: not measured at that size (ran ${num(f.clients)} × ${f.rate}/s: ${ran}).`;
  }
  const figure = `${delivered}${vsFloor ? ` (${vsFloor})` : ''}`;
  if (f.deliveredPerSec >= expected && p.lost === 0) return `✅ ${what}: ${figure}.`;
  const g = p.generator;
  const cpu = g?.clientCpuMicrosPerEvent;
  const reasons: string[] = [];
  if (g) reasons.push(`generator ${g.saturated ? '' : 'not '}saturated (worker loop p99 ${g.workerLoopDelayP99Ms} ms)`);
  if (cpu) {
    reasons.push(
      `client workers used ${cpu.toFixed(1)} µs CPU per delivered event, so ${num(expected)}/s needs ` +
        `${((cpu * expected) / 1e6).toFixed(1)} cores for the clients alone, on ${cores} cores shared with the server`,
    );
  }
  const machine = fl ? floorReason(fl, expected, cores) : '';
  if (!machine) return `❌ ${what}: ${figure}${reasons.length ? `; ${reasons.join('; ')}` : ''}.`;
  return `❌ ${what}: ${figure}. ${machine}${reasons.length ? ` In rtbench's run: ${reasons.join('; ')}.` : ''}`;
}

/** What the bare-socket floor says about `expected` deliveries/s on this machine, from its CPU per delivery. */
function floorReason(fl: FanoutFloor, expected: number, cores: number): string {
  if (!fl.delivered) return '';
  if (fl.deliveredPerSec >= expected) return 'Bare sockets reach it on this machine: the machine is not the limit.';
  const server = fl.serverCpu.user + fl.serverCpu.system;
  const client = fl.clientCpu.user + fl.clientCpu.system;
  const cost = `${server.toFixed(1)} µs (server) + ${client.toFixed(1)} µs (client) CPU per delivery`;
  const needed = ((server + client) * expected) / 1e6;
  if (needed > cores) {
    return (
      `Beyond this machine: bare sockets alone cost ${cost}, so ${num(expected)}/s needs ${needed.toFixed(1)} ` +
      `cores; this machine has ${cores}.`
    );
  }
  // Enough cores in all, but the floor's server is one process: one core at most.
  const serverCores = (server * expected) / 1e6;
  if (serverCores > 1) {
    return (
      `Bare sockets miss it too: they cost ${cost}, so ${num(expected)}/s needs ${serverCores.toFixed(1)} ` +
      'cores for the one server process, which runs on one.'
    );
  }
  return (
    `Bare sockets miss it too, though they cost ${cost}: ${needed.toFixed(1)} of this machine's ${cores} ` +
    `cores at ${num(expected)}/s.`
  );
}

function pollingGoal(p: BenchReport['polling']): string {
  const what = "polling ≥ autocannon's request rate on the same server";
  if (!p || !ok(p.autocannon)) return `❌ ${what}: not measured (autocannon missing or failed).`;
  const ratio = p.rtbench.requestsPerSec / p.autocannon.requestsPerSec;
  const busy = [p.serverCpu?.rtbench, p.serverCpu?.autocannon].every((v) => v !== null && v !== undefined && v >= 0.9);
  const bound = busy
    ? ` The server used ${Math.round(p.serverCpu!.rtbench! * 100)}% of a core with rtbench and ` +
      `${Math.round(p.serverCpu!.autocannon! * 100)}% with autocannon in their busiest seconds: the server was the ` +
      'limit for both tools.'
    : '';
  const rt = num(p.rtbench.requestsPerSec);
  const ac = num(p.autocannon.requestsPerSec);
  const above = `${(ratio * 100 - 100).toFixed(0)}% above`;
  if (ratio >= 1) return `✅ ${what}: ${rt} requests/s, ${above} autocannon's ${ac}.${bound}`;
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '?' : `${Math.round(v * 100)}%`);
  const measured = busy
    ? bound
    : ` The server was not the limit: its busiest second used ${pct(p.serverCpu?.rtbench)} of a core with rtbench ` +
      `and ${pct(p.serverCpu?.autocannon)} with autocannon` +
      (p.rtbench.workerLoopDelayP99Ms !== null && p.rtbench.workerLoopDelayP99Ms !== undefined
        ? `; rtbench's client worker event-loop delay p99 was ${p.rtbench.workerLoopDelayP99Ms} ms.`
        : '.');
  return `❌ ${what}: ${rt} requests/s, ${(100 - ratio * 100).toFixed(0)}% below autocannon's ${ac}.${measured}`;
}

function connectGoal(r: BenchReport, protocol: string): string {
  const what =
    `${protocol} connect rate at ${num(GOAL.clients)} within ${GOAL.connectFactor}× of the rate at ` +
    num(GOAL.connectBase);
  const c = connectRatio(r, protocol, { small: GOAL.connectBase, large: GOAL.clients });
  if (!c) {
    const ran = r.scale.filter((s) => s.protocol === protocol).map((s) => num(s.clients));
    return `❌ ${what}: not measured (steps run: ${ran.join(', ') || 'none'}).`;
  }
  const figure =
    `${num(c.large.result.connectRate)}/s vs ${num(c.small.result.connectRate)}/s ` + `(${c.ratio.toFixed(2)}×)`;
  if (c.ratio >= 1 / GOAL.connectFactor) return `✅ ${what}: ${figure}.`;
  const ramp = c.large.result.ramp;
  const measured = ramp ? `; worker loop p99 during its ramp ${ramp.workerLoopDelayP99Ms} ms` : '';
  const errs = Object.entries(c.large.result.errorsByType)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  return `❌ ${what}: ${figure}${measured}${errs ? `; errors: ${errs}` : ''}.`;
}
