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
import type { MemoryReading } from '../contracts/memory-reading.js';
import type {
  ParentMessage,
  StartMessage,
  WorkerHeartbeat,
  WorkerMessage,
  WorkerResult,
} from '../contracts/worker-messages.js';
import { isSlowClient } from './slow-clients.js';

// Ctrl-C reaches the whole process group; the parent decides when workers stop and report.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

/** One phase's share of clients in this process: its recorder, session, clients and timers. */
class ClientWorker {
  // Read first: the forced GC must not count as loop delay in the monitors below.
  private readonly baseline: MemoryReading = readMemory();
  /** reset with every progress message */
  private readonly loop = new LoopDelayMonitor();
  /** the ramp's loop delay until the hold starts, then the hold's (for the results) */
  private readonly phaseLoop = new LoopDelayMonitor();
  private loaded: MemoryReading | null = null;
  private readonly recorder: ProtocolRecorder;
  private readonly session: DriverSession;
  private readonly clients: ProtocolClient[] = [];
  /** a fleet: whether each client starts on the publishing instance is recorded apart */
  private readonly fleet: boolean;
  /** the next of this worker's clients to start, and when the first one started (epoch µs) */
  private next = 0;
  private firstStart = 0;
  private rampLoop: { p99Ms: number; maxMs: number } | null = null;
  private holdCpu: NodeJS.CpuUsage | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private readonly holdTimer: NodeJS.Timeout;
  private readonly progressTimer: NodeJS.Timeout;

  constructor(
    private readonly m: StartMessage,
    private readonly send: (m: WorkerMessage) => void,
  ) {
    const holdStart = m.phaseStartMicros + m.rampMs * 1000;
    this.recorder = new ProtocolRecorder(m.phaseStartMicros, m.perSecond, {
      holdStartMicros: holdStart,
      maxSeq: m.maxSeq,
    });
    this.fleet = (m.driver.target.instances?.length ?? 0) > 1;
    // The ramp's loop delay (connect storm) is kept apart from the hold's.
    this.holdTimer = setTimeout(() => this.holdStarts(), Math.max(0, (holdStart - nowMicros()) / 1000));
    this.session = driverFor(m.protocol).openSession(m.driver);
    this.startDueClients();
    this.progressTimer = setInterval(() => this.reportProgress(), 500);
  }

  /** Client i of `total` starts at phaseStart + ramp × i / total, so all workers share one ramp. */
  private due(i: number): number {
    const m = this.m;
    return m.phaseStartMicros + (m.total > 1 ? (m.rampMs * 1000 * (m.first + i)) / m.total : 0);
  }

  private readonly startDueClients = (): void => {
    const now = nowMicros();
    while (this.next < this.m.count && this.due(this.next) <= now) {
      if (!this.firstStart) this.firstStart = now;
      this.startClient(this.m.first + this.next);
      this.next++;
    }
    if (this.next < this.m.count) {
      this.rampTimer = setTimeout(this.startDueClients, Math.min(10, Math.max(0, (this.due(this.next) - now) / 1000)));
    }
  };

  private startClient(index: number): void {
    const { slow: slowShare, driver } = this.m;
    const slow = slowShare && isSlowClient(index, slowShare.fraction) ? slowShare.reading : undefined;
    const instance = this.fleet ? (onPublishingInstance(driver.target, index) ? 'same' : 'cross') : null;
    const events = this.recorder.clientEvents(roomOf(index, driver.rooms), driver.rooms, slow !== undefined, instance);
    const client = this.session.createClient(index, events, slow);
    this.clients.push(client);
    client.start().catch(() => {});
  }

  private holdStarts(): void {
    this.rampLoop = { p99Ms: this.phaseLoop.p99Ms(), maxMs: this.phaseLoop.maxMs() };
    this.phaseLoop.reset();
    this.holdCpu = process.cpuUsage();
  }

  private reportProgress(): void {
    const loopDelayP99Ms = this.loop.p99Ms();
    this.loop.reset();
    const r = this.recorder;
    this.send({
      type: 'progress',
      started: this.clients.length,
      connected: r.connectedNow,
      delivered: r.latency.totalCount,
      errors: r.counters.errors,
      loopDelayP99Ms,
    });
  }

  /** The clients' memory once all are connected (the parent asks when). */
  sampleMemory(): MemoryReading {
    return (this.loaded = readMemory());
  }

  /** Stops the clients and closes their books against what was published. */
  async stop(lastPublished: number | null, neverPublished: number[], firstHoldSeq: number): Promise<WorkerResult> {
    if (this.rampTimer) clearTimeout(this.rampTimer);
    clearTimeout(this.holdTimer);
    clearInterval(this.progressTimer);
    const cpu = this.holdCpu ? process.cpuUsage(this.holdCpu) : null;
    const loopDelayP99Ms = this.phaseLoop.p99Ms();
    const loopDelayMaxMs = this.phaseLoop.maxMs();
    const wire = this.session.wireBytes();
    const r = this.recorder;
    const snapshot = r.snapshot(lastPublished, new Set(neverPublished), firstHoldSeq);
    const heartbeat = this.heartbeat();
    const upgrade = this.session.upgrade?.() ?? null;
    await Promise.race([this.session.close(), new Promise((resolve) => setTimeout(resolve, 3000))]);
    return {
      type: 'result',
      snapshot,
      wire,
      memory: { baseline: this.baseline, loaded: this.loaded },
      rampSpanMs: this.firstStart && r.lastConnectMicros ? (r.lastConnectMicros - this.firstStart) / 1000 : 0,
      loopDelayMaxMs,
      loopDelayP99Ms,
      ...(cpu ? { holdCpuMicros: cpu.user + cpu.system } : {}),
      ...(this.rampLoop ? { rampLoopDelayP99Ms: this.rampLoop.p99Ms, rampLoopDelayMaxMs: this.rampLoop.maxMs } : {}),
      requestWindow: { first: r.firstRequestMicros, last: r.lastRequestMicros },
      ...(heartbeat ? { heartbeat } : {}),
      ...(upgrade?.timesMs.length ? { upgrade } : {}),
    };
  }

  /** The session's heartbeat figures with detection times on the phase's clock, or null without a watch. */
  private heartbeat(): WorkerHeartbeat | null {
    const stats = this.session.heartbeat?.();
    if (!stats) return null;
    const { timeoutsAtMicros, ...rest } = stats;
    return { ...rest, timeoutsAtMs: timeoutsAtMicros.map((t) => (t - this.m.phaseStartMicros) / 1000) };
  }
}

/** Answers the parent's messages; a worker process runs one phase (one ClientWorker). */
function serveParent(): void {
  const send = (m: WorkerMessage) => process.send?.(m);
  let phase: ClientWorker | null = null;
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'start') phase = new ClientWorker(m, send);
    else if (m.type === 'sample-memory') {
      const reading = phase?.sampleMemory() ?? readMemory();
      send({ type: 'memory', reading });
    } else if (m.type === 'floor') void socketFloor(m.host, m.port, m.count).then(send);
    else if (m.type === 'stop') {
      void (phase ? phase.stop(m.lastPublished, m.neverPublished, m.firstHoldSeq) : Promise.resolve(null)).then(
        (result) => {
          if (result) send(result);
          setTimeout(() => process.exit(0), 50);
        },
      );
    }
  });
  send({ type: 'ready' });
}

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

serveParent();
