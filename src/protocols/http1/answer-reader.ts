import type { HeaderLookup } from '../http-cursor.js';
import type { HeadError } from './response-head.js';

/**
 * Reads whole HTTP/1.1 answers (head and body) from the raw bytes of one keep-alive socket, one
 * answer per request, for the raw-socket pollers. It frames the body by content-length, chunked
 * transfer coding, or the end of the connection, and is bounded: a head over `maxHeadBytes` and a
 * body over `maxBodyBytes` are errors, so a hostile target cannot grow a client's memory.
 *
 * Why not ResponseHeadReader: its string split and header object cost 2.0 µs per head of the
 * bundled server's poll answer, where this reader takes 0.8 µs for head and body (best of 30 ×
 * 100,000): it scans the head's bytes for the three headers that frame the body and looks any
 * other header up only when asked.
 *
 * The chunks fed may be a read buffer that the socket reuses: whatever the reader keeps past a
 * `feed` call that did not finish the answer is copied first. An answer that arrives in one read
 * (the usual poll answer) is never copied; its head and body are views of that read.
 *
 * Overlaps the streaming body decoder of the lean SSE client (body-decoder.ts); to be unified.
 */
export type AnswerError = HeadError | 'answer-too-big' | 'http-malformed-body';

/** What `feed` says about the answer being read. */
export const NEED_MORE = 0;
export const DONE = 1;
export const FAILED = -1;
export type FeedResult = typeof NEED_MORE | typeof DONE | typeof FAILED;

export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const EMPTY = Buffer.alloc(0);
const HTTP_1 = Buffer.from('HTTP/1.');

// Reader states.
const HEAD = 0;
const FIXED = 1; // content-length body
const CHUNK_SIZE = 2; // hex digits of a chunk size
const CHUNK_EXT = 3; // the rest of a chunk-size line (extensions), up to its LF
const CHUNK_DATA = 4;
const CHUNK_END = 5; // the CRLF after a chunk's data
const TRAILER = 6; // a trailer line (or the empty line that ends the body)
const UNTIL_CLOSE = 7;
const COMPLETE = 8;

/** A chunk-size line's extensions, or a body's trailer section, longer than this is malformed. */
const MAX_LINE_BYTES = 4096;

export class AnswerReader implements HeaderLookup {
  /** status of the answer (0 until its head arrived) */
  status = 0;
  /** the connection must not carry another request after this answer */
  closeAfter = false;
  /** why the answer could not be read, after `feed` returned FAILED */
  error: AnswerError | null = null;
  /** bytes of the answer seen so far (head and body), to tell a dead reused connection from a bad answer */
  seen = 0;
  private state = HEAD;
  private head: Buffer = EMPTY;
  /** false while `head` is a view of a read the socket may reuse */
  private headOwned = true;
  private pendingHead: Buffer | null = null;
  private readonly pieces: Buffer[] = [];
  /** pieces before this index are owned by the reader; later ones are views of the current chunk */
  private owned = 0;
  private bodyBytes = 0;
  /** FIXED: bytes still to come; CHUNK_DATA: bytes left in this chunk; CHUNK_SIZE: the size so far */
  private left = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  private lastByte = 0;
  private sawDigit = false;

  constructor(
    private readonly maxBodyBytes = DEFAULT_MAX_ANSWER_BYTES,
    private readonly maxHeadBytes = DEFAULT_MAX_HEAD_BYTES,
  ) {}

  /** Starts a new answer (reusing the reader's state). */
  reset(): void {
    this.status = 0;
    this.closeAfter = false;
    this.error = null;
    this.seen = 0;
    this.state = HEAD;
    this.head = EMPTY;
    this.headOwned = true;
    this.pendingHead = null;
    this.pieces.length = 0;
    this.owned = 0;
    this.bodyBytes = 0;
    this.left = 0;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.lastByte = 0;
    this.sawDigit = false;
  }

  /** True while the body runs to the end of the connection (then `end()` completes it). */
  get untilClose(): boolean {
    return this.state === UNTIL_CLOSE;
  }

