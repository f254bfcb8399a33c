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
  /** https://: the request goes over TLS */
  secure: boolean;
}

/** Why a URL cannot be requested here. */
export type TargetError = 'bad-url';

/** Parses an absolute http:// or https:// URL (default ports 80 and 443). */
export function parseHttpUrl(url: string): Http1Target | TargetError {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'bad-url';
  }
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') return 'bad-url';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  return { host, port, hostHeader: u.host, path: (u.pathname || '/') + u.search, secure };
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
export function getRequestHead(
  target: Pick<Http1Target, 'hostHeader' | 'path'>,
  headers: Record<string, string>,
): string {
  const host = headers.host !== undefined && !UNSAFE.test(headers.host) ? headers.host : target.hostHeader;
  let text = `GET ${target.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (name === 'host' || name === '' || UNSAFE.test(name) || UNSAFE.test(value)) continue;
    text += `${name}: ${value}\r\n`;
  }
  return text + '\r\n';
}
