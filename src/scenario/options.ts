import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { atHost } from '../protocols/instances.js';
import { driverFor, findProtocol, pathsFrom } from '../protocols/registry.js';
import { kebab, optionDefaults, parsed, type RawRunOptions } from './option-table.js';
import { listOf, parseHeaders } from './option-parsers.js';
import type { RunPlan, TargetPlan } from './plan.js';
import { parseTlsOptions } from './tls.js';

export type { RawRunOptions } from './option-table.js';

/** Later sources win: defaults < scenario file < command-line flags. */
export function buildPlan(...sources: RawRunOptions[]): RunPlan {
  const o = mergeSources(sources);
  const plan = parsePlan(o);
  checkRoomPlaceholders(plan);
  checkFleetAndShards(plan);
  const explicitTimeoutMs = parsed(o, 'timeout');
  applyTimeouts(plan, explicitTimeoutMs);
  checkLimits(plan, explicitTimeoutMs);
  checkTargetOnlyOptions(plan, sources);
  checkPhaseValues(plan);
  checkHttpVersions(plan);
  return plan;
}

/** The table's defaults overlaid by each source in turn (an undefined value does not override). */
function mergeSources(sources: RawRunOptions[]): RawRunOptions {
  const o: RawRunOptions = optionDefaults();
  for (const s of sources) for (const [k, v] of Object.entries(s)) if (v !== undefined) o[k] = v;
  return o;
}

/** Every value parsed into the plan's shape; the timeouts are filled in by applyTimeouts. */
function parsePlan(o: RawRunOptions): RunPlan {
  const startAt = parsed(o, 'startAt');
  return {
    name: parsed(o, 'name'),
    tags: parsed(o, 'tags'),
    protocols: parsed(o, 'protocols'),
    clients: parsed(o, 'clients'),
    durationMs: parsed(o, 'duration'),
    rampMs: parsed(o, 'ramp'),
    rate: parsed(o, 'rate'),
    payloadBytes: parsed(o, 'payload'),
    rooms: parsed(o, 'rooms'),
    upstream: parsed(o, 'upstream'),
    pollIntervalMs: parsed(o, 'pollInterval'),
    longPollTimeoutMs: parsed(o, 'longPollTimeout'),
    transports: { socketio: parsed(o, 'socketioTransports') },
    socketioEvent: parsed(o, 'socketioEvent'),
    workers: parsed(o, 'workers'),
    sourceAddresses: parsed(o, 'sourceAddresses'),
    target: o.target ? targetPlan(o) : null,
    tls: parseTlsOptions(o),
    http: { versions: parsed(o, 'http'), streamsPerConnection: parsed(o, 'streamsPerConnection') },
    fleet: parsed(o, 'fleet'),
    redis: parsed(o, 'redis'),
    server: {
      fanoutDelayMs: parsed(o, 'fanoutDelay'),
      highWaterBytes: parsed(o, 'highWater'),
      processes: parsed(o, 'serverProcesses'),
      nice: parsed(o, 'serverNice'),
    },
    output: { json: parsed(o, 'out'), quiet: parsed(o, 'quiet') },
    shard: parsed(o, 'shard'),
    startAt,
    runId: o.runId !== undefined ? String(o.runId) : startAt !== null ? `run-${String(o.startAt)}` : null,
    requestTimeoutMs: 0,
    longPollWaitMs: 0,
    token: parsed(o, 'token'),
    backoff: parsed(o, 'reconnectBackoff'),
    heartbeatMs: parsed(o, 'heartbeat'),
    limits: {
      sseMaxEventBytes: parsed(o, 'maxEventSize'),
      wsMaxMessageBytes: parsed(o, 'maxMessageSize'),
      pollMaxAnswerBytes: parsed(o, 'maxAnswerSize'),
    },
    stress: {
      slowFraction: parsed(o, 'slowConsumers'),
      slowMode: parsed(o, 'slowMode'),
      backpressure: parsed(o, 'backpressure'),
      faults: parsed(o, 'faults'),
    },
  };
}

/** With rooms, every path on a target must say where the room goes. */
function checkRoomPlaceholders(plan: RunPlan): void {
  if (!plan.target || plan.rooms <= 1) return;
  const t = plan.target;
  const paths: Array<[string, string]> = [
    ['publish', t.publish.path],
    ...plan.protocols.map((p) => [p, t.endpoints.paths[p]] as [string, string]),
  ];
  for (const [what, path] of paths) {
    if (!path.includes('{room}'))
      throw new UsageError(
        `rooms need a {room} placeholder in the ${what} path "${path}"`,
        'put {room} where the room name goes, e.g. /sub/{room} or /pub?channel={room}',
      );
  }
}

