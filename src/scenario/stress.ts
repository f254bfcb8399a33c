import { UsageError } from '../errors.js';
import { BACKPRESSURE_POLICIES, type BackpressurePolicy } from '../server-core/backpressure.js';
import { parseDuration, parseFraction, parseSize } from './units.js';

/** How a slow client reads: stops reading for a while, or reads at most so many bytes per second. */
import type { SlowMode } from '../protocols/read-throttle.js';
export type { SlowMode };

/** A fault the runner injects into the bundled server at a time since the phase started. */
export type Fault =
  | { kind: 'drop-connections'; fraction: number; atMs: number }
  /** that share of connections goes silent, as behind a NAT that forgot them: no FIN, no RST, no bytes */
  | { kind: 'blackhole'; fraction: number; atMs: number }
  | { kind: 'restart'; atMs: number }
  /** a fleet: the last instance's process is killed (SIGKILL); its clients reconnect to the others */
  | { kind: 'kill-instance'; atMs: number };

const SLOW_HINT = 'use stall:<time> (stop reading, e.g. stall:10s) or rate:<size>/s (e.g. rate:2KB/s)';
const FAULT_HINT =
  'use drop-connections=<share>@<time>, blackhole=<share>@<time>, restart@<time> or kill-instance@<time> ' +
  '(a fleet), e.g. --faults drop-connections=20%@30s,restart@20s';

/** Parses "stall:10s" or "rate:2KB/s". */
export function parseSlowMode(text: unknown): SlowMode {
  const s = String(text).trim().toLowerCase();
  const stall = /^stall:(.+)$/.exec(s);
  if (stall) {
    const ms = parseDuration(stall[1], 'stall time');
    if (ms <= 0) throw new UsageError(`slow mode "${text}": the stall must last longer than 0`, SLOW_HINT);
    return { kind: 'stall', ms };
  }
  const rate = /^rate:(.+?)\/s$/.exec(s);
  if (rate) {
    const bytesPerSecond = parseSize(rate[1], 'read rate');
    if (bytesPerSecond < 1)
      throw new UsageError(`slow mode "${text}": the read rate must be at least 1 B/s`, SLOW_HINT);
    return { kind: 'rate', bytesPerSecond };
  }
  throw new UsageError(`unknown slow mode "${text}"`, SLOW_HINT);
}

export function describeSlowMode(m: SlowMode): string {
  return m.kind === 'stall' ? `stall:${m.ms / 1000}s` : `rate:${m.bytesPerSecond}B/s`;
}

/** Parses "buffer", "drop-oldest,disconnect" or a JSON list into distinct policies, in the given order. */
export function parseBackpressure(v: unknown): BackpressurePolicy[] {
  const items = (Array.isArray(v) ? v : String(v).split(','))
    .map((x) => String(x).trim().toLowerCase())
    .filter(Boolean);
  const out: BackpressurePolicy[] = [];
  for (const item of items) {
    if (!(BACKPRESSURE_POLICIES as readonly string[]).includes(item))
      throw new UsageError(
        `unknown backpressure policy "${item}"`,
        `choose from ${BACKPRESSURE_POLICIES.join(', ')} (a comma list runs each)`,
      );
    if (!out.includes(item as BackpressurePolicy)) out.push(item as BackpressurePolicy);
  }
  if (!out.length)
    throw new UsageError('no backpressure policy given', `choose from ${BACKPRESSURE_POLICIES.join(', ')}`);
  return out;
}

/** Parses "drop-connections=20%@30s,restart@20s" (or a JSON list of such strings), sorted by time. */
export function parseFaults(v: unknown): Fault[] {
  if (v === undefined || v === null || v === '') return [];
  const items = (Array.isArray(v) ? v : String(v).split(',')).map((x) => String(x).trim()).filter(Boolean);
  const faults = items.map((item): Fault => {
    const m = /^([a-z-]+)(?:=([^@]+))?@(.+)$/i.exec(item);
    if (!m) throw new UsageError(`malformed fault "${item}"`, FAULT_HINT);
    const [, kind, arg, at] = m;
    const atMs = parseDuration(at, `time of fault "${item}"`);
    if (kind === 'drop-connections' || kind === 'blackhole')
      return { kind, fraction: arg === undefined ? 1 : parseFraction(arg, `share in fault "${item}"`), atMs };
    if (kind === 'restart' || kind === 'kill-instance') {
      if (arg !== undefined)
        throw new UsageError(`fault "${item}": ${kind} takes no value`, `use ${kind}@<time>, e.g. ${kind}@20s`);
      return { kind, atMs };
    }
    throw new UsageError(`unknown fault "${kind}" in "${item}"`, FAULT_HINT);
  });
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export function describeFault(f: Fault): string {
  return f.kind === 'drop-connections' || f.kind === 'blackhole'
    ? `${f.kind}=${Math.round(f.fraction * 100)}%@${f.atMs / 1000}s`
    : `${f.kind}@${f.atMs / 1000}s`;
}

/** Parses "250ms..10s" into the first and the largest reconnect delay. */
export function parseBackoffRange(v: unknown): { initialMs: number; maxMs: number } {
  const m = /^(.+?)\s*\.\.\s*(.+)$/.exec(String(v).trim());
  if (!m) throw new UsageError(`malformed reconnect back-off "${v}"`, 'use <first>..<max>, e.g. 250ms..10s');
  const initialMs = parseDuration(m[1], 'first reconnect delay');
  const maxMs = parseDuration(m[2], 'largest reconnect delay');
  if (initialMs <= 0 || maxMs < initialMs)
    throw new UsageError(`reconnect back-off "${v}" must grow from a positive first delay`, 'e.g. 250ms..10s');
  return { initialMs, maxMs };
}

/** Shortest and longest heartbeat interval: below 100 ms heartbeats are traffic, above an hour they detect nothing. */
export const HEARTBEAT_BOUNDS_MS = { min: 100, max: 3_600_000 };

/** Parses the heartbeat interval ("15s"); "off" or 0 is none (0 ms). */
export function parseHeartbeat(v: unknown): number {
  const s = String(v ?? 'off')
    .trim()
    .toLowerCase();
  if (s === 'off' || s === '0' || s === '') return 0;
  const ms = parseDuration(s, 'heartbeat interval');
  if (ms === 0) return 0;
  if (ms < HEARTBEAT_BOUNDS_MS.min || ms > HEARTBEAT_BOUNDS_MS.max)
    throw new UsageError(
      `heartbeat interval ${ms / 1000}s is outside 100ms..1h`,
      'use e.g. --heartbeat 15s (or off for none)',
    );
  return ms;
}
