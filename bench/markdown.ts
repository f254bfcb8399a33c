import type { ProtocolResult, RunResults } from '../src/results/schema.js';
import { formatBytes, formatMs, formatPerConnection } from '../src/scenario/units.js';
import type { WsMemoryComparison, WsMemoryTool } from './ws-memory.js';

export interface ScaleStep {
  protocol: 'websocket' | 'sse';
  clients: number;
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
  notes: string[];
  scale: ScaleStep[];
  fanout: { clients: number; rate: number; deliveredPerSec: number; result: ProtocolResult } | null;
  polling: {
    connections: number;
    seconds: number;
    rtbench: { requestsPerSec: number; requests: number; errors: number; workers: number };
    autocannon: { requestsPerSec: number; total: number; errors: number; p99Ms: number; peakRss: number } | Failed | null;
    wrk: { requestsPerSec: number; p99Ms: number | null; peakRss: number } | Failed | null;
    /** the reference server's busiest second during each tool's run, as a share of one core */
    serverCpu?: { rtbench: number | null; autocannon: number | null; wrk: number | null };
  } | null;
  wsMemory: WsMemoryComparison | null;
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const ok = <T extends object>(v: T | Failed | null): v is T => !!v && !('error' in v);

/** The bench report: every figure from the one run recorded in `r`. */
export function renderBenchMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# rtbench benchmark', '');
  out.push(`Measured ${r.startedAt} in ${r.durationS.toFixed(0)} s on ${m.cpus} × ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node} (${m.platform}/${m.arch}). Client load and reference server on the same machine, over loopback. Regenerate with \`npm run bench\`.`, '');

  out.push('## Goals', '');
  for (const g of goals(r)) out.push(`- ${g}`);
  out.push('');

  out.push('## Concurrent clients held for 30 s (1 event/s, 256 B)', '');
  out.push('| Protocol | Clients | Held | Connected | Lost | Latency p50 / p99 | Client mem/conn RSS / heap | Server mem/conn RSS / heap | Connect rate | Layout | Generator loop p99 (workers / publisher) |');
  out.push('| --- | ---: | --- | ---: | ---: | --- | --- | --- | ---: | --- | --- |');
  for (const s of r.scale) {
    const p = s.result;
    const l = p.layout;
    const layout = l ? `${l.workers} workers (${num(l.clientsPerWorker[0])} each), ${l.serverProcesses ?? '?'} server proc., ${l.sourceAddresses.length || 1} source addr.` : '';
    const g = p.generator;
    out.push(`| ${s.protocol} | ${num(s.clients)} | ${s.held ? 'yes' : `**no**: ${s.why}`} | ${num(p.connectedPeak)} | ${num(p.lost)} | ${formatMs(p.latency.p50)} / ${formatMs(p.latency.p99)} | ${mem(p.client?.rssPerClient)} / ${mem(p.client?.heapPerClient)} | ${mem(p.server?.rssPerConnection)} / ${mem(p.server?.heapPerConnection)} | ${num(p.connectRate)}/s | ${layout} | ${g ? `${g.workerLoopDelayP99Ms} / ${g.publisherLoopDelayP99Ms} ms${g.saturated ? ' SATURATED' : ''}` : ''} |`);
  }
  out.push('');
  for (const protocol of ['websocket', 'sse']) {
    const steps = r.scale.filter((s) => s.protocol === protocol);
    const best = steps.filter((s) => s.held).pop();
    const failed = steps.find((s) => !s.held);
    out.push(`- **${protocol}**: ${best ? `${num(best.clients)} clients held` : 'no step held'}${failed ? `; ${num(failed.clients)} failed (${failed.why})` : '; no limit hit up to the largest step tried'}.`);
  }
  out.push('');

