import os from 'node:os';
import { readFileSync } from 'node:fs';
import { TargetError, UsageError } from '../errors.js';
import type { TargetEndpoints } from '../protocols/types.js';
import { assembleProtocolResult, compareWithFloor } from '../results/assemble.js';
import { SCHEMA_VERSION, type ProtocolResult, type RunResults } from '../results/schema.js';
import { failedPhaseWords, runNotes, saturationNote, workersDiedAtStartNote } from '../results/notes.js';
import { resultLabel } from '../results/result-label.js';
import type { RunPlan } from '../scenario/plan.js';
import { startBundledServer, type BundledServer } from './bundled-server.js';
import { isStressRun, runPhase, type PhaseProgress, type PhaseRun, type SecondTotals } from './phase.js';
import { bundledEndpoints, descriptorFor, driverFor } from '../protocols/registry.js';
import { runParams } from './run-params.js';
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
import { kebab } from '../scenario/option-table.js';
import { bundledServerTls, trustOf, withTlsModes } from './tls-run.js';
import { overHttp2, withHttpVersions } from './http-run.js';
import type { TlsMaterial } from '../server-core/context.js';

export interface RunHooks {
  /** aborting (Ctrl-C) ends the current phase early; results so far are returned, marked partial */
  signal?: AbortSignal;
  /** four times a second: the current phase's live state */
  onProgress?: (progress: PhaseProgress) => void;
  /** once a second per phase: running totals as data */
  onSecond?: (sample: SecondTotals) => void;
  onPhaseDone?: (result: ProtocolResult) => void;
}

/** Runs every protocol of the plan one after another, against the target or the bundled server. */
export async function runBenchmark(plan: RunPlan, hooks: RunHooks = {}): Promise<RunResults> {
  const signal = hooks.signal ?? new AbortController().signal;
  const startedAt = new Date().toISOString();
  await checkBeforeStart(plan);
  const serverProcesses = bundledServerProcesses(plan);
  const run = await runPhases(plan, { ...hooks, signal }, serverProcesses);
  // The floor client memory is compared with, measured once per run after the phases (an idle machine).
  if (!signal.aborted && run.protocols.length) await compareWithSocketFloor(plan, run.protocols);
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'rtbench', version: toolVersion() },
    partial: run.partialReason !== null,
    partialReason: run.partialReason,
    startedAt,
    finishedAt: new Date().toISOString(),
    params: runParams(plan, serverProcesses),
    machine: machineInfo(),
    notes: runNotes(
      { serverNice: plan.target ? null : plan.server.nice || null, stress: isStressRun(plan) },
      run.phaseNotes,
    ),
    protocols: run.protocols,
  };
}

/** A shard start time in the past, or a target that refuses a publish, stops the run before it starts. */
async function checkBeforeStart(plan: RunPlan): Promise<void> {
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
}

/** The bundled server's process count (null: a target); a --workers too small for the open-file limit throws. */
function bundledServerProcesses(plan: RunPlan): number | null {
  const fdLimit = readFdLimits().soft;
  splitClients({ clients: plan.clients, requested: plan.workers, cores: os.availableParallelism(), fdLimit });
  if (plan.target) return null;
  const processes = plan.server.processes || serverProcessesFor(plan.clients, fdLimit);
  const sticky = phasesOf(plan).find((p) => descriptorFor(p.protocol).stickyTransports?.includes(p.transport ?? ''));
  if (sticky && processes > 1)
    throw new UsageError(
      `${sticky.protocol} over ${sticky.transport} needs the bundled server as one process (its polling requests ` +
        `must reach the process holding the session), and this run has ${processes}`,
      `use --server-processes 1 and fewer clients, or --${kebab(sticky.protocol)}-transports websocket`,
    );
  return processes;
}

/** The phases' results, why the run is partial (null: it is not), and the phases' notes. */
interface PhasesRun {
  protocols: ProtocolResult[];
  partialReason: string | null;
  phaseNotes: Set<string>;
}

async function runPhases(
  plan: RunPlan,
  hooks: RunHooks & { signal: AbortSignal },
  serverProcesses: number | null,
): Promise<PhasesRun> {
  const run: PhasesRun = { protocols: [], partialReason: null, phaseNotes: new Set() };
  const phases = phasesOf(plan);
  // One certificate for the run (made once: generating a key costs tens of ms).
  const serverTls = bundledServerTls(plan, extraLoopbackDestinations(plan.clients, serverProcesses ?? 1));
  for (const [protocolIndex, { protocol, policy, variant, transport, tls, http2 }] of phases.entries()) {
    if (hooks.signal.aborted) {
      run.partialReason ??= String(hooks.signal.reason ?? 'interrupted');
      break;
    }
    const phase = await runPhaseOnServer(plan, hooks, serverProcesses, {
      protocolIndex,
      protocol,
      policy,
      variant,
      transport,
      tls: tls ? serverTls : null,
      http2,
    });
    const result = assembleProtocolResult({ ...phase, fleetInstances: plan.fleet > 1 ? plan.fleet : 0 });
    run.protocols.push(result);
    hooks.onPhaseDone?.(result);
    const label = resultLabel(result);
    const saturated = saturationNote(label, result);
    if (saturated) run.phaseNotes.add(saturated);
    const workersDied = workersDiedAtStartNote(label, result);
    if (workersDied) run.phaseNotes.add(workersDied);
    if (phase.failure) {
      const words = failedPhaseWords(label, phase.failure);
      run.partialReason ??= words.reason;
      run.phaseNotes.add(words.note);
    }
    if (phase.abortReason) {
      run.partialReason ??= phase.abortReason;
      break;
    }
  }
  if (!run.partialReason && run.protocols.length < phases.length) run.partialReason = 'not every protocol ran';
  return run;
}