  /** Reads the bytes of one socket read. Bytes after a complete answer mark the connection unusable. */
  feed(chunk: Buffer): FeedResult {
    this.seen += chunk.length;
    let at = 0;
    if (this.state === HEAD) {
      at = this.readHead(chunk);
      if (at < 0) return at === -1 ? this.keep(NEED_MORE) : FAILED;
    }
    const r = this.readBody(chunk, at);
    return this.keep(r);
  }

  /** The connection ended: completes a body that runs until the close, else false. */
  end(): boolean {
    if (this.state !== UNTIL_CLOSE) return false;
    this.state = COMPLETE;
    return true;
  }

  /** The body: the single piece as received, or the pieces joined. Valid until the next `feed`. */
  body(): Buffer {
    const p = this.pieces;
    return p.length === 1 ? p[0] : p.length === 0 ? EMPTY : Buffer.concat(p, this.bodyBytes);
  }

  /** The first header of the answer called `name` (lower case), decoded; undefined when absent. */
  header(name: string): string | undefined {
    const h = this.head;
    const n = name.length;
    let line = h.indexOf(10) + 1; // past the status line
    while (line > 0 && line < h.length) {
      const next = h.indexOf(10, line);
      const end = next === -1 ? h.length : next;
      if (h[line + n] === 58 /* : */ && sameName(h, line, name)) return h.toString('latin1', line + n + 1, end).trim();
      line = next + 1;
    }
    return undefined;
  }

  /**
   * Copies what the reader keeps of a chunk that a later read may overwrite, unless the answer is
   * done (its views are read before the next read).
   */
  private keep(r: FeedResult): FeedResult {
    if (r !== NEED_MORE) return r;
    const p = this.pieces;
    for (let i = this.owned; i < p.length; i++) p[i] = Buffer.from(p[i]);
    this.owned = p.length;
    if (!this.headOwned) {
      this.head = Buffer.from(this.head);
      this.headOwned = true;
    }
    return r;
  }

  /** Reads the head; returns where the body starts in `chunk`, -1 for more bytes, -2 on error. */
  private readHead(chunk: Buffer): number {
    let buf = chunk;
    let from = 0;
    const pending = this.pendingHead;
    if (pending !== null) {
      buf = Buffer.concat([pending, chunk]);
      // The terminator may straddle the two reads.
      from = Math.max(0, pending.length - 3);
    }
    let end = buf.indexOf(CRLFCRLF, from);
    let sep = 4;
    if (end === -1) {
      end = buf.indexOf(LFLF, from); // tolerated, as browsers and curl do
      sep = 2;
    }
    if (end === -1 || end > this.maxHeadBytes) {
      if (buf.length > this.maxHeadBytes) return this.fail('http-head-too-big');
      this.pendingHead = Buffer.from(buf);
      return -1;
    }
    this.pendingHead = null;
    const head = buf.subarray(0, end);
    if (!this.parseHead(head)) return this.fail('http-malformed-head');
    if (this.status < 200) {
      // 1xx (100 Continue, 103 Early Hints): informational; the real answer's head follows.
      if (this.status === 101) return this.fail('http-malformed-head');
      this.status = 0;
      this.closeAfter = false;
      this.state = HEAD;
      const rest = buf.subarray(end + sep);
      return rest.length ? this.readHeadThenOffset(chunk, rest) : -1;
    }
    this.head = head;
    this.headOwned = buf !== chunk; // a joined head is the reader's own
    // The offset of the body within `chunk`: the head may have begun in an earlier read.
    return end + sep - (buf.length - chunk.length);
  }

  /** After a 1xx head: reads the next head from `rest` (the tail of `chunk`). */
  private readHeadThenOffset(chunk: Buffer, rest: Buffer): number {
    const at = this.readHead(rest);
    return at < 0 ? at : at + (chunk.length - rest.length);
  }