  if (r.fanout) {
    const f = r.fanout.result;
    out.push(`## Fan-out: ${num(r.fanout.clients)} WebSocket clients × ${r.fanout.rate} events/s`, '');
    out.push(`${num(r.fanout.deliveredPerSec)} events delivered per second during the hold (expected ${num(r.fanout.clients * r.fanout.rate)}); latency p50 ${formatMs(f.latency.p50)}, p99 ${formatMs(f.latency.p99)}, max ${formatMs(f.latency.max)}; ${num(f.delivered)} delivered, ${num(f.lost)} lost; generator loop p99 ${f.generator?.workerLoopDelayP99Ms ?? '?'} ms (workers) / ${f.generator?.publisherLoopDelayP99Ms ?? '?'} ms (publisher)${f.generator?.saturated ? ' — **generator saturated**: part of this latency is the load generator' : ''}.`, '');
  }

  if (r.polling) {
    const p = r.polling;
    out.push(`## Polling throughput, same reference server (${p.connections} connections, ${p.seconds} s, GET /poll)`, '');
    const cpu = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);
    out.push('| Tool | Requests/s | Server CPU, busiest second (share of 1 core) | Notes |', '| --- | ---: | ---: | --- |');
    out.push(`| rtbench (--poll-interval 0) | ${num(p.rtbench.requestsPerSec)} | ${cpu(p.serverCpu?.rtbench)} | ${num(p.rtbench.requests)} requests, ${p.rtbench.errors} errors, ${p.rtbench.workers} worker processes; each answer is parsed for events and its cursor |`);
    out.push(ok(p.autocannon) ? `| autocannon | ${num(p.autocannon.requestsPerSec)} | ${cpu(p.serverCpu?.autocannon)} | 1 process, p99 ${p.autocannon.p99Ms} ms, ${p.autocannon.errors} errors |` : `| autocannon | – | – | ${p.autocannon ? p.autocannon.error : 'not installed'} |`);
    out.push(ok(p.wrk) ? `| wrk (2 threads) | ${num(p.wrk.requestsPerSec)} | ${cpu(p.serverCpu?.wrk)} | p99 ${p.wrk.p99Ms ?? '?'} ms |` : `| wrk | – | – | ${p.wrk ? p.wrk.error : 'not installed'} |`);
    out.push('', 'The reference server here is one Node process: at about 100% of a core it, not the load tool, sets the request rate, and the tools can only tie.', '');
  }

  if (r.wsMemory) out.push(...wsMemorySection(r.wsMemory));

  if (r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('- Memory per connection is a process RSS delta divided by connections; RSS includes allocator slack, so it is an upper bound of what a connection needs.');
    out.push('- rtbench ran its polling clients in one worker process, like autocannon; its other runs use its automatic worker split. autocannon, wrk and Artillery ran with their defaults otherwise.');
    out.push('- Client load and the server share the 2 cores; anything else running on the machine (e.g. other test suites) lowers every figure.');
    out.push('');
  }
  return out.join('\n');
}

/** Memory per connection: the one formatter the terminal table and the HTML report use too. */
const mem = formatPerConnection;

/** The issue's goals, each met or missed by how much. */
function goals(r: BenchReport): string[] {
  const lines: string[] = [];
  for (const protocol of ['websocket', 'sse']) {
    const best = r.scale.filter((s) => s.protocol === protocol && s.held).pop()?.clients ?? 0;
    lines.push(best >= 20_000 ? `✅ ${protocol}: ${num(best)} concurrent clients held (goal 20,000).` : `❌ ${protocol}: ${num(best)} concurrent clients held, ${num(20_000 - best)} short of 20,000 (see the table for why).`);
  }
  lines.push(wsMemoryGoal(r.wsMemory));
  const p = r.polling;
  if (p && ok(p.autocannon)) {
    const ratio = p.rtbench.requestsPerSec / p.autocannon.requestsPerSec;
    const busy = [p.serverCpu?.rtbench, p.serverCpu?.autocannon].every((v) => v !== null && v !== undefined && v >= 0.9);
    const bound = busy ? ` The server used ${Math.round(p.serverCpu!.rtbench! * 100)}% of a core with rtbench and ${Math.round(p.serverCpu!.autocannon! * 100)}% with autocannon in their busiest seconds: the server was the limit for both tools.` : '';
    lines.push(ratio >= 1 ? `✅ polling ${num(p.rtbench.requestsPerSec)} requests/s, ${(ratio * 100 - 100).toFixed(0)}% above autocannon's ${num(p.autocannon.requestsPerSec)}.${bound}` : `❌ polling ${num(p.rtbench.requestsPerSec)} requests/s, ${(100 - ratio * 100).toFixed(0)}% below autocannon's ${num(p.autocannon.requestsPerSec)}.${bound} rtbench parses every answer for events and its cursor and builds each request from that cursor; autocannon replays one pre-built request without reading the answers.`);
  } else lines.push('❌ polling vs autocannon: not measured (autocannon missing or failed).');
  return lines;
}

