import { parseShard, parseStartAt } from './shard-options.js';
import type { ProtocolDescriptor } from '../protocols/descriptor.js';
import { PROTOCOLS } from '../protocols/list.js';
import { parseProtocols } from '../protocols/registry.js';
import {
  ipList,
  parseHeaders,
  parseEventName,
  parseLimit,
  parseNice,
  parseRedisUrl,
  parseSocketIoTransports,
  parseTags,
  parseUpstream,
} from './option-parsers.js';
import { parseBackoffRange, parseBackpressure, parseFaults, parseHeartbeat, parseSlowMode } from './stress.js';
import { parseHttpVersions, parseStreamsPerConnection } from './http-versions.js';
import { parseCount, parseDuration, parseFraction, parseRate, parseSize } from './units.js';

/** `rtbench run --help` headings, in the order they print. */
export const HELP_GROUPS = [
  'Load:',
  'Output and gates:',
  'Target (instead of the bundled server):',
  'Bundled server:',
  'Stress and client bounds:',
  'Scale and shards:',
] as const;
export type HelpGroup = (typeof HELP_GROUPS)[number];
const [LOAD, OUTPUT, TARGET, SERVER, STRESS, SCALE] = HELP_GROUPS;

/** One option of `rtbench run`, as declared in OPTION_TABLE (its key there is the scenario key). */
export interface OptionSpec {
  group: HelpGroup;
  help: string;
  /** the flag's argument placeholder, e.g. `<time>`; none: a switch; ending in `...`: repeatable */
  arg?: string;
  /** a one-letter alias, e.g. `c` for --clients */
  short?: string;
  /** used when neither the scenario nor a flag gives the option (help and the README show it) */
  default?: string | number;
  /** a default computed from other options, as help shows it (the option itself has none) */
  defaultText?: string;
  /** the flag when it is not the kebab-case of the key (a repeatable flag is singular: --tag for tags) */
  flag?: string;
  /** `flag`: command line only, how rtbench presents a run; `scenario`: scenario file only */
  only?: 'flag' | 'scenario';
  /** the option's value as the plan holds it (undefined when not given and without a default) */
  parse?: (v: unknown) => unknown;
  /** where the results file records it: a key of `params` (`stress.` for the stress block), kept in step by a test */
  recordedAs?: string;
}

/** An option with its scenario key and flag spelled out. */
export interface RunOption extends OptionSpec {
  key: string;
  flag: string;
}

/** What the scenario file and the flags give, by scenario key, before parsing. */
export type RawRunOptions = Partial<Record<string, unknown>>;

const orNull =
  <T>(parse: (v: unknown) => T) =>
  (v: unknown): T | null =>
    v === undefined || v === null || v === '' ? null : parse(v);

/**
 * Every option of `rtbench run`, declared once: commander's flags, `--help` (grouped, with
 * defaults), scenario-file keys, `rtbench validate` and the README's option table (checked by a
 * test) read this table. Adding an option is one entry here plus where the plan uses it. Each
 * protocol's target path option comes from its descriptor (see pathOption below).
 */
