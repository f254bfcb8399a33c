/**
 * The HTTP versions of a run: `--http 1.1,2` runs polling, long-polling and SSE once per version
 * (HTTP/2 over TLS with ALPN, h2c with prior knowledge in plaintext); `--streams-per-connection`
 * says how many clients share one HTTP/2 connection. Every mistake is a one-line UsageError.
 */
import { UsageError } from '../errors.js';
import { parseCount } from './units.js';

export type HttpVersion = '1.1' | '2';

export interface HttpPlan {
  /** each phase of an HTTP protocol runs once per version, in this order */
  versions: HttpVersion[];
  /** clients per HTTP/2 connection; 0: as many as the server's SETTINGS_MAX_CONCURRENT_STREAMS allows */
  streamsPerConnection: number;
}

const HINT = 'use --http 1.1, --http 2 or --http 1.1,2 (each HTTP protocol both ways)';

/** `1.1`, `2` or a comma list of them (scenario files may give a list or a number). */
export function parseHttpVersions(v: unknown): HttpVersion[] {
  const items = (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim().toLowerCase());
  const versions: HttpVersion[] = [];
  for (const item of items) {
    const version = item === '1.1' || item === 'http/1.1' ? '1.1' : item === '2' || item === 'h2' ? '2' : null;
    if (version === null) throw new UsageError(`--http "${String(v)}": HTTP version "${item}" is not 1.1 or 2`, HINT);
    if (!versions.includes(version)) versions.push(version);
  }
  if (!versions.length) throw new UsageError('--http is empty', HINT);
  return versions;
}

/** A positive count, or `max` (0 in the plan): every stream on one connection up to the server's limit. */
export function parseStreamsPerConnection(v: unknown): number {
  if (v === undefined || v === null || v === '' || String(v).trim().toLowerCase() === 'max') return 0;
  return parseCount(String(v), 'streams per connection', 1, 100_000);
}