const toolName = (t: WsMemoryTool) => (t.tool === 'rtbench' ? 'rtbench' : 'Artillery (ws engine)');

function wsMemorySection(w: WsMemoryComparison): string[] {
  const out = [`## WebSocket clients: rtbench vs Artillery, same reference server (${w.serverProcesses} processes), same method`, ''];
  out.push(`Each tool ran as a child process opening ${w.sizes.map(num).join(', then ')} connections over ${w.rampS} s and holding them ${w.holdS} s (1 event/s). The peak RSS of its whole process tree was sampled every 250 ms; "held" is the peak of open WebSocket connections the server counted. Memory per connection is the slope between the two runs, so each tool's fixed cost cancels out.`, '');
  out.push('| Tool | ' + w.sizes.map((n) => `${num(n)}: held / peak RSS`).join(' | ') + ' | Memory per connection (RSS slope) |');
  out.push('| --- | ' + w.sizes.map(() => '---').join(' | ') + ' | ---: |');
  for (const t of w.tools) {
    const cells = t.runs.map((r) => `${num(r.held)} / ${formatBytes(r.peakRss)}${r.exitCode === 0 ? '' : ` (exit ${r.exitCode})`}${r.lost ? `, ${num(r.lost)} lost` : ''}${errorList(r.errors)}`);
    out.push(`| ${toolName(t)} | ${cells.join(' | ')} | ${mem(t.rssPerConnection)} |`);
  }
  out.push('');
  for (const t of w.tools) for (const r of t.runs) if (r.tail) out.push(`${toolName(t)} with ${num(r.vus)} ended with exit code ${r.exitCode}:`, '', '```', r.tail.trim(), '```', '');
  return out;
}

function errorList(errors: Record<string, number> | undefined): string {
  const list = Object.entries(errors ?? {}).sort((a, b) => b[1] - a[1]);
  return list.length ? `; ${list.map(([k, v]) => `${k} ×${num(v)}`).join(', ')}` : '';
}

function wsMemoryGoal(w: WsMemoryComparison | null): string {
  const rt = w?.tools.find((t) => t.tool === 'rtbench');
  const art = w?.tools.find((t) => t.tool === 'artillery');
  if (!w || !rt?.rssPerConnection || !art?.rssPerConnection) return '❌ WebSocket memory vs Artillery: not measured (Artillery missing or failed).';
  const ratio = art.rssPerConnection / rt.rssPerConnection;
  const largest = w.sizes[w.sizes.length - 1];
  const held = (t: WsMemoryTool) => t.runs[t.runs.length - 1]?.held ?? 0;
  const artErrors = errorList(art.runs[art.runs.length - 1]?.errors).replace(/^; /, '');
  const capacity = `At ${num(largest)}, rtbench held ${num(held(rt))} and Artillery ${num(held(art))}${held(art) < largest && artErrors ? ` (Artillery's own report: ${artErrors})` : ''}.`;
  if (ratio >= 10) return `✅ WebSocket client memory ${ratio.toFixed(1)}× lower than Artillery's per virtual user (goal 10×). ${capacity}`;
  const how = ratio >= 1 ? `only ${ratio.toFixed(1)}× lower than` : `${(1 / ratio).toFixed(1)}× higher than`;
  return `❌ WebSocket client memory ${how} Artillery's per virtual user (${formatBytes(rt.rssPerConnection)} vs ${formatBytes(art.rssPerConnection)} RSS per connection, same method; goal: 10× lower). ${capacity} A connected ws client socket costs a few KB of V8 heap plus native handles in any Node tool, so 10× below Artillery's ${formatBytes(art.rssPerConnection)} would be under the cost of the socket itself.`;
}
