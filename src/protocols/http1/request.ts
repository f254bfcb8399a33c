/**
 * One HTTP/1.1 GET written by hand on a raw socket, for the lean clients that hold one long
 * response per connection. Building the request text is all there is: Node's and undici's
 * request machinery (agents, pools, header objects) would cost more per client than the socket.
 */

/** Where one request goes: what `net.connect` needs and what the request line and Host carry. */
export interface Http1Target {
  /** for net.connect: an IPv6 literal without its brackets */
  host: string;
  port: number;
  /** for the Host header: host[:port] as the URL spells it */
  hostHeader: string;
  /** path and query, never empty */
  path: string;
}

/** Why a URL cannot be requested here. */
export type TargetError = 'tls-not-supported' | 'bad-url';

/**
 * Parses an absolute http:// URL. https:// is refused with `tls-not-supported`: TLS needs its
 * own socket and its own memory measurements, so it is left for later rather than half done.
 */
export function parseHttpUrl(url: string): Http1Target | TargetError {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'bad-url';
  }
  if (u.protocol === 'https:') return 'tls-not-supported';
  if (u.protocol !== 'http:') return 'bad-url';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : 80, hostHeader: u.host, path: (u.pathname || '/') + u.search };
}

/** A header value or name that could end the line it is on (CR, LF, NUL) would let it forge headers. */
const UNSAFE = /[\r\n\0]/;

/**
 * `base` with `extra` laid over it, names in lower case (HTTP/1.1 names are case-insensitive),
 * so a target's own Accept or Last-Event-ID replaces ours instead of being sent twice.
 */
export function withHeaders(base: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const out = { ...base };
  for (const name of Object.keys(extra)) out[name.toLowerCase()] = extra[name];
  return out;
}

/**
 * The text of `GET <path> HTTP/1.1` with `host` first, then `headers` (lower-case names; a
 * `host` among them replaces the URL's). A name or value that could split the head is dropped:
 * a request the server reads differently from what we meant is worse than a missing header.
 */
export function getRequestHead(target: Http1Target, headers: Record<string, string>): string {
  const host = headers.host !== undefined && !UNSAFE.test(headers.host) ? headers.host : target.hostHeader;
  let text = `GET ${target.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (name === 'host' || name === '' || UNSAFE.test(name) || UNSAFE.test(value)) continue;
    text += `${name}: ${value}\r\n`;
  }
  return text + '\r\n';
}