/** A fleet needs Redis and the bundled server; shards need a shared target and a shared start. */
function checkFleetAndShards(plan: RunPlan): void {
  if (plan.fleet > 1 && !plan.redis)
    throw new UsageError(
      `--fleet ${plan.fleet} needs --redis: the instances fan events out through Redis`,
      'e.g. --fleet 3 --redis redis://127.0.0.1:6379',
    );
  if (plan.fleet > 1 && plan.target)
    throw new UsageError(
      '--fleet starts bundled server instances; it cannot be used with --target',
      'drop one of them',
    );
  if (plan.fleet < 2 && plan.stress.faults.some((f) => f.kind === 'kill-instance'))
    throw new UsageError('the kill-instance fault needs a fleet', 'add --fleet 3 --redis redis://127.0.0.1:6379');
  if (plan.shard && plan.shard.count > 1) {
    if (!plan.target)
      throw new UsageError(
        '--shard needs --target: every shard must load the same server',
        'start it with rtbench serve and pass --target URL',
      );
    if (plan.startAt === null)
      throw new UsageError(
        '--shard needs --start-at: shards start their phases at one shared time',
        'e.g. --start-at $(( $(date +%s) + 30 ))',
      );
  }
}

/**
 * Silence must show inside a phase: an answer's first byte or a handshake within 10 s; only a
 * long-poll may legitimately be held longer (the bundled server's hold plus slack).
 */
function applyTimeouts(plan: RunPlan, explicitMs: number | null): void {
  plan.requestTimeoutMs = explicitMs ?? DEFAULT_TIMEOUT_MS;
  plan.longPollWaitMs = explicitMs ?? Math.max(30_000, plan.longPollTimeoutMs + 10_000);
}

/** Options that only make sense with a target, or only without one; a token becomes the target's header. */
function checkTargetOnlyOptions(plan: RunPlan, sources: RawRunOptions[]): void {
  const given = (key: string) => sources.some((s) => s[key] !== undefined);
  if (given('headers') && !plan.target)
    throw new UsageError(
      '--header is sent to a target; the bundled server needs none',
      'add --target URL, or drop --header',
    );
  if (given('socketioEvent') && !plan.target && plan.socketioEvent !== 'event')
    throw new UsageError(
      `--socketio-event names what a target emits; the bundled server emits "event", never "${plan.socketioEvent}"`,
      'add --target URL, or drop --socketio-event',
    );
  if (plan.requestTimeoutMs < 100) throw new UsageError('timeout below 100ms', 'use --timeout 1s or more');
  if (!plan.target) return;
  if (plan.stress.faults.some((f) => f.kind === 'blackhole'))
    throw new UsageError(
      "the blackhole fault needs the bundled server (rtbench cannot silence a target's connections)",
      "drop --target; against a target, --heartbeat only arms the clients' detection",
    );
  if (plan.stress.faults.length)
    throw new UsageError(
      '--faults needs the bundled server (rtbench cannot drop or restart a target)',
      'drop --target, or inject faults in your server yourself',
    );
  if (given('backpressure'))
    throw new UsageError(
      "--backpressure sets the bundled server's policy and has no effect on a target",
      'drop --target or --backpressure',
    );
  if (given('serverNice'))
    throw new UsageError(
      "--server-nice sets the bundled server's CPU priority and has no effect on a target",
      'drop --server-nice, or start your server with `nice -n 5`',
    );
  if (plan.tls.insecure) plan.target.endpoints.tls = { insecure: true };
  if (plan.token)
    plan.target.endpoints.headers = { authorization: `Bearer ${plan.token}`, ...plan.target.endpoints.headers };
}

/** Values that parse but cannot make a phase: faults after its end, empty holds, tiny payloads, typos. */
function checkPhaseValues(plan: RunPlan): void {
  const phaseMs = plan.rampMs + plan.durationMs;
  for (const f of plan.stress.faults)
    if (f.atMs >= phaseMs)
      throw new UsageError(
        `fault at ${f.atMs / 1000}s comes after each phase ends (ramp + duration = ${phaseMs / 1000}s)`,
        'give an earlier time or a longer --duration',
      );
  if (plan.durationMs <= 0) throw new UsageError('duration must be longer than 0', 'e.g. --duration 20s');
  if (plan.payloadBytes < 64)
    throw new UsageError(
      `payload ${plan.payloadBytes}B is smaller than rtbench's 64-byte event marker`,
      'use --payload 64B or more',
    );
  // 0 is max-rate polling (each client asks again as soon as it has its answer, like autocannon);
  // 1–9 ms is almost surely a typo.
  if (plan.pollIntervalMs > 0 && plan.pollIntervalMs < 10)
    throw new UsageError(
      'poll interval below 10ms',
      'use --poll-interval 100ms or more, or 0 to poll as fast as possible',
    );
  if (plan.rate > 100_000)
    throw new UsageError(`rate ${plan.rate}/s is above rtbench's publisher limit of 100000/s`, 'lower --rate');
  const fastOnly = plan.protocols.find((p) => findProtocol(p)?.slowReading === false);
  if (plan.stress.slowFraction > 0 && fastOnly)
    throw new UsageError(
      `--slow-consumers is not supported with ${fastOnly}: its clients cannot stop reading their transport`,
      `run ${fastOnly} without --slow-consumers, or the slow-consumer run without it`,
    );
}

