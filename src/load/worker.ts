/**
 * A client worker process: runs a share of one protocol's simulated clients, ramped on the
 * global schedule, and reports counters and encoded HDR histograms back to the parent.
 * A separate process (not a thread) because the open-file limit is per process.
 */
import { connect, type Socket } from 'node:net';
import { nowMicros } from '../clock.js';
import { ProtocolRecorder } from '../metrics/recorder.js';
import { readMemory } from '../metrics/memory.js';
import { LoopDelayMonitor } from '../metrics/loop-delay.js';
import { driverFor } from '../protocols/registry.js';
import { roomOf } from '../protocols/rooms.js';
import { onPublishingInstance } from '../protocols/instances.js';
import type { DriverSession, ProtocolClient } from '../protocols/types.js';
import type { MemoryReading } from '../results/schema.js';
import type { ParentMessage, StartMessage, WorkerMessage } from '../contracts/worker-messages.js';
import { isSlowClient } from './slow-clients.js';

// Ctrl-C reaches the whole process group; the parent decides when workers stop and report.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

const send = (m: WorkerMessage) => process.send?.(m);
// `loop` is reset with every progress message; `phaseLoop` covers the whole phase for the results.
const loop = new LoopDelayMonitor();
const phaseLoop = new LoopDelayMonitor();
let firstRequest = 0;
let lastRequest = 0;

let recorder: ProtocolRecorder | null = null;
let session: DriverSession | null = null;
const clients: ProtocolClient[] = [];
let baseline: MemoryReading | null = null;
let loaded: MemoryReading | null = null;
let rampTimer: NodeJS.Timeout | null = null;
let progressTimer: NodeJS.Timeout | null = null;
let firstStart = 0;
let holdTimer: NodeJS.Timeout | null = null;
let rampLoop: { p99Ms: number; maxMs: number } | null = null;
let holdCpu: NodeJS.CpuUsage | null = null;
let lastConnect = 0;

function start(m: StartMessage): void {
  baseline = readMemory();
  phaseLoop.reset();
  const holdStart = m.phaseStartMicros + m.rampMs * 1000;
  recorder = new ProtocolRecorder(m.phaseStartMicros, m.perSecond, { holdStartMicros: holdStart, maxSeq: m.maxSeq });
  // The ramp's loop delay (connect storm) is kept apart from the hold's.
  holdTimer = setTimeout(
    () => {
      rampLoop = { p99Ms: phaseLoop.p99Ms(), maxMs: phaseLoop.maxMs() };
      phaseLoop.reset();
      holdCpu = process.cpuUsage();
    },
    Math.max(0, (holdStart - nowMicros()) / 1000),
  );
  session = driverFor(m.protocol).openSession(m.driver);
  let next = 0;
  // Client i of `total` starts at phaseStart + ramp × i / total, so all workers share one ramp.
  const due = (i: number) => m.phaseStartMicros + (m.total > 1 ? (m.rampMs * 1000 * (m.first + i)) / m.total : 0);
  const tick = () => {
    const now = nowMicros();
    while (next < m.count && due(next) <= now) {
      if (!firstStart) firstStart = now;
      const index = m.first + next;
      const slow = m.slow && isSlowClient(index, m.slow.fraction) ? m.slow.reading : undefined;
      const fleet = (m.driver.target.instances?.length ?? 0) > 1;
      const instance = fleet ? (onPublishingInstance(m.driver.target, index) ? 'same' : 'cross') : null;
      const events = recorder!.clientEvents(
        roomOf(index, m.driver.rooms),
        m.driver.rooms,
        slow !== undefined,
        instance,
      );
      const connected = events.connected.bind(events);
      events.connected = () => {
        lastConnect = nowMicros();
        connected();
      };
      const request = events.request.bind(events);
      events.request = (wasted) => {
        lastRequest = nowMicros();
        if (!firstRequest) firstRequest = lastRequest;
        request(wasted);
      };
      const client = session!.createClient(index, events, slow);
      clients.push(client);
      client.start().catch(() => {});
      next++;
    }
    if (next < m.count) rampTimer = setTimeout(tick, Math.min(10, Math.max(0, (due(next) - now) / 1000)));
  };
  tick();
  progressTimer = setInterval(() => {
    const p99 = loop.p99Ms();
    loop.reset();
    const snap = recorder!;
    send({
      type: 'progress',
      started: clients.length,
      connected: snap.connectedNow,
      delivered: snap.latency.totalCount,
      errors: snap.counters.errors,
      loopDelayP99Ms: p99,
    });
  }, 500);
}

async function stop(lastPublished: number | null, neverPublished: number[], firstHoldSeq: number): Promise<void> {
  if (rampTimer) clearTimeout(rampTimer);
  if (holdTimer) clearTimeout(holdTimer);
  if (progressTimer) clearInterval(progressTimer);
  const cpu = holdCpu ? process.cpuUsage(holdCpu) : null;
  const loopDelayP99Ms = phaseLoop.p99Ms();
  const loopDelayMaxMs = phaseLoop.maxMs();
  const wire = session?.wireBytes() ?? { in: 0, out: 0 };
  const snapshot = recorder!.snapshot(lastPublished, new Set(neverPublished), firstHoldSeq);
  await Promise.race([session?.close(), new Promise((r) => setTimeout(r, 3000))]);
  send({
    type: 'result',
    snapshot,
    wire,
    memory: { baseline: baseline!, loaded },
    rampSpanMs: firstStart && lastConnect ? (lastConnect - firstStart) / 1000 : 0,
    loopDelayMaxMs,
    loopDelayP99Ms,
    ...(cpu ? { holdCpuMicros: cpu.user + cpu.system } : {}),
    ...(rampLoop ? { rampLoopDelayP99Ms: rampLoop.p99Ms, rampLoopDelayMaxMs: rampLoop.maxMs } : {}),
    requestWindow: { first: firstRequest, last: lastRequest },
  });
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'start') start(m);
  else if (m.type === 'sample-memory') {
    loaded = readMemory();
    send({ type: 'memory', reading: loaded });
  } else if (m.type === 'floor') void socketFloor(m.host, m.port, m.count).then(send);
  else if (m.type === 'stop') void stop(m.lastPublished, m.neverPublished, m.firstHoldSeq);
});

/**
 * The floor a client is measured against: what one bare, idle TCP socket costs this process, by
 * the same method as client memory (RSS and heap after a GC, with and without the sockets).
 */
async function socketFloor(host: string, port: number, count: number): Promise<WorkerMessage> {
  const before = readMemory();
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket | null>((resolve) => {
          const s = connect(port, host, () => resolve(s));
          s.once('error', () => resolve(null));
        }),
    ),
  );
  const open = sockets.filter((s): s is Socket => s !== null);
  const after = readMemory();
  for (const s of open) s.destroy();
  const n = Math.max(1, open.length);
  return {
    type: 'floor',
    sockets: open.length,
    rssPerSocket: (after.rss - before.rss) / n,
    heapPerSocket: (after.heapUsed - before.heapUsed) / n,
  };
}

send({ type: 'ready' });