  /**
   * The status line and the three headers that frame the body. Other headers are checked for a
   * name and a colon only, and read on demand by `header`.
   */
  private parseHead(h: Buffer): boolean {
    // HTTP/1.x NNN
    if (h.length < 12 || h.compare(HTTP_1, 0, 7, 0, 7) !== 0) return false;
    const minor = h[7];
    if ((minor !== 48 && minor !== 49) || h[8] !== 32) return false;
    const d0 = h[9] - 48;
    const d1 = h[10] - 48;
    const d2 = h[11] - 48;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
    if (h.length > 12 && h[12] !== 32 && h[12] !== 13 && h[12] !== 10) return false;
    this.status = d0 * 100 + d1 * 10 + d2;
    let length = -1;
    let chunked = false;
    let otherCoding = false;
    let close = minor === 48; // HTTP/1.0 closes unless it says keep-alive
    let line = h.indexOf(10) + 1;
    while (line > 0 && line < h.length) {
      const next = h.indexOf(10, line);
      let end = next === -1 ? h.length : next;
      if (h[end - 1] === 13) end--;
      if (end > line) {
        const colon = h.indexOf(58, line);
        if (colon <= line || colon >= end || h[line] === 32 || h[line] === 9) return false;
        const n = colon - line;
        if (n === 14 && sameName(h, line, 'content-length')) {
          const v = decimal(h, colon + 1, end);
          if (v < 0 || (length >= 0 && v !== length)) return false;
          length = v;
        } else if (n === 17 && sameName(h, line, 'transfer-encoding')) {
          // Only a final "chunked" frames the body by chunks; any other coding runs to the close.
          if (endsWithToken(h, colon + 1, end, 'chunked')) chunked = true;
          else otherCoding = true;
        } else if (n === 10 && sameName(h, line, 'connection')) {
          if (hasToken(h, colon + 1, end, 'close')) close = true;
          else if (minor === 48 && hasToken(h, colon + 1, end, 'keep-alive')) close = false;
        }
      }
      if (next === -1) break;
      line = next + 1;
    }
    this.closeAfter = close;
    const s = this.status;
    if (s < 200 || s === 204 || s === 304) {
      this.state = COMPLETE;
    } else if (chunked && !otherCoding) {
      this.state = CHUNK_SIZE;
      this.left = 0;
      this.sawDigit = false;
    } else if (otherCoding || length < 0) {
      this.state = UNTIL_CLOSE;
      this.closeAfter = true;
    } else {
      this.state = FIXED;
      this.left = length;
      if (length > this.maxBodyBytes) {
        this.fail('answer-too-big');
        return true; // the head is fine; `readBody` sees the failure
      }
    }
    return true;
  }

  private fail(kind: AnswerError): -2 {
    this.error = kind;
    this.state = COMPLETE;
    return -2;
  }

