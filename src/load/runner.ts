import os from 'node:os';
import { readFileSync } from 'node:fs';
import { TargetError, UsageError } from '../errors.js';
import type { TargetEndpoints } from '../protocols/types.js';
import { assembleProtocolResult, compareWithFloor } from '../results/assemble.js';
import { SCHEMA_VERSION, type ProtocolResult, type RunResults } from '../results/schema.js';
import type { RunPlan } from '../scenario/plan.js';
import { startBundledServer, type BundledServer } from './bundled-server.js';
import { isStressRun, runPhase, type SecondTotals } from './phase.js';
import { shardRange } from './shard.js';
import { bundledEndpoints, driverFor } from '../protocols/registry.js';
import { describeFault, describeSlowMode } from '../scenario/stress.js';
import type { BackpressurePolicy } from '../server-core/backpressure.js';
import type { ProtocolName } from '../protocols/types.js';
import { serverProcessesFor, splitClients } from './capacity.js';
import { readFdLimits } from './fd-limit.js';
import { probePublish } from './publisher.js';
import { fleetProbe, httpProbe, type ServerProbe } from './server-probe.js';
import { startFleet } from './fleet.js';
import { measureSocketFloor } from './socket-floor.js';
import { extraLoopbackDestinations } from './source-addresses.js';
import { atHost } from '../protocols/instances.js';
import { bundledServerTls, trustOf, withTlsModes } from './tls-run.js';

/** The bundled server's paths; with rooms, each carries ?room={room}. */

export interface RunHooks {
  /** aborting (Ctrl-C) ends the current phase early; results so far are returned, marked partial */
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** once a second per phase: running totals as data */
  onSecond?: (sample: SecondTotals) => void;
  onPhaseDone?: (result: ProtocolResult) => void;
}

