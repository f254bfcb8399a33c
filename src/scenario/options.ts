import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { atHost } from '../protocols/instances.js';
import { parseProtocols, pathsFrom } from '../protocols/registry.js';
import { PROTOCOLS } from '../protocols/list.js';
import { parseCount, parseDuration, parseFraction, parseRate, parseSize } from './units.js';
import { parseBackoffRange, parseBackpressure, parseFaults, parseSlowMode } from './stress.js';
import type { RunPlan, TargetPlan } from './plan.js';
import { parseShard, parseStartAt } from '../load/shard.js';

/**
 * The options a user can give, by flag or in a scenario file (same names, camelCase in JSON).
 * Each entry documents itself: rtbench's help and the scenario validator both read this table.
 */
export const RUN_OPTIONS = {
  name: 'scenario name shown in reports',
  tags: 'labels recorded with the results, e.g. {"build":"1234","env":"ci"} (flag: --tag key=value, repeatable)',
  description: 'one line on what the scenario models',
  protocols: 'protocols to run: polling,long-polling,sse,websocket or all',
  clients: 'simulated clients per protocol',
  duration: 'how long to hold the load after ramp-up (e.g. 20s)',
  ramp: 'time over which clients connect (e.g. 5s)',
  rate: 'events published per second (e.g. 10/s)',
  repeat:
    'run the whole benchmark N times (at most 20) and merge the runs, with the run-to-run spread of the main ' +
    'figures (compare takes it as the noise band)',
  payload: 'size of each event body (e.g. 256B)',
  rooms: 'rooms (topics): client i follows room i mod N, events go round-robin to rooms',
  upstream:
    'how events are published: http (POST) or protocol (over WebSocket itself where the protocol is bidirectional)',
  pollInterval: 'polling clients ask this often (e.g. 1s)',
  longPollTimeout: 'the bundled server holds a long-poll this long',
  workers: 'client worker processes (0 = automatic)',
  sourceAddresses: 'local addresses to spread client connections over (comma list)',
  fanoutDelay: 'bundled server waits this long before fan-out (to test latency)',
  fleet: 'run the bundled server as N instances (processes, own ports) fanning out through Redis',
  redis: 'Redis URL for --fleet, e.g. redis://127.0.0.1:6379',
  serverProcesses: 'bundled server processes (0 = automatic: enough for the clients under the open-file limit)',
  serverNice:
    "CPU priority (nice, 0-19) of the bundled server's processes: above 0, rtbench's clients read first on a " +
    "shared machine, so latency is the server's queue, not the generator's; 0 = same priority",
  target: 'URL of a server to test instead of the bundled one',
  targetAddresses:
    'more addresses of the same target (comma list): client i connects to address i mod N, so past ~28,000 ' +
    'connections no source address needs binding',
  publish: "publish endpoint of the target, e.g. 'POST /publish'",
  cursor: 'how pollers keep their place: query (?since=) or http-cache (ETag/Last-Modified)',
  cursorParam: 'query parameter carrying the cursor',
  headers: 'extra request headers, e.g. {"authorization":"Bearer x"}',
  metrics: 'path of the target\'s metrics JSON, or "none"',
  timeout:
    'how long a client waits for a handshake or an answer (default: 10s; a long-poll: long-poll timeout + 10s, ' +
    'at least 30s)',
  token: 'bearer token: the bundled server requires it, every client and the publisher send it',
  slowConsumers: 'share of clients that read slowly, e.g. 10%',
  slowMode: 'how slow clients read: stall:<time> (stop reading when the hold starts) or rate:<size>/s',
  backpressure: 'bundled server policy for slow clients: buffer, drop-oldest, disconnect; a list runs each',
  highWater: "bytes waiting for one client before the bundled server's policy acts",
  faults:
    'faults in the bundled server: drop-connections=<share>@<time>, restart@<time>, kill-instance@<time> (a ' +
    'fleet); time since the phase started',
  reconnectBackoff: 'reconnect delays, exponential with full jitter: <first>..<max>',
  maxEventSize: 'largest SSE line or event a client buffers; more is sse-line-too-long and a reconnect',
  maxMessageSize: 'largest WebSocket message a client reassembles; more is ws-message-too-big and a reconnect',
  maxAnswerSize: 'largest poll or long-poll answer body a client reads; more is answer-too-big and a reconnect',
  out: 'write results JSON to this file (- for standard output; the summary then goes to stderr)',
  failOn:
    'limits that fail the run with exit code 1, e.g. p95>250ms,lost>0,errors>0 (metrics as in compare; ' +
    'absolute values)',
  thresholds:
    'scenario key for the same limits as failOn (k6\'s name): "p95>250ms,lost>0" or a list ["p95>250ms", "lost>0"]',
  shard: 'run only share I of N of the clients (I/N); shard 0 publishes',
  startAt: 'wall-clock start shared by all shards (epoch seconds or ISO time)',
  runId: 'run name shared by all shards (default: from --start-at)',
  quiet: "no spinner and no notes: the table, the verdict and a partial run's reason",
  // each protocol's path on a target, named by its descriptor (--poll, --long-poll, --sse, --ws)
  ...Object.fromEntries(PROTOCOLS.map((d) => [d.pathOption, `${d.label} path on the target`])),
} as Record<string, string>;