export const OPTION_TABLE = {
  protocols: {
    group: LOAD,
    recordedAs: 'protocols',
    short: 'p',
    arg: '<list>',
    default: 'all',
    help: 'protocols to run: polling,long-polling,sse,websocket,socketio; all = the first four; all,socketio = five',
    parse: (v) => parseProtocols(v as string | string[]),
  },
  clients: {
    group: LOAD,
    recordedAs: 'clients',
    short: 'c',
    arg: '<n>',
    default: 100,
    help: 'simulated clients per protocol',
    parse: (v) => parseCount(v as string, 'clients'),
  },
  duration: {
    group: LOAD,
    recordedAs: 'durationMs',
    short: 'd',
    arg: '<time>',
    default: '10s',
    help: 'how long to hold the load after ramp-up (e.g. 20s)',
    parse: (v) => parseDuration(v as string, 'duration'),
  },
  ramp: {
    group: LOAD,
    recordedAs: 'rampMs',
    arg: '<time>',
    default: '2s',
    help: 'time over which clients connect (e.g. 5s)',
    parse: (v) => parseDuration(v as string, 'ramp'),
  },
  rate: {
    group: LOAD,
    recordedAs: 'rate',
    short: 'r',
    arg: '<n/s>',
    default: '1/s',
    help: 'events published per second (e.g. 10/s)',
    parse: (v) => parseRate(v as string),
  },
  // Parsed by load/repeat.ts (it checks against --shard); merged runs record it in params.repeat.
  repeat: {
    group: LOAD,
    arg: '<n>',
    default: 1,
    help:
      'run the whole benchmark N times (at most 20) and merge the runs, with the run-to-run spread of the main ' +
      'figures (compare takes it as the noise band)',
  },
  payload: {
    group: LOAD,
    recordedAs: 'payloadBytes',
    arg: '<size>',
    default: '256B',
    help: 'size of each event body (e.g. 256B)',
    parse: (v) => parseSize(v as string, 'payload size'),
  },
  rooms: {
    group: LOAD,
    recordedAs: 'rooms',
    arg: '<n>',
    default: 1,
    help: 'rooms (topics): client i follows room i mod N, events go round-robin to rooms',
    parse: (v) => parseCount(v as string, 'rooms'),
  },
  upstream: {
    group: LOAD,
    recordedAs: 'upstream',
    arg: '<http|protocol>',
    default: 'http',
    help:
      'how events are published: http (POST) or protocol (over WebSocket itself where the protocol is ' +
      'bidirectional)',
    parse: parseUpstream,
  },
  http: {
    group: LOAD,
    recordedAs: 'http',
    arg: '<list>',
    default: '1.1',
    help:
      'HTTP versions for polling, long-polling and SSE: 1.1, 2 or 1.1,2 (each both ways, rows labelled "· h2"); ' +
      'HTTP/2 is h2 over TLS (ALPN) or h2c (prior knowledge) in plaintext; WebSocket runs over 1.1 only',
    parse: parseHttpVersions,
  },
  streamsPerConnection: {
    group: LOAD,
    recordedAs: 'streamsPerConnection',
    arg: '<n|max>',
    default: 'max',
    help:
      'HTTP/2 clients sharing one connection (within a client worker process), as a browser shares one per ' +
      "origin; max: up to the server's SETTINGS_MAX_CONCURRENT_STREAMS (the bundled server allows 128)",
    parse: parseStreamsPerConnection,
  },
  socketioTransports: {
    group: LOAD,
    recordedAs: 'socketioTransports',
    arg: '<list>',
    default: 'websocket,upgrade',
    help:
      'Socket.IO transports, each a run of socketio (rows "socketio · upgrade"): websocket (at once), upgrade ' +
      '(polling first, then the upgrade to WebSocket)',
    parse: parseSocketIoTransports,
  },
  pollInterval: {
    group: LOAD,
    recordedAs: 'pollIntervalMs',
    arg: '<time>',
    default: '500ms',
    help: 'polling clients ask this often (e.g. 1s)',
    parse: (v) => parseDuration(v as string, 'poll interval'),
  },
  longPollTimeout: {
    group: LOAD,
    recordedAs: 'longPollTimeoutMs',
    arg: '<time>',
    default: '30s',
    help: 'the bundled server holds a long-poll this long',
    parse: (v) => parseDuration(v as string, 'long-poll timeout'),
  },
  timeout: {
    group: LOAD,
    arg: '<time>',
    defaultText: '10s; a long-poll: long-poll timeout + 10s, at least 30s',
    help: 'how long a client waits for a handshake or an answer',
    parse: orNull((v) => parseDuration(v as string, 'timeout')),
  },

  name: {
    group: OUTPUT,
    recordedAs: 'name',
    arg: '<name>',
    help: 'scenario name shown in reports',
    parse: orNull(String),
  },
  description: { group: OUTPUT, only: 'scenario', help: 'one line on what the scenario models' },
  thresholds: {
    group: OUTPUT,
    only: 'scenario',
    help:
      'scenario key for the same limits as failOn (k6\'s name): "p95>250ms,lost>0" or a list ' +
      '["p95>250ms", "lost>0"]',
  },
  out: {
    group: OUTPUT,
    short: 'o',
    arg: '<file.json>',
    help: 'write results JSON to this file (- for standard output; the summary then goes to stderr)',
    parse: orNull(String),
  },
  failOn: {
    group: OUTPUT,
    arg: '<limits>',
    help:
      'limits that fail the run with exit code 1, e.g. p95>250ms,lost>0,errors>0 (metrics as in compare; ' +
      'absolute values)',
  },
  quiet: {
    group: OUTPUT,
    short: 'q',
    help: "no spinner and no notes: the table, the verdict and a partial run's reason",
    parse: (v) => v === true || v === 'true',
  },
  tags: {
    group: OUTPUT,
    recordedAs: 'tags',
    flag: 'tag',
    arg: '<key=value...>',
    help: 'a label recorded with the results (repeatable), e.g. --tag build=1234 --tag env=ci',
    parse: parseTags,
  },
  html: { group: OUTPUT, only: 'flag', arg: '<file.html>', help: 'also write the HTML report' },
  ndjson: {
    group: OUTPUT,
    only: 'flag',
    arg: '<file>',
    help: "also write each phase's running totals once a second, one JSON object per line (- for stdout)",
  },
  wide: { group: OUTPUT, only: 'flag', help: 'print every figure, one row per protocol (wider than 80 columns)' },
  verbose: {
    group: OUTPUT,
    only: 'flag',
    help: 'also print how each figure was measured and how the load was laid out',
  },

  target: {
    group: TARGET,
    recordedAs: 'target',
    arg: '<url>',
    help: 'URL of a server to test instead of the bundled one',
  },
  targetAddresses: {
    group: TARGET,
    arg: '<list>',
    help:
      'more addresses of the same target (comma list): client i connects to address i mod N, so past ~28,000 ' +
      'connections no source address needs binding',
  },
  publish: {
    group: TARGET,
    arg: "<'METHOD /path'>",
    default: 'POST /publish',
    help: "publish endpoint of the target, e.g. 'POST /publish'",
  },
  cursor: {
    group: TARGET,
    arg: '<mode>',
    default: 'query',
    help: 'how pollers keep their place: query (?since=) or http-cache (ETag/Last-Modified)',
  },
  cursorParam: { group: TARGET, arg: '<name>', default: 'since', help: 'query parameter carrying the cursor' },
  socketioEvent: {
    group: TARGET,
    arg: '<name>',
    default: 'event',
    help: "the event a Socket.IO target emits rtbench's events as (the token goes in the handshake's auth)",
    parse: parseEventName,
  },
  metrics: {
    group: TARGET,
    arg: '<path|none>',
    default: '/metrics',
    help: 'path of the target\'s metrics JSON, or "none"',
  },
  insecure: {
    group: TARGET,
    help: "accept an https:// target's self-signed certificate",
  },
  token: {
    group: TARGET,
    arg: '<token>',
    help: 'bearer token: the bundled server requires it, every client and the publisher send it',
    parse: orNull(String),
  },
  headers: {
    group: TARGET,
    flag: 'header',
    arg: '<header...>',
    help: "extra request header for the target (repeatable), e.g. 'Authorization: Bearer x'",
    parse: parseHeaders,
  },

  fanoutDelay: {
    group: SERVER,
    recordedAs: 'fanoutDelayMs',
    arg: '<time>',
    default: '0ms',
    help: 'bundled server waits this long before fan-out (to test latency)',
    parse: (v) => parseDuration(v as string, 'fan-out delay'),
  },
  fleet: {
    group: SERVER,
    arg: '<n>',
    default: 1,
    help: 'run the bundled server as N instances (processes, own ports) fanning out through Redis',
    parse: (v) => parseCount(v as string, 'fleet', 1),
  },
  redis: {
    group: SERVER,
    arg: '<url>',
    help: 'Redis URL for --fleet, e.g. redis://127.0.0.1:6379',
    parse: orNull((v) => parseRedisUrl(String(v))),
  },
  serverProcesses: {
    group: SERVER,
    recordedAs: 'serverProcesses',
    arg: '<n>',
    default: 0,
    help: 'bundled server processes (0 = automatic: enough for the clients under the open-file limit)',
    parse: (v) => parseCount(v as string, 'server processes', 0),
  },
  serverNice: {
    group: SERVER,
    recordedAs: 'serverNice',
    arg: '<0-19>',
    default: 5,
    help:
      "CPU priority (nice, 0-19) of the bundled server's processes: above 0, rtbench's clients read first on a " +
      "shared machine, so latency is the server's queue, not the generator's; 0 = same priority",
    parse: parseNice,
  },
  backpressure: {
    group: SERVER,
    recordedAs: 'stress.backpressure',
    arg: '<policy,...>',
    default: 'buffer',
    help: 'bundled server policy for slow clients: buffer, drop-oldest, disconnect; a list runs each',
    parse: parseBackpressure,
  },
  highWater: {
    group: SERVER,
    recordedAs: 'stress.highWaterBytes',
    arg: '<size>',
    default: '1MB',
    help: "bytes waiting for one client before the bundled server's policy acts",
    parse: (v) => parseSize(v as string, 'high-water mark'),
  },
  // The TLS options are parsed together (they depend on each other and on --target): src/scenario/tls.ts.
  tls: {
    group: SERVER,
    arg: '[off,on]',
    defaultText: 'off',
    help:
      'the bundled server over TLS (https, wss) with a certificate made at start; off,on runs each protocol both ' +
      'ways (rows labelled "· tls")',
  },
  cert: {
    group: SERVER,
    arg: '<file.pem>',
    help: "the bundled server's certificate (PEM) for --tls instead of a generated one; needs --key",
  },
  key: { group: SERVER, arg: '<file.pem>', help: 'the private key (PEM, unencrypted) of --cert' },
  faults: {
    group: SERVER,
    recordedAs: 'stress.faults',
    arg: '<fault,...>',
    help:
      'faults in the bundled server: drop-connections=<share>@<time>, blackhole=<share>@<time>, restart@<time>, ' +
      'kill-instance@<time> (a fleet); time since the phase started',
    parse: parseFaults,
  },

  slowConsumers: {
    group: STRESS,
    recordedAs: 'stress.slowConsumers',
    arg: '<share>',
    default: '0%',
    help: 'share of clients that read slowly, e.g. 10%',
    parse: (v) => parseFraction(v as string, 'slow-consumer share'),
  },
  slowMode: {
    group: STRESS,
    recordedAs: 'stress.slowMode',
    arg: '<stall:time|rate:size/s>',
    default: 'stall:10s',
    help: 'how slow clients read: stall:<time> (stop reading when the hold starts) or rate:<size>/s',
    parse: parseSlowMode,
  },
  reconnectBackoff: {
    group: STRESS,
    recordedAs: 'stress.reconnectBackoff',
    arg: '<first..max>',
    default: '250ms..10s',
    help: 'reconnect delays, exponential with full jitter: <first>..<max>',
    parse: parseBackoffRange,
  },
  heartbeat: {
    group: STRESS,
    recordedAs: 'heartbeatMs',
    arg: '<time|off>',
    default: 'off',
    help:
      'SSE comments and WebSocket pings this often from the bundled server; clients count 2× the interval ' +
      'without a byte as a dead connection (heartbeat-timeout) and reconnect with resume; off = none',
    parse: parseHeartbeat,
  },
  maxEventSize: {
    group: STRESS,
    arg: '<size>',
    default: '1MB',
    help: 'largest SSE line or event a client buffers; more is sse-line-too-long and a reconnect',
    parse: (v) => parseLimit(v, 'max event size'),
  },
  maxMessageSize: {
    group: STRESS,
    arg: '<size>',
    default: '16MB',
    help: 'largest WebSocket message a client reassembles; more is ws-message-too-big and a reconnect',
    parse: (v) => parseLimit(v, 'max message size'),
  },
  maxAnswerSize: {
    group: STRESS,
    arg: '<size>',
    default: '16MB',
    help: 'largest poll or long-poll answer body a client reads; more is answer-too-big and a reconnect',
    parse: (v) => parseLimit(v, 'max answer size'),
  },

  workers: {
    group: SCALE,
    recordedAs: 'workers',
    arg: '<n>',
    default: 0,
    help: 'client worker processes (0 = automatic)',
    parse: (v) => parseCount(v as string, 'workers', 0),
  },
  sourceAddresses: {
    group: SCALE,
    arg: '<list>',
    help: 'local addresses to spread client connections over (comma list)',
    parse: (v) => ipList(v, 'source address', '--source-addresses 127.0.0.1,127.0.0.2'),
  },
  shard: {
    group: SCALE,
    recordedAs: 'shard',
    arg: '<I/N>',
    help: 'run only share I of N of the clients (I/N); shard 0 publishes',
    parse: orNull((v) => parseShard(String(v))),
  },
  startAt: {
    group: SCALE,
    arg: '<time>',
    help: 'wall-clock start shared by all shards (epoch seconds or ISO time)',
    parse: orNull((v) => parseStartAt(String(v))),
  },
  runId: {
    group: SCALE,
    arg: '<id>',
    defaultText: 'from --start-at',
    help: 'run name shared by all shards',
  },
} satisfies Record<string, OptionSpec>;