/** Runs every protocol of the plan one after another, against the target or the bundled server. */
export async function runBenchmark(plan: RunPlan, hooks: RunHooks = {}): Promise<RunResults> {
  const signal = hooks.signal ?? new AbortController().signal;
  const startedAt = new Date().toISOString();
  if (plan.startAt !== null && plan.startAt < Date.now() - 1000) {
    throw new UsageError(
      `start time ${new Date(plan.startAt).toISOString()} is in the past`,
      'give every shard the same future time, e.g. --start-at $(( $(date +%s) + 30 ))',
    );
  }
  if (plan.target) {
    const { endpoints, publish } = plan.target;
    const problem = await probePublish({
      baseUrl: endpoints.baseUrl,
      ...publish,
      headers: endpoints.headers,
      tls: endpoints.tls,
    });
    if (problem)
      throw new TargetError(
        problem,
        /certificate was refused/.test(problem)
          ? 'pass --insecure to accept a self-signed certificate'
          : 'check --target and --publish, and that the server is running',
      );
  }

  // A --workers too small for the open-file limit is a usage error before anything starts.
  const fdLimit = readFdLimits().soft;
  splitClients({ clients: plan.clients, requested: plan.workers, cores: os.availableParallelism(), fdLimit });
  const serverProcesses = plan.target ? null : plan.server.processes || serverProcessesFor(plan.clients, fdLimit);

  const protocols: ProtocolResult[] = [];
  let partialReason: string | null = null;
  const notes = new Set<string>();
  let server: BundledServer | null = null;
  const serverTls = bundledServerTls(plan, extraLoopbackDestinations(plan.clients, serverProcesses ?? 1));
  try {
    for (const [protocolIndex, { protocol, policy, variant, tls }] of phasesOf(plan).entries()) {
      if (signal.aborted) {
        partialReason ??= String(signal.reason ?? 'interrupted');
        break;
      }
      // The bundled server gets a fresh process per phase: a clean memory baseline for each.
      const serverOptions = {
        host: '127.0.0.1',
        port: 0,
        longPollTimeoutMs: plan.longPollTimeoutMs,
        fanoutDelayMs: plan.server.fanoutDelayMs,
        backpressure: policy,
        highWaterBytes: plan.server.highWaterBytes,
        token: plan.token,
        nice: plan.server.nice,
        extraHosts: plan.fleet > 1 ? [] : extraLoopbackDestinations(plan.clients, serverProcesses ?? 1),
        tls: tls ? serverTls : null,
      };
      server = plan.target
        ? null
        : plan.fleet > 1
          ? await startFleet(serverOptions, plan.fleet, plan.redis!)
          : await startBundledServer(serverOptions, serverProcesses ?? 1);
      const auth: Record<string, string> = plan.token ? { authorization: `Bearer ${plan.token}` } : {};
      const endpoints: TargetEndpoints = plan.target
        ? plan.target.endpoints
        : {
            ...bundledEndpoints(server!.url, plan.rooms),
            headers: auth,
            ...(server!.instances ? { instances: server!.instances } : {}),
            ...(tls && serverTls ? { tls: trustOf(serverTls) } : {}),
            ...(serverOptions.extraHosts.length
              ? { addresses: [server!.url, ...serverOptions.extraHosts.map((h) => atHost(server!.url, h))] }
              : {}),
          };
      const publish = plan.target
        ? plan.target.publish
        : { method: 'POST', path: plan.rooms > 1 ? '/publish?room={room}' : '/publish' };
      const probe: ServerProbe = server?.instances
        ? fleetProbe(server.instances, '/metrics', endpoints.headers, endpoints.tls)
        : httpProbe(
            endpoints.baseUrl,
            plan.target ? plan.target.metricsPath : '/metrics',
            endpoints.headers,
            endpoints.tls,
          );
      const phase = await runPhase(
        {
          plan,
          endpoints,
          publish,
          probe,
          serverProcesses: plan.fleet > 1 ? plan.fleet : serverProcesses,
          signal,
          onProgress: hooks.onProgress,
          onSecond: hooks.onSecond,
          protocolIndex,
          server,
          variant,
        },
        protocol,
      ).finally(() => server?.close());
      const result = assembleProtocolResult({ ...phase, fleetInstances: plan.fleet > 1 ? plan.fleet : 0 });
      protocols.push(result);
      hooks.onPhaseDone?.(result);
      const label = variant ? `${protocol} · ${variant}` : protocol;
      if (result.generator?.saturated) {
        notes.add(
          `${label}: the load generator was saturated (event-loop delay p99: client workers ` +
            `${result.generator.workerLoopDelayP99Ms} ms, publisher ` +
            `${result.generator.publisherLoopDelayP99Ms} ms, against a latency p99 of ` +
            `${(result.latency.p99 / 1000).toFixed(1)} ms); this latency is partly rtbench's own, not the server's.`,
        );
      }
      if (phase.failedReason) {
        partialReason ??= `${label}: ${phase.failedReason}`;
        notes.add(`${label}: ${phase.failedReason}; the phase counts as failed (partial).`);
      }
      if (phase.abortReason) {
        partialReason ??= phase.abortReason;
        break;
      }
    }
  } finally {
    await server?.close();
  }
  if (!partialReason && protocols.length < phasesOf(plan).length) partialReason = 'not every protocol ran';
  // The floor client memory is compared with, measured once per run after the phases (an idle machine).
  if (!signal.aborted && protocols.length) {
    const floor = await measureSocketFloor(Math.min(2000, Math.max(500, plan.clients)));
    for (const p of protocols) if (p.generator) Object.assign(p.generator, compareWithFloor(p.client, floor));
  }
  if (isStressRun(plan)) notes.add(STRESS_NOTE);
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'rtbench', version: toolVersion() },
    partial: partialReason !== null,
    partialReason,
    startedAt,
    finishedAt: new Date().toISOString(),
    params: {
      name: plan.name,
      ...(Object.keys(plan.tags).length ? { tags: plan.tags } : {}),
      protocols: plan.protocols,
      clients: shardRange(plan.clients, plan.shard).count,
      durationMs: plan.durationMs,
      rampMs: plan.rampMs,
      rate: plan.rate,
      payloadBytes: plan.payloadBytes,
      rooms: plan.rooms,
      upstream: plan.upstream,
      pollIntervalMs: plan.pollIntervalMs,
      longPollTimeoutMs: plan.longPollTimeoutMs,
      workers: plan.workers,
      target: plan.target?.url ?? null,
      fanoutDelayMs: plan.server.fanoutDelayMs,
      ...(plan.shard ? { shard: plan.shard } : {}),
      ...(isStressRun(plan)
        ? {
            stress: {
              slowConsumers: plan.stress.slowFraction,
              slowMode: describeSlowMode(plan.stress.slowMode),
              backpressure: plan.stress.backpressure,
              highWaterBytes: plan.server.highWaterBytes,
              faults: plan.stress.faults.map(describeFault),
              reconnectBackoff: plan.backoff,
            },
          }
        : {}),
      serverProcesses,
      serverNice: plan.target ? null : plan.server.nice,
    },
    machine: machineInfo(),
    notes: [
      'Latency is intended publish time → receive time on one clock (every rtbench process maps the same ' +
        'monotonic clock to epoch time). Publish times come from a fixed schedule, so a stalled publisher or ' +
        'server shows up as latency (coordinated omission corrected).',
      'Polling and long-polling latency includes the wait for the next request. A wasted request is an answer ' +
        'that carried no new event.',
      'Bytes are counted at the client sockets (headers, framing and handshakes included) and divided by ' +
        'events delivered.',
      'Latency, loss and generator loop delay are for the hold (events intended after the ramp, all clients ' +
        "connected); the ramp's own figures are under `ramp` in the results. Lost counts both.",
      ...(plan.target || !plan.server.nice ? [] : [PRIORITY_NOTE(plan.server.nice)]),
      'Memory per connection is approximate: a process RSS/heap delta after a forced GC divided by ' +
        'connections; allocator and GC behaviour add noise of a few KB per connection at small client counts.',
      ...notes,
    ],
    protocols,
  };
}

