import os from 'node:os';
import { nowMicros } from '../clock.js';
import { newRunTag } from '../events/marker.js';
import { sleep } from '../protocols/backoff.js';
import { driverFor } from '../protocols/registry.js';
import type { DriverOptions, ProtocolName, TargetEndpoints } from '../protocols/types.js';
import type { RunPlan } from '../scenario/plan.js';
import type { PhaseOutcome } from '../results/assemble.js';
import type { LoadLayout, MemoryReading } from '../results/schema.js';
import { LoopDelayMonitor } from '../metrics/loop-delay.js';
import { splitClients } from './capacity.js';
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
  onProgress?: (line: string) => void;
  /** once a second: the phase's running totals as data (rtbench run --ndjson) */
  onSecond?: (sample: SecondTotals) => void;
  /** position of this phase in the run (for the shared shard schedule) */
  protocolIndex: number;
  /** the bundled server (faults are injected into it), or null for a target */
  server?: BundledServer | null;
  /** the label of this run of the protocol when it runs more than once (e.g. a backpressure policy) */
  variant?: string | null;
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
  failedReason: string | null;
  workerCount: number;
  loopDelayMaxMs: number;
  layout: LoadLayout;
}

/** Runs one protocol: ramp its clients, publish on schedule, hold, drain, collect. */
export async function runPhase(ctx: PhaseContext, protocol: ProtocolName): Promise<PhaseRun> {
  const { plan } = ctx;
  const driver = driverFor(protocol);
  const stop = new AbortController();
  let abortReason: string | null = null;
  const abort = (reason: string) => {
    abortReason ??= reason;
    stop.abort();
  };
  const onOuterAbort = () => abort(String(ctx.signal.reason ?? 'interrupted'));
  if (ctx.signal.aborted) onOuterAbort();
  ctx.signal.addEventListener('abort', onOuterAbort, { once: true });

  const tag = plan.runId ? sharedTag(plan.runId, protocol) : newRunTag();
  const range = shardRange(plan.clients, plan.shard);
  // Shard 0 (or an unsharded run) publishes; the other shards only subscribe.
  const publishes = !plan.shard || plan.shard.index === 0;
  const serverBaseline = await ctx.probe.sample(true);
  const fd = readFdLimits();
  // This process's share of the clients (all of them unless sharded) is what its workers hold.
  const split = splitClients({
    clients: range.count,
    requested: plan.workers,
    cores: os.availableParallelism(),
    fdLimit: fd.soft,
  });
  const workerCount = split.workers;
  // Clients spread over the destinations first; a source address is bound only past that.
  const destinations = Math.max(1, ctx.endpoints.addresses?.length ?? 1);
  const perDestination = Math.ceil(range.count / destinations);
  const sourceAddresses = chooseSourceAddresses(
    new URL(ctx.endpoints.baseUrl).hostname,
    perDestination,
    plan.sourceAddresses,
  );
  const finite = (n: number) => (Number.isFinite(n) ? n : null);
  const layout: LoadLayout = {
    workers: workerCount,
    clientsPerWorker: split.counts,
    sourceAddresses,
    destinations: ctx.endpoints.addresses?.map((a) => new URL(a).host) ?? [new URL(ctx.endpoints.baseUrl).host],
    serverProcesses: ctx.serverProcesses,
    fdLimit: { soft: finite(fd.soft), hard: finite(fd.hard) },
  };
  const pool = await WorkerPool.spawn(workerCount);
  const driverOptions: DriverOptions = {
    target: ctx.endpoints,
    tag,
    pollIntervalMs: plan.pollIntervalMs,
    requestTimeoutMs: plan.requestTimeoutMs,
    longPollWaitMs: plan.longPollWaitMs,
    sourceAddresses,
    rooms: plan.rooms,
    backoff: plan.backoff,
    limits: plan.limits,
  };
  const phaseStart =
    plan.startAt !== null
      ? (plan.startAt + ctx.protocolIndex * phaseSlotMs(plan.rampMs, plan.durationMs, plan.pollIntervalMs)) * 1000
      : nowMicros() + 100_000;
  if (phaseStart - nowMicros() > 100_000) await sleep((phaseStart - nowMicros()) / 1000 - 50, stop.signal);
  const { slowFraction, slowMode, faults } = plan.stress;
  // Stalls start when the hold starts, so every slow client is connected and reading before it.
  const slow =
    slowFraction > 0
      ? { fraction: slowFraction, reading: { mode: slowMode, stallAtMicros: phaseStart + plan.rampMs * 1000 } }
      : null;
  const seqs = scheduleSeqs(plan);
  pool.start(
    {
      protocol,
      driver: driverOptions,
      total: plan.clients,
      rampMs: plan.rampMs,
      phaseStartMicros: phaseStart,
      slow,
      perSecond: isStressRun(plan),
      maxSeq: seqs.max,
    },
    range,
  );
  const sampler = isStressRun(plan) ? new ServerSampler(ctx.probe, phaseStart) : null;
  sampler?.start();
  const faultSchedule = faults.length && ctx.server ? new FaultSchedule(faults, ctx.server, phaseStart) : null;
  faultSchedule?.start();
  const publisher = new Publisher({
    baseUrl: ctx.endpoints.baseUrl,
    method: ctx.publish.method,
    path: ctx.publish.path,
    headers: ctx.endpoints.headers,
    tls: ctx.endpoints.tls,
    tag,
    payloadBytes: plan.payloadBytes,
    rooms: plan.rooms,
    rate: plan.rate,
    startMicros: phaseStart,
    onTargetDown: abort,
    // Bidirectional protocols can publish over their own connection, as chat clients do.
    transport: plan.upstream === 'protocol' ? driver.openUpstream?.(driverOptions) : undefined,
  });
  // The publisher shares this process's event loop: its delay is the publisher's health.
  const publisherLoop = new LoopDelayMonitor();
  if (publishes) publisher.start();

  const holdEnd = phaseStart / 1000 + plan.rampMs + plan.durationMs;
  let lastSecond = -1;
  const label = ctx.variant ? `${protocol} · ${ctx.variant}` : protocol;
  const ticker = setInterval(() => {
    const t = pool.totals();
    const now = nowMicros();
    const second = Math.floor((now - phaseStart) / 1_000_000);
    if (ctx.onSecond && second > lastSecond) {
      lastSecond = second;
      const at = new Date(now / 1000).toISOString();
      const part = second * 1000 < plan.rampMs ? 'ramp' : 'hold';
      ctx.onSecond({
        at,
        protocol: label,
        second,
        part,
        clients: range.count,
        connected: t.connected,
        delivered: t.delivered,
        errors: t.errors,
        workerLoopDelayP99Ms: t.loopDelayP99Ms,
      });
    }
    const left = Math.max(0, (holdEnd - now / 1000) / 1000);
    ctx.onProgress?.(
      `${label}: ${t.connected}/${range.count} connected, ${t.delivered.toLocaleString('en-US')} events ` +
        `delivered, ${t.errors} errors, ${left.toFixed(0)}s left`,
    );
  }, 250);

  // Memory is sampled once every client is connected (or the ramp plus 10 s is over).
  const connectDeadline = phaseStart / 1000 + plan.rampMs + 10_000;
  let connectedMost = 0;
  const connectedNow = () => (connectedMost = Math.max(connectedMost, pool.totals().connected));
  while (
    !stop.signal.aborted &&
    connectedNow() < range.count &&
    nowMicros() / 1000 < Math.min(connectDeadline, holdEnd)
  ) {
    await sleep(100, stop.signal);
  }
  // Progress arrives every 500 ms: give a shortfall one more report before believing it.
  for (let i = 0; i < 8 && !stop.signal.aborted && connectedNow() < range.count; i++) await sleep(100, stop.signal);
  const shortfall = stop.signal.aborted ? null : connectShortfall(connectedMost, range.count, plan.rampMs);
  let serverLoaded = null;
  let workerMemory: MemoryReading[] = [];
  if (!stop.signal.aborted) {
    serverLoaded = await ctx.probe.sample(true);
    workerMemory = await pool.sampleMemory();
  }

  await sleep(Math.max(0, holdEnd - nowMicros() / 1000), stop.signal);
  const serverEnd = serverLoaded && !stop.signal.aborted ? await ctx.probe.sample(false) : null;
  await faultSchedule?.stop();
  await publisher.stop();
  publisherLoop.stop();
  // Let the last events reach healthy clients (a poller needs up to one interval).
  await sleep(stop.signal.aborted ? 200 : driver.settleMs(driverOptions), ctx.signal.aborted ? undefined : stop.signal);
  clearInterval(ticker);
  sampler?.stop();
  const lastPublished = publishes ? publisher.lastAcked : scheduledLastSeq(phaseStart, plan.rate, holdEnd * 1000);
  const workers = await pool.stop(lastPublished || null, publisher.failedSeqs, seqs.firstHold);
  pool.kill();
  ctx.signal.removeEventListener('abort', onOuterAbort);
  const endedAt = nowMicros();
  const published = publishes ? publisher.acked : lastPublished;
  // A dead worker fails this phase, not the run: the next protocols still run.
  const dead = workerCount - workers.length;
  const missing = range.count - workers.reduce((n, w) => n + w.snapshot.clients, 0);
  const deadReason =
    dead > 0
      ? `${dead} client worker(s) died mid-phase; the figures of their ${missing.toLocaleString('en-US')} ` +
        `clients are missing`
      : null;
  const failedReason = shortfall ?? deadReason ?? (stop.signal.aborted ? null : silence(published, workers));
  return {
    protocol,
    clients: range.count,
    workers,
    workerMemory,
    serverBaseline,
    serverLoaded,
    serverEnd,
    holdMs: plan.durationMs,
    published,
    publishErrors: publisher.failures,
    publishErrorsByType: { ...publisher.failuresByType },
    variant: ctx.variant ?? null,
    stress: sampler
      ? {
          slow: slow ? { fraction: slowFraction, mode: slowMode } : null,
          serverSamples: sampler.samples,
          faults: faultSchedule?.records ?? [],
          // a shard's per-second healthy histograms let rtbench merge compute the exact per-second p99
          secondHdrs: (plan.shard?.count ?? 1) > 1,
        }
      : null,
    durationMs: (endedAt - phaseStart) / 1000,
    partial: abortReason !== null || failedReason !== null,
    abortReason,
    failedReason,
    workerCount,
    loopDelayMaxMs: Math.max(0, ...workers.map((w) => w.loopDelayMaxMs)),
    layout,
    publisherLoopDelay: { p99Ms: publisherLoop.p99Ms(), maxMs: publisherLoop.maxMs() },
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
): string | null {
  if (published <= 0 || !workers.length) return null;
  if (workers.some((w) => w.snapshot.counters.delivered > 0)) return null;
  return `no client received any of the ${published.toLocaleString('en-US')} events published`;
}

/** Why a phase failed to connect its clients by the end of the ramp + 10 s, or null when it did. */
export function connectShortfall(connected: number, asked: number, rampMs: number): string | null {
  if (connected >= asked) return null;
  const by = `the end of the ramp + 10 s (${((rampMs + 10_000) / 1000).toFixed(0)} s)`;
  return (
    `only ${connected.toLocaleString('en-US')} of ${asked.toLocaleString('en-US')} clients were connected ` + `by ${by}`
  );
}