/**
 * Runs one phase against the target, or against a bundled server started for it alone: a fresh
 * process per phase gives each a clean memory baseline.
 */
async function runPhaseOnServer(
  plan: RunPlan,
  hooks: RunHooks & { signal: AbortSignal },
  serverProcesses: number | null,
  phase: {
    protocolIndex: number;
    protocol: ProtocolName;
    policy: BackpressurePolicy;
    variant: string | null;
    /** the protocol's transport in this phase (Socket.IO's websocket or upgrade), null for one without */
    transport: string | null;
    /** the bundled server's certificate for a TLS phase, null for plaintext */
    tls: TlsMaterial | null;
    /** clients speak HTTP/2 */
    http2: boolean;
  },
): Promise<PhaseRun> {
  const serverOptions = { ...bundledServerOptions(plan, phase.policy, serverProcesses), tls: phase.tls };
  const server = plan.target
    ? null
    : plan.fleet > 1
      ? await startFleet(serverOptions, plan.fleet, plan.redis!)
      : await startBundledServer(serverOptions, serverProcesses ?? 1);
  try {
    const endpointsV1 = server
      ? bundledTargetEndpoints(plan, server, serverOptions.extraHosts, phase.tls)
      : plan.target!.endpoints;
    const endpoints = phase.http2 ? overHttp2(endpointsV1, plan) : endpointsV1;
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
    return await runPhase(
      {
        plan,
        endpoints,
        publish,
        probe,
        serverProcesses: plan.fleet > 1 ? plan.fleet : serverProcesses,
        signal: hooks.signal,
        onProgress: hooks.onProgress,
        onSecond: hooks.onSecond,
        protocolIndex: phase.protocolIndex,
        server,
        variant: phase.variant,
        transport: phase.transport,
      },
      phase.protocol,
    );
  } finally {
    await server?.close();
  }
}

function bundledServerOptions(plan: RunPlan, policy: BackpressurePolicy, serverProcesses: number | null) {
  return {
    host: '127.0.0.1',
    port: 0,
    longPollTimeoutMs: plan.longPollTimeoutMs,
    fanoutDelayMs: plan.server.fanoutDelayMs,
    backpressure: policy,
    highWaterBytes: plan.server.highWaterBytes,
    heartbeatMs: plan.heartbeatMs,
    token: plan.token,
    nice: plan.server.nice,
    extraHosts: plan.fleet > 1 ? [] : extraLoopbackDestinations(plan.clients, serverProcesses ?? 1),
  };
}

/** The bundled server's endpoints: its paths, the token, a fleet's instances, extra loopback addresses. */
function bundledTargetEndpoints(
  plan: RunPlan,
  server: BundledServer,
  extraHosts: string[],
  tls: TlsMaterial | null,
): TargetEndpoints {
  const auth: Record<string, string> = plan.token ? { authorization: `Bearer ${plan.token}` } : {};
  return {
    ...bundledEndpoints(server.url, plan.rooms),
    headers: auth,
    ...(server.instances ? { instances: server.instances } : {}),
    ...(tls ? { tls: trustOf(tls) } : {}),
    ...(extraHosts.length ? { addresses: [server.url, ...extraHosts.map((h) => atHost(server.url, h))] } : {}),
  };
}

/** Measures what a bare socket costs a client worker and compares each protocol's client memory with it. */
async function compareWithSocketFloor(plan: RunPlan, protocols: ProtocolResult[]): Promise<void> {
  const floor = await measureSocketFloor(Math.min(2000, Math.max(500, plan.clients)));
  for (const p of protocols) if (p.generator) Object.assign(p.generator, compareWithFloor(p.client, floor));
}

/**
 * The phases of a run: each protocol once, and a push protocol once per backpressure policy when
 * the plan names policies (request/response protocols have no server-side queue to govern, and
 * Socket.IO's route governs its own); a
 * protocol with several transports (Socket.IO) once per transport of the plan, labelled with it.
 */
export function phasesOf(plan: RunPlan): RunPhase[] {
  const policies = plan.stress.backpressure;
  const labelled = policies.length > 1 || policies[0] !== 'buffer';
  const phases = plan.protocols.flatMap((protocol): Array<Omit<RunPhase, 'tls' | 'http2'>> => {
    const byPolicy: Array<{ protocol: ProtocolName; policy: BackpressurePolicy; variant: string | null }> =
      driverFor(protocol).requestResponse || plan.target || descriptorFor(protocol).backpressurePolicies === false
        ? [{ protocol, policy: policies[0], variant: null }]
        : policies.map((policy) => ({ protocol, policy, variant: labelled ? policy : null }));
    const transports = descriptorFor(protocol).transports ? (plan.transports[protocol] ?? []) : [];
    if (!transports.length) return byPolicy.map((p) => ({ ...p, transport: null }));
    return byPolicy.flatMap((p) =>
      transports.map((transport) => ({
        ...p,
        transport,
        variant: p.variant ? `${p.variant} · ${transport}` : transport,
      })),
    );
  });
  return withHttpVersions(withTlsModes(phases, plan), plan);
}

/** One phase of a run: a protocol under one policy, transport and TLS mode, and how its rows are labelled. */
export interface RunPhase {
  protocol: ProtocolName;
  policy: BackpressurePolicy;
  variant: string | null;
  /** the protocol's transport (Socket.IO's websocket or upgrade), null for a protocol with one */
  transport: string | null;
  tls: boolean;
  /** clients speak HTTP/2 */
  http2: boolean;
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