const PRIORITY_NOTE = (nice: number) =>
  `The bundled server's processes ran at CPU priority nice ${nice} (rtbench's clients at 0): on a shared ` +
  `machine a client reads what the server has sent as soon as it arrives, so a burst's latency is the server's ` +
  `queue rather than the generator's (--server-nice 0 gives both the same priority).`;

const STRESS_NOTE =
  'Stress figures: the server is read once a second (RSS, bytes buffered for clients, events dropped and ' +
  'clients closed by its backpressure policy, event-loop delay); healthy and slow clients keep separate ' +
  'latency histograms; reconnect time runs from a transport going down to it being up again; recovered events ' +
  'are those delivered on a re-established connection that were due before it was up (resume worked); missed = ' +
  'recovered + lost for good.';

/**
 * The phases of a run: each protocol once, and a push protocol once per backpressure policy when
 * the plan names policies (request/response protocols have no server-side queue to govern).
 */
export function phasesOf(
  plan: RunPlan,
): Array<{ protocol: ProtocolName; policy: BackpressurePolicy; variant: string | null; tls: boolean }> {
  const policies = plan.stress.backpressure;
  const labelled = policies.length > 1 || policies[0] !== 'buffer';
  const phases = plan.protocols.flatMap((protocol) =>
    driverFor(protocol).requestResponse || plan.target
      ? [{ protocol, policy: policies[0], variant: null }]
      : policies.map((policy) => ({ protocol, policy, variant: labelled ? policy : null })),
  );
  return withTlsModes(phases, plan);
}

export function machineInfo(): RunResults['machine'] {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    totalMemBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

let version: string | null = null;
export function toolVersion(): string {
  if (!version) {
    try {
      version = (
        JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
      ).version;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