/** HTTP/2 only for protocols that speak it: WebSocket over HTTP/2 would need RFC 8441 (extended CONNECT). */
function checkHttpVersions(plan: RunPlan): void {
  if (plan.http.versions.includes('1.1')) return;
  const h1Only = plan.protocols.filter((p) => !driverFor(p).http2).join(', ');
  if (h1Only)
    throw new UsageError(
      `--http 2 cannot run ${h1Only}: WebSocket over HTTP/2 needs RFC 8441 (extended CONNECT), ` +
        'which rtbench does not support',
      `use --http 1.1,2 (${h1Only} then runs over HTTP/1.1 once), or leave ${h1Only} out of --protocols`,
    );
}

/** How long a client waits for a handshake or an answer's first byte by default. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** Longest duration a run takes: far past any real run, and safely inside Node's timers (24.8 days). */
const MAX_DURATION_MS = 24 * 3_600_000;
/** Most clients one run holds (bigger loads split over machines with --shard). */
const MAX_CLIENTS = 1_000_000;
const MAX_WORKERS = 256;
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const MAX_ROOMS = 100_000;

/**
 * Ranges every value must be in before anything starts: a huge number is a one-line usage error,
 * not a stack trace, a timer that overflows (it would fire at once) or a gigabyte of idle workers.
 */
function checkLimits(plan: RunPlan, explicitTimeoutMs: number | null): void {
  const durations: Array<[string, number]> = [
    ['duration', plan.durationMs],
    ['ramp', plan.rampMs],
    ['poll-interval', plan.pollIntervalMs],
    ['long-poll-timeout', plan.longPollTimeoutMs],
    ['fanout-delay', plan.server.fanoutDelayMs],
  ];
  if (explicitTimeoutMs !== null) durations.push(['timeout', explicitTimeoutMs]);
  for (const [flag, ms] of durations) {
    if (ms > MAX_DURATION_MS)
      throw new UsageError(
        `--${flag} of ${ms / 1000}s is longer than rtbench's limit of 24h`,
        `use a shorter --${flag}`,
      );
  }
  if (plan.clients > MAX_CLIENTS)
    throw new UsageError(
      `${plan.clients} clients are more than one run holds (${MAX_CLIENTS.toLocaleString('en-US')})`,
      'split the load over machines with --shard I/N',
    );
  if (plan.workers > MAX_WORKERS)
    throw new UsageError(
      `--workers ${plan.workers} is more than ${MAX_WORKERS}`,
      'use --workers 0 (automatic: enough for the clients)',
    );
  if (plan.workers > plan.clients)
    throw new UsageError(
      `--workers ${plan.workers} is more than the ${plan.clients} clients`,
      `use --workers ${plan.clients} or fewer, or 0 for automatic`,
    );
  if (plan.payloadBytes > MAX_PAYLOAD_BYTES)
    throw new UsageError(
      `payload ${plan.payloadBytes} B is over rtbench's limit of 16MB per event`,
      'use a smaller --payload',
    );
  if (plan.rooms > MAX_ROOMS)
    throw new UsageError(`--rooms ${plan.rooms} is more than ${MAX_ROOMS.toLocaleString('en-US')}`, 'use fewer rooms');
}

function targetPlan(o: RawRunOptions): TargetPlan {
  let url: URL;
  try {
    url = new URL(String(o.target));
  } catch {
    throw new UsageError(`target "${o.target}" is not a URL`, 'use e.g. --target http://127.0.0.1:9000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`target "${o.target}" is not http(s)`, 'use e.g. --target http://127.0.0.1:9000');
  const pub = String(o.publish)
    .trim()
    .match(/^(?:(POST|PUT|GET)\s+)?(\/\S*)$/i);
  if (!pub) throw new UsageError(`publish endpoint "${o.publish}" is malformed`, "use 'POST /path'");
  const cursor = String(o.cursor);
  if (cursor !== 'query' && cursor !== 'http-cache')
    throw new UsageError(`unknown cursor mode "${cursor}"`, 'use query or http-cache');
  const base = url.origin + url.pathname.replace(/\/$/, '');
  const path = (k: string) => {
    const p = String(o[k]);
    if (!p.startsWith('/')) throw new UsageError(`${k} path "${p}" must start with /`, `e.g. --${kebab(k)} /sub`);
    return p;
  };
  return {
    url: base,
    publish: { method: (pub[1] ?? 'POST').toUpperCase(), path: pub[2] },
    endpoints: {
      baseUrl: base,
      paths: pathsFrom((d) => path(d.pathOption)),
      cursor,
      cursorParam: String(o.cursorParam),
      headers: parseHeaders(o.headers),
      ...targetAddresses(base, listOf(o.targetAddresses)),
    },
    metricsPath: o.metrics === 'none' ? null : path('metrics'),
  };
}

/** `--target-addresses`: the target's base URL at each address (the first is the target itself). */
function targetAddresses(base: string, hosts: string[]): { addresses?: string[] } {
  if (!hosts.length) return {};
  const urls = hosts.map((h) => {
    if (!isIP(h) && !/^[a-z0-9.-]+$/i.test(h))
      throw new UsageError(
        `target address "${h}" is not an IP address or host name`,
        'e.g. --target-addresses 127.0.0.1,127.0.0.2',
      );
    return atHost(base, h);
  });
  return { addresses: [...new Set([base, ...urls])] };
}