/** A run option's scenario key (camelCase; the flag is its kebab-case). */
export type RunOptionName = string;
export type RawRunOptions = Partial<Record<RunOptionName, unknown>>;

export const DEFAULTS = {
  protocols: 'all',
  clients: 100,
  duration: '10s',
  ramp: '2s',
  rate: '1/s',
  repeat: 1,
  payload: '256B',
  rooms: 1,
  upstream: 'http',
  pollInterval: '500ms',
  longPollTimeout: '30s',
  workers: 0,
  fanoutDelay: '0ms',
  serverProcesses: 0,
  serverNice: 5,
  publish: 'POST /publish',
  cursor: 'query',
  cursorParam: 'since',
  metrics: '/metrics',
  slowConsumers: '0%',
  slowMode: 'stall:10s',
  highWater: '1MB',
  reconnectBackoff: '250ms..10s',
  maxEventSize: '1MB',
  maxMessageSize: '16MB',
  maxAnswerSize: '16MB',
  ...Object.fromEntries(PROTOCOLS.map((d) => [d.pathOption, d.defaultPath])),
};

/** Later sources win: defaults < scenario file < command-line flags. */
export function buildPlan(...sources: RawRunOptions[]): RunPlan {
  const o: RawRunOptions = { ...DEFAULTS };
  for (const s of sources) for (const [k, v] of Object.entries(s)) if (v !== undefined) o[k] = v;
  const str = (k: RunOptionName) => String(o[k]);
  const plan: RunPlan = {
    name: o.name ? str('name') : null,
    tags: parseTags(o.tags),
    protocols: parseProtocols(o.protocols as string | string[]),
    clients: parseCount(o.clients as string, 'clients'),
    durationMs: parseDuration(o.duration as string, 'duration'),
    rampMs: parseDuration(o.ramp as string, 'ramp'),
    rate: parseRate(o.rate as string),
    payloadBytes: parseSize(o.payload as string, 'payload size'),
    rooms: parseCount(o.rooms as string, 'rooms'),
    upstream: parseUpstream(o.upstream),
    pollIntervalMs: parseDuration(o.pollInterval as string, 'poll interval'),
    longPollTimeoutMs: parseDuration(o.longPollTimeout as string, 'long-poll timeout'),
    workers: parseCount(o.workers as string, 'workers', 0),
    sourceAddresses: ipList(o.sourceAddresses, 'source address', '--source-addresses 127.0.0.1,127.0.0.2'),
    target: o.target ? targetPlan(o) : null,
    fleet: o.fleet === undefined ? 1 : parseCount(o.fleet as string, 'fleet', 1),
    redis: o.redis ? parseRedisUrl(String(o.redis)) : null,
    server: {
      fanoutDelayMs: parseDuration(o.fanoutDelay as string, 'fan-out delay'),
      highWaterBytes: parseSize(o.highWater as string, 'high-water mark'),
      processes: parseCount(o.serverProcesses as string, 'server processes', 0),
      nice: parseNice(o.serverNice),
    },
    output: { json: o.out ? str('out') : null, quiet: o.quiet === true || o.quiet === 'true' },
    shard: o.shard !== undefined ? parseShard(str('shard')) : null,
    startAt: o.startAt !== undefined ? parseStartAt(str('startAt')) : null,
    runId: o.runId !== undefined ? str('runId') : o.startAt !== undefined ? `run-${str('startAt')}` : null,
    requestTimeoutMs: 0,
    longPollWaitMs: 0,
    token: o.token ? str('token') : null,
    backoff: parseBackoffRange(o.reconnectBackoff),
    limits: {
      sseMaxEventBytes: parseLimit(o.maxEventSize, 'max event size'),
      wsMaxMessageBytes: parseLimit(o.maxMessageSize, 'max message size'),
      pollMaxAnswerBytes: parseLimit(o.maxAnswerSize, 'max answer size'),
    },
    stress: {
      slowFraction: parseFraction(o.slowConsumers as string, 'slow-consumer share'),
      slowMode: parseSlowMode(o.slowMode),
      backpressure: o.backpressure === undefined ? ['buffer'] : parseBackpressure(o.backpressure),
      faults: parseFaults(o.faults),
    },
  };
  if (plan.target && plan.rooms > 1) {
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
  // Silence must show inside a phase: an answer's first byte or a handshake within 10 s; only a
  // long-poll may legitimately be held longer (the bundled server's hold plus slack).
  const explicit = o.timeout !== undefined ? parseDuration(o.timeout as string, 'timeout') : null;
  plan.requestTimeoutMs = explicit ?? DEFAULT_TIMEOUT_MS;
  plan.longPollWaitMs = explicit ?? Math.max(30_000, plan.longPollTimeoutMs + 10_000);
  checkLimits(plan, explicit);
  if (o.headers !== undefined && !plan.target)
    throw new UsageError(
      '--header is sent to a target; the bundled server needs none',
      'add --target URL, or drop --header',
    );
  if (plan.requestTimeoutMs < 100) throw new UsageError('timeout below 100ms', 'use --timeout 1s or more');
  if (plan.target) {
    if (plan.stress.faults.length)
      throw new UsageError(
        '--faults needs the bundled server (rtbench cannot drop or restart a target)',
        'drop --target, or inject faults in your server yourself',
      );
    if (o.backpressure !== undefined)
      throw new UsageError(
        "--backpressure sets the bundled server's policy and has no effect on a target",
        'drop --target or --backpressure',
      );
    if (sources.some((s) => s.serverNice !== undefined))
      throw new UsageError(
        "--server-nice sets the bundled server's CPU priority and has no effect on a target",
        'drop --server-nice, or start your server with `nice -n 5`',
      );
    if (plan.token)
      plan.target.endpoints.headers = { authorization: `Bearer ${plan.token}`, ...plan.target.endpoints.headers };
  }
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
  return plan;
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

function parseNice(v: unknown): number {
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isInteger(n) || n < 0 || n > 19)
    throw new UsageError(
      `server nice "${v}" is not a whole number from 0 to 19`,
      'e.g. --server-nice 5, or 0 for normal priority',
    );
  return n;
}

function parseUpstream(v: unknown): 'http' | 'protocol' {
  if (v === 'http' || v === 'protocol') return v;
  throw new UsageError(`unknown upstream "${v}"`, 'use http or protocol');
}

function parseRedisUrl(text: string): string {
  const ok = /^rediss?:\/\/[^\s/]+(\/\d*)?$/.test(text);
  if (!ok) throw new UsageError(`malformed Redis URL "${text}"`, 'use redis://host:port, e.g. redis://127.0.0.1:6379');
  return text;
}

function listOf(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim()).filter(Boolean);
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
  const path = (k: RunOptionName) => {
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

/** Headers as an object, or "Name: value" strings. */
export function parseHeaders(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v === 'object' && !Array.isArray(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), String(x)]));
  const out: Record<string, string> = {};
  for (const line of Array.isArray(v) ? v : [v]) {
    const m = String(line).match(/^([\w-]+)\s*:\s*(.*)$/);
    if (!m) throw new UsageError(`header "${line}" is malformed`, "use 'Name: value'");
    out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

/** Tags as k6 users write them: an object in a scenario, `key=value` flags on the command line. */
export function parseTags(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const fix = 'use --tag key=value (letters, digits, . _ -), or "tags": {"key": "value"} in a scenario';
  const entries: Array<[string, string]> =
    typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v).map(([k, x]) => [k, String(x)])
      : (Array.isArray(v) ? v : [v]).map((item) => {
          const m = String(item).match(/^([^=]+)=(.*)$/);
          if (!m) throw new UsageError(`tag "${item}" is not key=value`, fix);
          return [m[1].trim(), m[2]];
        });
  for (const [k] of entries) if (!/^[\w.-]{1,64}$/.test(k)) throw new UsageError(`tag name "${k}" is not allowed`, fix);
  return Object.fromEntries(entries);
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
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

/** A comma list of IP addresses (one bad entry is a usage error naming it). */
function ipList(v: unknown, what: string, example: string): string[] {
  const items = listOf(v);
  for (const a of items) if (!isIP(a)) throw new UsageError(`${what} "${a}" is not an IP address`, `e.g. ${example}`);
  return items;
}

/** A client bound on a target's data: at least 1 KB (below, no real event fits), at most 1 GB. */
function parseLimit(v: unknown, what: string): number {
  const n = parseSize(v as string, what);
  if (n < 1024 || n > 1024 ** 3)
    throw new UsageError(`${what} ${v} is out of range`, 'use a size from 1KB to 1024MB, e.g. 16MB');
  return n;
}
