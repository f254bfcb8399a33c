import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/** The cookie a browser's EventSource (which cannot set headers) carries the token in. */
export const TOKEN_COOKIE = 'rtbench_token';
/** WebSocket subprotocol prefix carrying the token: browsers cannot set headers on the upgrade either. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.';

export type AuthVerdict = 'ok' | 'missing' | 'wrong';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request offers: Authorization: Bearer, else the cookie, else a bearer.* subprotocol. */
export function offeredToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    return m ? m[1] : '';
  }
  const cookie = req.headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return decodeCookie(part.slice(eq + 1).trim());
    }
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(','))
      if (p.trim().startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return p.trim().slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return null;
}

/** A cookie value, percent-decoded; a malformed escape (`%`, `%zz`) is kept as sent: never throws. */
function decodeCookie(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Checks a token against the server's; `expected` null means the server needs none. */
export function checkToken(offered: string | null, expected: string | null): AuthVerdict {
  if (expected === null) return 'ok';
  if (offered === null || offered === '') return 'missing';
  return same(offered, expected) ? 'ok' : 'wrong';
}