/** A protocol's path on a target (--poll, --long-poll, --sse, --ws), declared by its descriptor. */
function pathOption(d: ProtocolDescriptor): RunOption {
  const key = d.pathOption;
  return {
    key,
    flag: kebab(key),
    group: TARGET,
    arg: '<path>',
    default: d.defaultPath,
    help: `${d.label} path on the target`,
  };
}

/** Every option, in help order within each group; read at call time so a registered protocol's path is in it. */
export function runOptions(): RunOption[] {
  const declared = Object.entries(OPTION_TABLE).map(([key, spec]: [string, OptionSpec]): RunOption => ({
    ...spec,
    key,
    flag: spec.flag ?? kebab(key),
  }));
  return [...declared, ...PROTOCOLS.map(pathOption)];
}

/** The keys a scenario file may use. */
export function scenarioKeys(): string[] {
  return runOptions()
    .filter((o) => o.only !== 'flag')
    .map((o) => o.key);
}

/** Each option's default, by scenario key (options without one are absent). */
export function optionDefaults(): RawRunOptions {
  return Object.fromEntries(runOptions().flatMap((o) => (o.default === undefined ? [] : [[o.key, o.default]])));
}

type Table = typeof OPTION_TABLE;
type Parser = (v: unknown) => unknown;
type ParsedKey = { [K in keyof Table]: Table[K] extends { parse: Parser } ? K : never }[keyof Table];
type ParsedValue<K extends ParsedKey> = ReturnType<Extract<Table[K], { parse: Parser }>['parse']>;

/** An option's value through its table parser (a bad value is a UsageError naming the option). */
export function parsed<K extends ParsedKey>(options: RawRunOptions, key: K): ParsedValue<K> {
  return (OPTION_TABLE[key] as { parse: Parser }).parse(options[key]) as ParsedValue<K>;
}

/** `pollInterval` → `poll-interval`: a scenario key's flag. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