  /** Reads body bytes of `chunk` from `at`. */
  private readBody(chunk: Buffer, at: number): FeedResult {
    if (this.error !== null) return FAILED;
    const n = chunk.length;
    while (true) {
      switch (this.state) {
        case COMPLETE:
          // Bytes after the answer belong to no request: the connection is not reused.
          if (at < n) this.closeAfter = true;
          return DONE;
        case FIXED: {
          const take = Math.min(this.left, n - at);
          if (take > 0) this.piece(chunk, at, at + take);
          at += take;
          this.left -= take;
          if (this.left === 0) {
            this.state = COMPLETE;
            continue;
          }
          return NEED_MORE;
        }
        case UNTIL_CLOSE:
          if (at < n && !this.piece(chunk, at, n)) return FAILED;
          return NEED_MORE;
        case CHUNK_SIZE: {
          if (at >= n) return NEED_MORE;
          const c = chunk[at];
          const v = hexValue(c);
          if (v >= 0) {
            this.left = this.left * 16 + v;
            this.sawDigit = true;
            // A chunk larger than the whole answer may be cannot be read; no need to see its end.
            if (this.bodyBytes + this.left > this.maxBodyBytes) return this.failed('answer-too-big');
            at++;
            continue;
          }
          if (!this.sawDigit) return this.failed('http-malformed-body');
          this.lineBytes = 0;
          this.state = CHUNK_EXT;
          continue;
        }
        case CHUNK_EXT: {
          const lf = chunk.indexOf(10, at);
          const upTo = lf === -1 ? n : lf;
          this.lineBytes += upTo - at;
          if (this.lineBytes > MAX_LINE_BYTES) return this.failed('http-malformed-body');
          if (lf === -1) return NEED_MORE;
          at = lf + 1;
          if (this.left === 0) {
            this.state = TRAILER;
            this.lineBytes = 0;
          } else {
            this.state = CHUNK_DATA;
          }
          continue;
        }
        case CHUNK_DATA: {
          const take = Math.min(this.left, n - at);
          if (take > 0 && !this.piece(chunk, at, at + take)) return FAILED;
          at += take;
          this.left -= take;
          if (this.left > 0) return NEED_MORE;
          this.state = CHUNK_END;
          continue;
        }
        case CHUNK_END: {
          if (at >= n) return NEED_MORE;
          const c = chunk[at++];
          if (c === 13) continue; // CR, then LF
          if (c !== 10) return this.failed('http-malformed-body');
          this.state = CHUNK_SIZE;
          this.left = 0;
          this.sawDigit = false;
          continue;
        }
        case TRAILER: {
          // Trailer lines are skipped; an empty line (LF or CRLF) ends the body.
          const lf = chunk.indexOf(10, at);
          const upTo = lf === -1 ? n : lf;
          if (upTo > at) this.lastByte = chunk[upTo - 1];
          this.lineBytes += upTo - at;
          this.trailerBytes += upTo - at;
          if (this.trailerBytes > MAX_LINE_BYTES) return this.failed('http-malformed-body');
          if (lf === -1) return NEED_MORE;
          at = lf + 1;
          if (this.lineBytes === 0 || (this.lineBytes === 1 && this.lastByte === 13)) this.state = COMPLETE;
          this.lineBytes = 0;
          continue;
        }
        default:
          return FAILED;
      }
    }
  }

  private failed(kind: AnswerError): FeedResult {
    this.fail(kind);
    return FAILED;
  }

  /** Keeps body bytes [from, to) of `chunk` as a view; false (and an error) past the limit. */
  private piece(chunk: Buffer, from: number, to: number): boolean {
    this.bodyBytes += to - from;
    if (this.bodyBytes > this.maxBodyBytes) {
      this.fail('answer-too-big');
      return false;
    }
    this.pieces.push(chunk.subarray(from, to));
    return true;
  }
}

/** Does the header name at `at` equal `name` (lower case), ignoring ASCII case? */
function sameName(h: Buffer, at: number, name: string): boolean {
  const n = name.length;
  if (at + n > h.length) return false;
  for (let i = 0; i < n; i++) {
    const c = h[at + i];
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** A non-negative decimal between optional white space, or -1. */
function decimal(h: Buffer, from: number, to: number): number {
  while (from < to && (h[from] === 32 || h[from] === 9)) from++;
  while (to > from && (h[to - 1] === 32 || h[to - 1] === 9)) to--;
  if (from === to || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = h[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Is `token` one of the comma-separated values in h[from, to), ignoring case and white space? */
function hasToken(h: Buffer, from: number, to: number, token: string): boolean {
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i === to || h[i] === 44 /* , */) {
      let a = start;
      let b = i;
      while (a < b && (h[a] === 32 || h[a] === 9)) a++;
      while (b > a && (h[b - 1] === 32 || h[b - 1] === 9)) b--;
      if (b - a === token.length && sameName(h, a, token)) return true;
      start = i + 1;
    }
  }
  return false;
}

/** Is `token` the last of the comma-separated values in h[from, to)? */
function endsWithToken(h: Buffer, from: number, to: number, token: string): boolean {
  while (to > from && (h[to - 1] === 32 || h[to - 1] === 9)) to--;
  const a = to - token.length;
  if (a < from || !sameName(h, a, token)) return false;
  for (let i = a - 1; i >= from; i--) {
    const c = h[i];
    if (c === 44) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
