import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { parseSize } from './units.js';
import { SOCKETIO_TRANSPORTS, type SocketIoTransport } from '../protocols/socketio/names.js';

/** The small value parsers of the option table (src/scenario/option-table.ts) that units.ts has no use for. */

export function parseNice(v: unknown): number {
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isInteger(n) || n < 0 || n > 19)
    throw new UsageError(
      `server nice "${v}" is not a whole number from 0 to 19`,
      'e.g. --server-nice 5, or 0 for normal priority',
    );
  return n;
}

export function parseUpstream(v: unknown): 'http' | 'protocol' {
  if (v === 'http' || v === 'protocol') return v;
  throw new UsageError(`unknown upstream "${v}"`, 'use http or protocol');
}

export function parseRedisUrl(text: string): string {
  const ok = /^rediss?:\/\/[^\s/]+(\/\d*)?$/.test(text);
  if (!ok) throw new UsageError(`malformed Redis URL "${text}"`, 'use redis://host:port, e.g. redis://127.0.0.1:6379');
  return text;
}

/** A comma list (or a JSON array) as trimmed, non-empty strings. */
export function listOf(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim()).filter(Boolean);
}

/** A comma list of IP addresses (one bad entry is a usage error naming it). */
export function ipList(v: unknown, what: string, example: string): string[] {
  const items = listOf(v);
  for (const a of items) if (!isIP(a)) throw new UsageError(`${what} "${a}" is not an IP address`, `e.g. ${example}`);
  return items;
}

/** A client bound on a target's data: at least 1 KB (below, no real event fits), at most 1 GB. */
export function parseLimit(v: unknown, what: string): number {
  const n = parseSize(v as string, what);
  if (n < 1024 || n > 1024 ** 3)
    throw new UsageError(`${what} ${v} is out of range`, 'use a size from 1KB to 1024MB, e.g. 16MB');
  return n;
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

/** Socket.IO's transports to run (--socketio-transports), each once, in the order given. */
export function parseSocketIoTransports(v: unknown): SocketIoTransport[] {
  const items = listOf(v).map((s) => s.toLowerCase());
  const hint = `use ${SOCKETIO_TRANSPORTS.join(', ')} or both, e.g. --socketio-transports websocket,upgrade`;
  if (!items.length) throw new UsageError('no Socket.IO transport given', hint);
  for (const t of items)
    if (!(SOCKETIO_TRANSPORTS as readonly string[]).includes(t))
      throw new UsageError(`unknown Socket.IO transport "${t}"`, hint);
  return SOCKETIO_TRANSPORTS.filter((t) => items.includes(t));
}

/** A Socket.IO event name (--socketio-event): what the target emits its events as. */
export function parseEventName(v: unknown): string {
  const name = String(v ?? '').trim();
  if (!/^[\w.:-]{1,64}$/.test(name) || ['connect', 'connect_error', 'disconnect', 'disconnecting'].includes(name))
    throw new UsageError(
      `Socket.IO event name "${name}" is not usable`,
      'use 1 to 64 letters, digits or _.:- other than a reserved one (connect, disconnect), e.g. --socketio-event news',
    );
  return name;
}
