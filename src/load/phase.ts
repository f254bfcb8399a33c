import os from 'node:os';
import { nowMicros } from '../clock.js';
import { newRunTag } from '../events/marker.js';
import { sleep } from '../protocols/backoff.js';
import { driverFor } from '../protocols/registry.js';
import type {
  DriverOptions,
  ProtocolDriver,
  ProtocolName,
  TargetEndpoints,
  UpstreamChannel,
} from '../protocols/types.js';
import type { RunPlan } from '../scenario/plan.js';
import type { PhaseOutcome } from '../results/assemble.js';
import type { LoadLayout, MemoryReading } from '../results/schema.js';
import type { PhaseFailure } from '../results/notes.js';
import type { ServerMetrics } from '../contracts/server-metrics.js';
import type { StartMessage, WorkerResult } from '../contracts/worker-messages.js';
import { LoopDelayMonitor } from '../metrics/loop-delay.js';
import { evenSplit, splitClients } from './capacity.js';
import { readFdLimits } from './fd-limit.js';
import { chooseSourceAddresses } from './source-addresses.js';
import { Publisher } from './publisher.js';
import type { ServerProbe } from './server-probe.js';
import { WorkerPool } from './worker-pool.js';
import { phaseSlotMs, scheduledLastSeq, shardRange, sharedTag } from './shard.js';
import type { BundledServer } from './bundled-server.js';
import { FaultSchedule } from './fault-schedule.js';
import { ServerSampler } from './server-sampler.js';

/** Client worker processes for a plan on this machine (see splitClients). */
export function chooseWorkers(plan: Pick<RunPlan, 'workers' | 'clients'>): number {
  return splitClients({
    clients: plan.clients,
    requested: plan.workers,
    cores: os.availableParallelism(),
    fdLimit: readFdLimits().soft,
  }).workers;
}

export interface PhaseContext {
  plan: RunPlan;
  endpoints: TargetEndpoints;
  publish: { method: string; path: string };
  probe: ServerProbe;
  /** reference-server processes behind the endpoints (null: an external target) */
  serverProcesses: number | null;
  signal: AbortSignal;
  /** four times a second: the phase's live state (src/cli puts it into words) */
  onProgress?: (progress: PhaseProgress) => void;
  /** once a second: the phase's running totals as data (rtbench run --ndjson) */
  onSecond?: (sample: SecondTotals) => void;
  /** position of this phase in the run (for the shared shard schedule) */
  protocolIndex: number;
  /** the bundled server (faults are injected into it), or null for a target */
  server?: BundledServer | null;
  /** the label of this run of the protocol when it runs more than once (e.g. a backpressure policy) */
  variant?: string | null;
  /** the protocol's transport in this phase (Socket.IO's websocket or upgrade) */
  transport?: string | null;
}

/** Slow consumers, faults or a chosen backpressure policy: sample the server every second. */
export function isStressRun(plan: RunPlan): boolean {
  return (
    plan.stress.slowFraction > 0 ||
    plan.stress.faults.length > 0 ||
    plan.stress.backpressure.length > 1 ||
    plan.stress.backpressure[0] !== 'buffer'
  );
}

export interface PhaseRun extends PhaseOutcome {
  /** why the phase ended early, if it did (the run stops) */
  abortReason: string | null;
  /** why the phase ran but failed (e.g. clients not connected): partial, the run goes on */
  failure: PhaseFailure | null;
  workerCount: number;
  loopDelayMaxMs: number;
  layout: LoadLayout;
}

/** A phase's live state, four times a second, for a spinner or a log line to put into words. */
export interface PhaseProgress {
  /** the protocol, with its variant when it runs more than once */
  label: string;
  /** this process's clients, and how many of them are connected */
  clients: number;
  connected: number;
  delivered: number;
  errors: number;
  /** until the hold ends, s */
  secondsLeft: number;
}

