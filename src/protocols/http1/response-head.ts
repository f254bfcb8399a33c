/**
 * An HTTP/1.1 response head read from raw socket bytes, for the lean clients that skip Node's
 * and undici's HTTP stacks (one SSE stream or one WebSocket handshake per socket). Bounded: a
 * head larger than `maxBytes` is an error, so a hostile target cannot grow a client's memory.
 */
export interface ResponseHead {
  status: number;
  /** header names in lower case; a repeated header keeps its last value */
  headers: Record<string, string>;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Why a head could not be read: a stable error kind for the results. */
export type HeadError = 'http-head-too-big' | 'http-malformed-head';

export type HeadResult =
  // the head is complete; `rest` is the first body bytes, a view of the chunk fed (read it before that is reused)
  { head: ResponseHead; rest: Buffer } | { error: HeadError } | null; // more bytes needed

/**
 * Accumulates bytes until the blank line that ends a response head. `feed` returns null while
 * the head is incomplete. Keeps nothing once the head is read.
 */
export class ResponseHeadReader {
  private pending: Buffer | null = null;

  constructor(private readonly maxBytes = 16 * 1024) {}

  feed(chunk: Buffer): HeadResult {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    // Search from a little before the new bytes: the terminator may straddle two chunks.
    const from = this.pending ? Math.max(0, this.pending.length - 3) : 0;
    let end = buf.indexOf(CRLFCRLF, from);
    let sep = 4;
    // A bare-LF blank line is tolerated, as browsers and curl do; whichever blank line comes first
    // ends the head (a CRLF head may be followed by a body holding LF LF, and the other way round).
    const lf = buf.indexOf(LFLF, from);
    if (lf !== -1 && (end === -1 || lf < end)) {
      end = lf;
      sep = 2;
    }
    if (end === -1) {
      if (buf.length > this.maxBytes) return { error: 'http-head-too-big' };
      // Copied when it is the caller's chunk: a client may read every socket into one shared buffer.
      this.pending = buf === chunk ? Buffer.from(chunk) : buf;
      return null;
    }
    this.pending = null;
    if (end > this.maxBytes) return { error: 'http-head-too-big' };
    const head = parseHead(buf.toString('latin1', 0, end));
    if (!head) return { error: 'http-malformed-head' };
    return { head, rest: buf.subarray(end + sep) };
  }
}

/** Parses "HTTP/1.1 200 OK\r\nname: value…" (without the blank line), or null when malformed. */
export function parseHead(text: string): ResponseHead | null {
  const lines = text.split(/\r?\n/);
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers };
}
