/**
 * The opening handshake of a WebSocket client (RFC 6455 §4.1), written by hand on a raw socket:
 * one GET with Upgrade: websocket, and the answer's head checked as `ws` checks it (101, Upgrade,
 * Sec-WebSocket-Accept, no extension, a subprotocol only if one was offered). Compression is
 * never offered: an inflated frame could be any size, and a load tester's client has no use for it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { statusKind } from '../errors.js';
import { getRequestHead, withHeaders } from '../http1/request.js';
import { ResponseHeadReader, type ResponseHead } from '../http1/response-head.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server must answer `key` with: base64(SHA-1(key + GUID)). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Where one WebSocket connects: an HTTP/1.1 target (socket address, Host, path), maybe over TLS. */
export interface WsTarget {
  /** wss:// or https://: TLS */
  secure: boolean;
  /** for connect: an IPv6 literal without its brackets */
  host: string;
  port: number;
  /** host[:port] as the URL spells it, for the Host header */
  hostHeader: string;
  /** path and query, never empty */
  path: string;
}

/** Parses a ws://, wss://, http:// or https:// URL (the target's base URL names the last two). */
export function parseWsUrl(url: string): WsTarget | 'bad-url' {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'bad-url';
  }
  const secure = u.protocol === 'wss:' || u.protocol === 'https:';
  if (!secure && u.protocol !== 'ws:' && u.protocol !== 'http:') return 'bad-url';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  return { secure, host, port, hostHeader: u.host, path: (u.pathname || '/') + u.search };
}

/** A 1xx answer other than 101: it comes before the real one. */
function isInterim(status: number): boolean {
  return status >= 100 && status < 200 && status !== 101;
}

/** Why a handshake failed: an HTTP status kind (http-5xx, http-401, …), a head error, or these. */
export type HandshakeError = string;

export type HandshakeResult =
  | { rest: Buffer } // upgraded: `rest` is the first frame bytes, a view valid during the call
  | { error: HandshakeError }
  | null; // more bytes needed

/**
 * One handshake in flight: the request to write, then `feed` with the answer's bytes until it
 * returns a result. Lives only until the connection is open.
 */
export class Handshake {
  /** the request text, to be written once */
  readonly request: string;
  private readonly accept: string;
  /** the subprotocols the target's headers offered (Sec-WebSocket-Protocol), or null */
  private readonly protocols: string | null;
  private head = new ResponseHeadReader();

  constructor(target: WsTarget, headers: Record<string, string>) {
    const key = randomBytes(16).toString('base64');
    this.accept = acceptFor(key);
    // The handshake's own headers are laid over the target's: a target's Upgrade or key would
    // break the upgrade. Compression is never offered, whatever the target's headers say.
    const own = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': key };
    const all = withHeaders(withHeaders({}, headers), { ...own, 'sec-websocket-version': '13' });
    delete all['sec-websocket-extensions'];
    this.protocols = all['sec-websocket-protocol'] ?? null;
    this.request = getRequestHead(target, all);
  }

  /** Reads answer bytes (`chunk` may be a shared read buffer: the head reader copies what it keeps). */
  feed(chunk: Buffer): HandshakeResult {
    let result = this.head.feed(chunk);
    // Informational answers (103 Early Hints) may come first; 101 is the one that matters.
    while (result !== null && 'head' in result && isInterim(result.head.status)) {
      this.head = new ResponseHeadReader();
      result = result.rest.length ? this.head.feed(result.rest) : null;
    }
    if (result === null) return null;
    if ('error' in result) return { error: result.error };
    const problem = this.refusal(result.head);
    return problem === null ? { rest: result.rest } : { error: problem };
  }

  /** Why an answer does not open the WebSocket, or null when it does. */
  private refusal(head: ResponseHead): HandshakeError | null {
    if (head.status !== 101) return statusKind(head.status);
    const h = head.headers;
    if ((h.upgrade ?? '').toLowerCase() !== 'websocket') return 'ws-bad-handshake';
    if (h['sec-websocket-accept'] !== this.accept) return 'ws-bad-handshake';
    // None was offered: an extension would change the framing under us (RSV bits, compression).
    if (h['sec-websocket-extensions'] !== undefined) return 'ws-bad-handshake';
    const chosen = h['sec-websocket-protocol'];
    if (this.protocols === null) return chosen === undefined ? null : 'ws-bad-handshake';
    const offered = this.protocols.split(',').map((p) => p.trim());
    return chosen !== undefined && offered.includes(chosen) ? null : 'ws-bad-handshake';
  }
}