/** Runs one protocol: ramp its clients, publish on schedule, hold, drain, collect. */
export async function runPhase(ctx: PhaseContext, protocol: ProtocolName): Promise<PhaseRun> {
  const stop = new PhaseStop(ctx.signal);
  const setup = await prepare(ctx, protocol);
  const pool = await WorkerPool.spawn(setup.layout.workers);
  // A worker that died while starting left its clients to the others: the phase runs with fewer.
  if (pool.diedAtStart)
    setup.layout = { ...withWorkers(setup.layout, pool.size), workersDiedAtStart: pool.diedAtStart };
  const timing = await waitForPhaseStart(ctx, stop.signal);
  const load = startLoad(ctx, setup, pool, timing, stop);
  const ticker = startTicker(ctx, setup, pool, timing);
  const connected = await sampleWhenConnected(ctx, setup, pool, timing, stop.signal);
  const serverEnd = await holdAndDrain(ctx, setup, load, timing, connected, stop.signal);
  clearInterval(ticker);
  load.sampler?.stop();
  const lastPublished = setup.publishes
    ? load.publisher.lastAcked
    : scheduledLastSeq(timing.phaseStart, ctx.plan.rate, timing.holdEndMs * 1000);
  const workers = await pool.stop(lastPublished || null, load.publisher.failedSeqs, load.seqs.firstHold);
  pool.kill();
  stop.dispose();
  return phaseRun(ctx, setup, timing, load, { ...connected, serverEnd }, workers, stop, lastPublished);
}

/** The layout with its clients split over `n` workers instead (as WorkerPool.start splits them). */
function withWorkers(layout: LoadLayout, n: number): LoadLayout {
  const total = layout.clientsPerWorker.reduce((a, b) => a + b, 0);
  return { ...layout, workers: n, clientsPerWorker: evenSplit(total, n) };
}

/** Ends a phase early, once, for the first reason given (its own or the run's signal). */
class PhaseStop {
  private readonly controller = new AbortController();
  reason: string | null = null;
  private readonly onOuterAbort = () => this.abort(String(this.outer.reason ?? 'interrupted'));

