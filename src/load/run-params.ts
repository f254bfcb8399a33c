import type { RunResults } from '../results/schema.js';
import type { RunPlan } from '../scenario/plan.js';
import { describeFault, describeSlowMode } from '../scenario/stress.js';
import { isStressRun } from './phase.js';
import { shardRange } from './shard.js';

/**
 * The options a run records in its results (`params`). Each key is named by an option's
 * `recordedAs` in the option table (src/scenario/option-table.ts), and a test keeps the two in step;
 * `serverProcesses` is the count the run chose (0 in the plan means automatic).
 */
export function runParams(plan: RunPlan, serverProcesses: number | null): RunResults['params'] {
  return {
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
    ...(plan.heartbeatMs ? { heartbeatMs: plan.heartbeatMs } : {}),
    // Recorded when they shape the run, so results without them read as before (HTTP/1.1 only, no Socket.IO).
    ...(plan.http.versions.includes('2')
      ? { http: plan.http.versions, streamsPerConnection: plan.http.streamsPerConnection || 'max' }
      : {}),
    ...(plan.protocols.includes('socketio') ? { socketioTransports: plan.transports.socketio ?? [] } : {}),
  };
}
