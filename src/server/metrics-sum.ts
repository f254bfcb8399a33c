import type { ServerMetrics } from '../contracts/server-metrics.js';

/**
 * /metrics of a cluster: connections, buffered bytes and memory are summed over the worker
 * processes, plus the primary's memory (it belongs to the server too); event-loop delay is the
 * worst process's; event ids agree across processes, so the highest is taken.
 */
export function sumServerMetrics(
  parts: Array<ServerMetrics & { pid: number }>,
  primary: { memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage },
  uptimeMs: number,
  gc: boolean,
): ServerMetrics {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  const connections: Record<string, number> = {};
  const buffered: Record<string, number> = {};
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = primary.memory;
  const memory = { rss, heapUsed, heapTotal, external, arrayBuffers };
  const loop = { p50: 0, p99: 0, max: 0 };
  // The primary accepts and hands on connections: its CPU is the server's too.
  const cpu = { ...primary.cpu };
  const events = { lastId: 0, retained: 0, publishedVia: { http: 0, websocket: 0 } };
  const http2 = { sessions: 0, open: 0 };
  for (const p of parts) {
    http2.sessions += p.http2?.sessions ?? 0;
    http2.open += p.http2?.open ?? 0;
    add(connections, p.connections);
    add(buffered, p.buffered);
    for (const k of Object.keys(memory) as (keyof typeof memory)[]) memory[k] += p.memory[k];
    cpu.user += p.cpuMicros?.user ?? 0;
    cpu.system += p.cpuMicros?.system ?? 0;
    loop.p50 = Math.max(loop.p50, p.eventLoopDelayMs.p50);
    loop.p99 = Math.max(loop.p99, p.eventLoopDelayMs.p99);
    loop.max = Math.max(loop.max, p.eventLoopDelayMs.max);
    events.lastId = Math.max(events.lastId, p.events.lastId);
    events.retained = Math.max(events.retained, p.events.retained);
    // Each publish enters through one process: these add up.
    events.publishedVia.http += p.events.publishedVia?.http ?? 0;
    events.publishedVia.websocket += p.events.publishedVia?.websocket ?? 0;
  }
  return {
    uptimeMs,
    connections,
    memory,
    buffered,
    eventLoopDelayMs: loop,
    cpuMicros: cpu,
    events,
    gc: gc && parts.every((p) => p.gc),
    ...(http2.sessions ? { http2 } : {}),
    processes: parts.length,
    perProcess: parts.map((p) => ({
      pid: p.pid,
      connections: Object.entries(p.connections).reduce((n, [k, v]) => (k === 'other' ? n : n + v), 0),
    })),
  };
}
