import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { errorKind } from '../errors.js';
import { tlsTrustOptions, type TlsTrust } from '../tls-trust.js';
import type { WireCounter } from '../wire.js';

/**
 * Streams a connection carries before the server's SETTINGS arrive: RFC 9113 asks servers to
 * allow at least 100, so a browser may count on as many.
 */
const UNTIL_SETTINGS = 100;

/** One HTTP/2 connection and the clients leasing a stream slot on it. */
interface Connection {
  session: ClientHttp2Session;
  clients: number;
  /** the server's SETTINGS arrived (its concurrent-stream limit is known) */
  settled: boolean;
}

/**
 * The HTTP/2 connections of one driver session, shared the way a browser shares them: every
 * client of one origin on one connection, up to `perConnection` clients or (0) the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, then a new one. A client leases a slot for as long as its
 * stream or request loop lives; a connection no client leases any more is closed.
 */
export class Http2Pool {
  private readonly byKey = new Map<string, Connection[]>();
  private readonly bySession = new Map<ClientHttp2Session, Connection>();
  /** connections opened so far */
  opened = 0;

  constructor(
    private readonly perConnection: number,
    private readonly trust: TlsTrust | undefined,
  ) {}

  /** A session of `origin` (from `localAddress`) with room for one more client. */
  lease(origin: string, localAddress: string | undefined, wire: WireCounter): ClientHttp2Session {
    const key = localAddress ? `${origin}|${localAddress}` : origin;
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    for (const c of list) {
      if (c.clients < this.limit(c) && usable(c.session)) {
        c.clients++;
        return c.session;
      }
    }
    const c: Connection = { session: this.connect(origin, localAddress, wire), clients: 1, settled: false };
    c.session.once('remoteSettings', () => (c.settled = true));
    c.session.once('close', () => {
      this.bySession.delete(c.session);
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    });
    list.push(c);
    this.bySession.set(c.session, c);
    this.opened++;
    return c.session;
  }

  /** A client gave its slot up; the connection closes once no client holds one. */
  release(session: ClientHttp2Session): void {
    const c = this.bySession.get(session);
    if (!c) return;
    if (--c.clients <= 0) session.close();
  }

  /** Connections open now. */
  get open(): number {
    return this.bySession.size;
  }

  close(): void {
    for (const s of [...this.bySession.keys()]) s.destroy();
  }

  private limit(c: Connection): number {
    if (this.perConnection > 0) return this.perConnection;
    return c.settled ? (c.session.remoteSettings.maxConcurrentStreams ?? UNTIL_SETTINGS) : UNTIL_SETTINGS;
  }

  /** A new connection: h2 over TLS (ALPN) for https://, h2c with prior knowledge for http://. */
  private connect(origin: string, localAddress: string | undefined, wire: WireCounter): ClientHttp2Session {
    const u = new URL(origin);
    const secure = u.protocol === 'https:';
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const port = u.port ? Number(u.port) : secure ? 443 : 80;
    const trust = this.trust;
    const session = http2.connect(`${u.protocol}//${u.host}`, {
      settings: { enablePush: false },
      createConnection: () => {
        const tcp = net.connect({
          host,
          port,
          ...(localAddress ? { localAddress } : {}),
          noDelay: true,
          keepAlive: true,
          keepAliveInitialDelay: 60_000,
        });
        // The TCP socket is counted: its bytes include TLS records and HTTP/2 framing, as on the wire.
        wire.track(tcp);
        if (!secure) return tcp;
        const servername = net.isIP(host) ? undefined : host;
        return tls.connect({ socket: tcp, servername, ALPNProtocols: ['h2'], ...tlsTrustOptions(trust) });
      },
    });
    // Its streams report what went wrong, each to its own client.
    session.on('error', () => {});
    return session;
  }
}

function usable(s: ClientHttp2Session): boolean {
  return !s.closed && !s.destroyed;
}

/** Request headers for HTTP/2: lower-case names, none of HTTP/1.1's connection-specific ones. */
export function h2Headers(path: string, headers: Record<string, string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': 'GET', ':path': path };
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower) || lower === '' || lower.startsWith(':')) continue;
    out[lower === 'host' ? ':authority' : lower] = headers[name];
  }
  return out;
}

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'accept-encoding',
]);

/**
 * A stream's error as an error kind: the connection's own failure when the stream was cancelled
 * because of it (refused, reset), h2-stream-reset for a server's RST_STREAM, h2-goaway for GOAWAY.
 */
export function h2ErrorKind(e: unknown): string {
  const err = e as { code?: string; cause?: unknown };
  if (err?.cause) return h2ErrorKind(err.cause);
  if (err?.code === 'ERR_HTTP2_STREAM_ERROR') return 'h2-stream-reset';
  if (err?.code === 'ERR_HTTP2_SESSION_ERROR' || err?.code === 'ERR_HTTP2_GOAWAY_SESSION') return 'h2-goaway';
  return errorKind(e);
}
