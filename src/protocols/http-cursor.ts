import { isAsciiSpace } from './payload-check.js';
import type { TargetEndpoints } from './types.js';

/** Response headers, looked up by lower-case name. */
export interface HeaderLookup {
  header(name: string): string | undefined;
}

/** How far into an answer the JSON "cursor" field is looked for. */
const CURSOR_WINDOW = 200;
const CURSOR_KEY = Buffer.from('"cursor"', 'latin1');

/**
 * How a polling client keeps its place in the stream, for any pub/sub server:
 * - query: ?<param>=<cursor>, the cursor read from the answer's JSON "cursor" field, else its
 *   X-Cursor header, else the highest rtbench seq seen;
 * - http-cache: the answer's Last-Modified / ETag echoed back as If-Modified-Since / If-None-Match.
 *
 * A poller asks many times per cursor, so the path and headers of the next request are built
 * only when the cursor changes, and the cursor is read from the answer's bytes without decoding
 * the body unless it changed.
 */
export class HttpCursor {
  private cursor: string | null = null;
  /** the bytes the current cursor was read from, to see that the next answer repeats it */
  private cursorBytes = new Uint8Array(16);
  private cursorLength = -1;
  /** the highest seq the current cursor was made from (0: it came from elsewhere) */
  private cursorSeq = 0;
  private lastModified: string | null = null;
  private etag: string | null = null;
  private pathFor: string | null = null;
  private pathCursor: string | null = null;
  private builtPath = '';
  private builtHeaders: Record<string, string> | null = null;

  constructor(private readonly target: TargetEndpoints) {}

  /** The path with the cursor parameter, for the next request. */
  path(basePath: string): string {
    if (this.target.cursor !== 'query' || this.cursor === null) return basePath;
    if (this.pathCursor !== this.cursor || this.pathFor !== basePath) {
      const sep = basePath.includes('?') ? '&' : '?';
      const param = encodeURIComponent(this.target.cursorParam);
      this.builtPath = `${basePath}${sep}${param}=${encodeURIComponent(this.cursor)}`;
      this.pathFor = basePath;
      this.pathCursor = this.cursor;
    }
    return this.builtPath;
  }

  /** Request headers carrying the cursor (http-cache mode) on top of the target's own headers. */
  headers(): Record<string, string> {
    if (this.target.cursor !== 'http-cache') return this.target.headers;
    if (this.builtHeaders === null) {
      const h: Record<string, string> = { ...this.target.headers };
      if (this.lastModified) h['if-modified-since'] = this.lastModified;
      if (this.etag) h['if-none-match'] = this.etag;
      this.builtHeaders = h;
    }
    return this.builtHeaders;
  }

  /** Learns the next cursor from an answer: its headers, and its body (null for a 304). */
  update(headers: HeaderLookup, body: Buffer | null, highestSeq: number): void {
    if (this.target.cursor === 'http-cache') {
      const lm = headers.header('last-modified');
      const et = headers.header('etag');
      if (lm !== undefined && lm !== this.lastModified) {
        this.lastModified = lm;
        this.builtHeaders = null;
      }
      if (et !== undefined && et !== this.etag) {
        this.etag = et;
        this.builtHeaders = null;
      }
      return;
    }
    if (body !== null && this.cursorFromJson(body)) return;
    this.cursorLength = -1;
    const x = headers.header('x-cursor');
    if (x !== undefined) {
      this.cursor = x;
      this.cursorSeq = 0;
    } else if (highestSeq > 0 && highestSeq !== this.cursorSeq) {
      this.cursor = String(highestSeq);
      this.cursorSeq = highestSeq;
    }
  }

  /**
   * `"cursor"\s*:\s*"?([\w.:-]+)` in the first 200 bytes of `body`, read in place: the cursor
   * string is only made when its bytes differ from the last answer's. False when there is none.
   */
  private cursorFromJson(body: Buffer): boolean {
    const end = Math.min(body.length, CURSOR_WINDOW);
    let at = end > CURSOR_KEY.length ? body.indexOf(CURSOR_KEY) : -1;
    while (at !== -1 && at + CURSOR_KEY.length < end) {
      let i = at + CURSOR_KEY.length;
      while (i < end && isAsciiSpace(body[i])) i++;
      if (i < end && body[i] === 58 /* : */) {
        i++;
        while (i < end && isAsciiSpace(body[i])) i++;
        if (i < end && body[i] === 34 /* " */) i++;
        const start = i;
        while (i < end && isCursorByte(body[i])) i++;
        if (i > start) {
          this.learn(body, start, i);
          return true;
        }
      }
      at = body.indexOf(CURSOR_KEY, at + 1);
    }
    return false;
  }

  private learn(body: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === this.cursorLength && body.compare(this.cursorBytes, 0, n, start, end) === 0) return;
    if (n > this.cursorBytes.length) this.cursorBytes = new Uint8Array(n * 2);
    this.cursorBytes.set(body.subarray(start, end));
    this.cursorLength = n;
    // [\w.:-] is ASCII, so latin1 gives the same string as UTF-8 would.
    this.cursor = body.toString('latin1', start, end);
    this.cursorSeq = 0;
  }
}

/** [\w.:-] */
function isCursorByte(c: number): boolean {
  return (
    (c >= 48 && c <= 58) /* 0-9 : */ ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 ||
    c === 46 ||
    c === 45
  );
}