  constructor(private readonly outer: AbortSignal) {
    if (outer.aborted) this.onOuterAbort();
    outer.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly abort = (reason: string): void => {
    this.reason ??= reason;
    this.controller.abort();
  };

  dispose(): void {
    this.outer.removeEventListener('abort', this.onOuterAbort);
  }
}

/** What a phase decides before its workers start: who publishes, which clients, how spread. */
interface PhaseSetup {
  protocol: ProtocolName;
  driver: ProtocolDriver;
  label: string;
  tag: string;
  range: { first: number; count: number };
  /** shard 0 (or an unsharded run) publishes; the other shards only subscribe */
  publishes: boolean;
  serverBaseline: ServerMetrics | null;
  layout: LoadLayout;
  driverOptions: DriverOptions;
}

async function prepare(ctx: PhaseContext, protocol: ProtocolName): Promise<PhaseSetup> {
  const { plan } = ctx;
  const range = shardRange(plan.clients, plan.shard);
  const serverBaseline = await ctx.probe.sample(true);
  const layout = loadLayout(ctx, range.count);
  const tag = plan.runId ? sharedTag(plan.runId, protocol) : newRunTag();
  return {
    protocol,
    driver: driverFor(protocol),
    label: ctx.variant ? `${protocol} · ${ctx.variant}` : protocol,
    tag,
    range,
    publishes: !plan.shard || plan.shard.index === 0,
    serverBaseline,
    layout,
    driverOptions: {
      target: ctx.endpoints,
      tag,
      pollIntervalMs: plan.pollIntervalMs,
      requestTimeoutMs: plan.requestTimeoutMs,
      longPollWaitMs: plan.longPollWaitMs,
      sourceAddresses: layout.sourceAddresses,
      rooms: plan.rooms,
      backoff: plan.backoff,
      limits: plan.limits,
      heartbeatMs: plan.heartbeatMs,
      ...(ctx.transport ? { transport: ctx.transport } : {}),
      eventName: plan.socketioEvent,
    },
  };
}

/** This process's share of the clients (all of them unless sharded) over workers and addresses. */
function loadLayout(ctx: PhaseContext, clients: number): LoadLayout {
  const fd = readFdLimits();
  const split = splitClients({
    clients,
    requested: ctx.plan.workers,
    cores: os.availableParallelism(),
    fdLimit: fd.soft,
  });
  // Clients spread over the destinations first; a source address is bound only past that.
  const destinations = Math.max(1, ctx.endpoints.addresses?.length ?? 1);
  const perDestination = Math.ceil(clients / destinations);
  const sourceAddresses = chooseSourceAddresses(
    new URL(ctx.endpoints.baseUrl).hostname,
    perDestination,
    ctx.plan.sourceAddresses,
  );
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  return {
    workers: split.workers,
    clientsPerWorker: split.counts,
    sourceAddresses,
    destinations: ctx.endpoints.addresses?.map((a) => new URL(a).host) ?? [new URL(ctx.endpoints.baseUrl).host],
    serverProcesses: ctx.serverProcesses,
    fdLimit: { soft: finite(fd.soft), hard: finite(fd.hard) },
  };
}

/** When the phase starts and its hold ends: epoch µs and epoch ms. */
interface PhaseTiming {
  phaseStart: number;
  holdEndMs: number;
}

/** A shared start time (shards) puts each phase in its own slot; otherwise it starts in 100 ms. */
async function waitForPhaseStart(ctx: PhaseContext, signal: AbortSignal): Promise<PhaseTiming> {
  const { plan } = ctx;
  const phaseStart =
    plan.startAt !== null
      ? (plan.startAt + ctx.protocolIndex * phaseSlotMs(plan.rampMs, plan.durationMs, plan.pollIntervalMs)) * 1000
      : nowMicros() + 100_000;
  if (phaseStart - nowMicros() > 100_000) await sleep((phaseStart - nowMicros()) / 1000 - 50, signal);
  return { phaseStart, holdEndMs: phaseStart / 1000 + plan.rampMs + plan.durationMs };
}

/** What runs during a phase besides the clients: the publisher, server sampler and faults. */
interface PhaseLoad {
  publisher: Publisher;
  /** the publisher shares this process's event loop: its delay is the publisher's health */
  publisherLoop: LoopDelayMonitor;
  sampler: ServerSampler | null;
  faultSchedule: FaultSchedule | null;
  slow: StartMessage['slow'];
  seqs: { firstHold: number; max: number };
  /** --upstream protocol: the protocol's own publishing channel (its acks' round trips are reported) */
  upstream: UpstreamChannel | undefined;
}

function startLoad(
  ctx: PhaseContext,
  setup: PhaseSetup,
  pool: WorkerPool,
  { phaseStart }: PhaseTiming,
  stop: PhaseStop,
): PhaseLoad {
  const { plan } = ctx;
  const { slowFraction, slowMode, faults } = plan.stress;
  // Stalls start when the hold starts, so every slow client is connected and reading before it.
  const slow =
    slowFraction > 0
      ? { fraction: slowFraction, reading: { mode: slowMode, stallAtMicros: phaseStart + plan.rampMs * 1000 } }
      : null;
  const seqs = scheduleSeqs(plan);
  const base = { protocol: setup.protocol, driver: setup.driverOptions, total: plan.clients, rampMs: plan.rampMs };
  const perSecond = isStressRun(plan);
  pool.start({ ...base, phaseStartMicros: phaseStart, slow, perSecond, maxSeq: seqs.max }, setup.range);
  const sampler = isStressRun(plan) ? new ServerSampler(ctx.probe, phaseStart) : null;
  sampler?.start();
  const faultSchedule = faults.length && ctx.server ? new FaultSchedule(faults, ctx.server, phaseStart) : null;
  faultSchedule?.start();
  // Bidirectional protocols can publish over their own connection, as chat clients do.
  const upstream = plan.upstream === 'protocol' ? setup.driver.openUpstream?.(setup.driverOptions) : undefined;
  const publisher = new Publisher({
    baseUrl: ctx.endpoints.baseUrl,
    method: ctx.publish.method,
    path: ctx.publish.path,
    headers: ctx.endpoints.headers,
    tls: ctx.endpoints.tls,
    tag: setup.tag,
    payloadBytes: plan.payloadBytes,
    rooms: plan.rooms,
    rate: plan.rate,
    startMicros: phaseStart,
    onTargetDown: stop.abort,
    downOnPurpose: () => faultSchedule?.restarting === true,
    transport: upstream,
  });
  const publisherLoop = new LoopDelayMonitor();
  if (setup.publishes) publisher.start();
  return { publisher, publisherLoop, sampler, faultSchedule, slow, seqs, upstream };
}

/** Four times a second: progress for the console; once a second: running totals as data. */
function startTicker(ctx: PhaseContext, setup: PhaseSetup, pool: WorkerPool, timing: PhaseTiming): NodeJS.Timeout {
  let lastSecond = -1;
  return setInterval(() => {
    const t = pool.totals();
    const now = nowMicros();
    const second = Math.floor((now - timing.phaseStart) / 1_000_000);
    if (ctx.onSecond && second > lastSecond) {
      lastSecond = second;
      ctx.onSecond({
        at: new Date(now / 1000).toISOString(),
        protocol: setup.label,
        second,
        part: second * 1000 < ctx.plan.rampMs ? 'ramp' : 'hold',
        clients: setup.range.count,
        connected: t.connected,
        delivered: t.delivered,
        errors: t.errors,
        workerLoopDelayP99Ms: t.loopDelayP99Ms,
      });
    }
    ctx.onProgress?.({
      label: setup.label,
      clients: setup.range.count,
      connected: t.connected,
      delivered: t.delivered,
      errors: t.errors,
      secondsLeft: Math.max(0, (timing.holdEndMs - now / 1000) / 1000),
    });
  }, 250);
}

/** How far the clients got, and memory read once all were connected. */
interface ConnectedState {
  shortfall: PhaseFailure | null;
  serverLoaded: ServerMetrics | null;
  workerMemory: MemoryReading[];
  /** the server read again when the hold ends: its CPU over the hold (TLS cost) */
  serverEnd?: ServerMetrics | null;
}

/** Memory is sampled once every client is connected (or the ramp plus 10 s is over). */
async function sampleWhenConnected(
  ctx: PhaseContext,
  setup: PhaseSetup,
  pool: WorkerPool,
  timing: PhaseTiming,
  signal: AbortSignal,
): Promise<ConnectedState> {
  const asked = setup.range.count;
  const connectDeadline = timing.phaseStart / 1000 + ctx.plan.rampMs + 10_000;
  let connectedMost = 0;
  const connectedNow = () => (connectedMost = Math.max(connectedMost, pool.totals().connected));
  while (
    !signal.aborted &&
    connectedNow() < asked &&
    nowMicros() / 1000 < Math.min(connectDeadline, timing.holdEndMs)
  ) {
    await sleep(100, signal);
  }
  // Progress arrives every 500 ms: give a shortfall one more report before believing it.
  for (let i = 0; i < 8 && !signal.aborted && connectedNow() < asked; i++) await sleep(100, signal);
  if (signal.aborted) return { shortfall: null, serverLoaded: null, workerMemory: [] };
  return {
    shortfall: connectShortfall(connectedMost, asked, ctx.plan.rampMs),
    serverLoaded: await ctx.probe.sample(true),
    workerMemory: await pool.sampleMemory(),
  };
}

/**
 * Holds until the hold's end, reads the server again (its CPU over the hold), stops publishing and
 * faults, and lets the last events arrive.
 */
async function holdAndDrain(
  ctx: PhaseContext,
  setup: PhaseSetup,
  load: PhaseLoad,
  timing: PhaseTiming,
  connected: ConnectedState,
  signal: AbortSignal,
): Promise<ServerMetrics | null> {
  await sleep(Math.max(0, timing.holdEndMs - nowMicros() / 1000), signal);
  const serverEnd = connected.serverLoaded && !signal.aborted ? await ctx.probe.sample(false) : null;
  await load.faultSchedule?.stop();
  await load.publisher.stop();
  load.publisherLoop.stop();
  // Let the last events reach healthy clients (a poller needs up to one interval).
  const settleMs = signal.aborted ? 200 : setup.driver.settleMs(setup.driverOptions);
  await sleep(settleMs, ctx.signal.aborted ? undefined : signal);
  return serverEnd;
}

/** The phase's outcome from what its workers reported; a dead worker fails this phase, not the run. */
function phaseRun(
  ctx: PhaseContext,
  setup: PhaseSetup,
  timing: PhaseTiming,
  load: PhaseLoad,
  connected: ConnectedState,
  workers: WorkerResult[],
  stop: PhaseStop,
  lastPublished: number,
): PhaseRun {
  const { plan } = ctx;
  const endedAt = nowMicros();
  const published = setup.publishes ? load.publisher.acked : lastPublished;
  const dead = setup.layout.workers - workers.length;
  const missing = setup.range.count - workers.reduce((n, w) => n + w.snapshot.clients, 0);
  const deadFailure: PhaseFailure | null = dead > 0 ? { kind: 'workers-died', workers: dead, clients: missing } : null;
  const failure = connected.shortfall ?? deadFailure ?? (stop.signal.aborted ? null : silence(published, workers));
  return {
    protocol: setup.protocol,
    clients: setup.range.count,
    workers,
    workerMemory: connected.workerMemory,
    serverBaseline: setup.serverBaseline,
    serverLoaded: connected.serverLoaded,
    serverEnd: connected.serverEnd ?? null,
    holdMs: plan.durationMs,
    published,
    publishErrors: load.publisher.failures,
    publishErrorsByType: { ...load.publisher.failuresByType },
    variant: ctx.variant ?? null,
    clientsShareConnections: ctx.endpoints.http2 !== undefined,
    stress: load.sampler
      ? {
          slow: load.slow ? { fraction: plan.stress.slowFraction, mode: plan.stress.slowMode } : null,
          serverSamples: load.sampler.samples,
          faults: load.faultSchedule?.records ?? [],
          // a shard's per-second healthy histograms let rtbench merge compute the exact per-second p99
          secondHdrs: (plan.shard?.count ?? 1) > 1,
        }
      : null,
    durationMs: (endedAt - timing.phaseStart) / 1000,
    partial: stop.reason !== null || failure !== null,
    abortReason: stop.reason,
    failure,
    workerCount: setup.layout.workers,
    loopDelayMaxMs: Math.max(0, ...workers.map((w) => w.loopDelayMaxMs)),
    layout: setup.layout,
    publisherLoopDelay: { p99Ms: load.publisherLoop.p99Ms(), maxMs: load.publisherLoop.maxMs() },
    ackRoundTripsMs: load.upstream?.ackRoundTripsMs?.() ?? [],
  };
}

/** A phase's running totals, once a second, as `rtbench run --ndjson` writes them (one JSON object per line). */
export interface SecondTotals {
  /** wall-clock time of the sample (ISO 8601) */
  at: string;
  /** the protocol, with its variant when it runs more than once */
  protocol: string;
  /** whole seconds since the phase started */
  second: number;
  part: 'ramp' | 'hold';
  clients: number;
  connected: number;
  /** events delivered so far in this phase (all clients) */
  delivered: number;
  errors: number;
  /** the worst client worker's event-loop delay p99 in its last report, ms */
  workerLoopDelayP99Ms: number;
}

/**
 * The seqs of a phase's publish schedule: the first one intended after the ramp (the hold's
 * first), and a ceiling no publisher of this phase can pass (ramp + hold + a minute, plus slack).
 */
export function scheduleSeqs(plan: Pick<RunPlan, 'rampMs' | 'durationMs' | 'rate'>): {
  firstHold: number;
  max: number;
} {
  const firstHold = 1 + Math.ceil((plan.rampMs / 1000) * plan.rate - 1e-9);
  const max = Math.ceil(((plan.rampMs + plan.durationMs + 60_000) / 1000) * plan.rate) + 1000;
  return { firstHold, max };
}

/**
 * A phase in which events were published and no client received any failed: a target that
 * accepts and never answers, or answers on another path, must not read as a clean run of 0 lost.
 */
export function silence(
  published: number,
  workers: Array<{ snapshot: { counters: { delivered: number } } }>,
): PhaseFailure | null {
  if (published <= 0 || !workers.length) return null;
  if (workers.some((w) => w.snapshot.counters.delivered > 0)) return null;
  return { kind: 'silence', published };
}

/** A phase that failed to connect its clients by the end of the ramp + 10 s, or null when it did. */
export function connectShortfall(connected: number, asked: number, rampMs: number): PhaseFailure | null {
  return connected >= asked ? null : { kind: 'connect-shortfall', connected, asked, rampMs };
}
