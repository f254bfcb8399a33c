import type { ResponseHead } from './response-head.js';

/**
 * An HTTP/1.1 response body taken apart as it streams in, for clients on raw sockets. It keeps
 * no bytes: body bytes are handed on as ranges of the chunk just read, and the chunked framing is
 * read one byte at a time into a few numbers, so a chunk header split over two reads needs no
 * buffer and a hostile target cannot grow one.
 */

/** How the body's end is found: chunked, a length in bytes, or the connection closing. */
export type Framing = 'chunked' | 'close' | number;

/** The framing `head` announces (RFC 9112 §6.3), or why it cannot be read. */
export function framingOf(head: ResponseHead): Framing | 'http-malformed-head' | 'compressed' {
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = te
      .toLowerCase()
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '' && c !== 'identity');
    // gzip and the like as a transfer coding: compression we never asked for and do not undo.
    if (codings.some((c) => c !== 'chunked')) return 'compressed';
    // Transfer-Encoding wins over Content-Length; without chunked last, the body runs to close.
    return codings[codings.length - 1] === 'chunked' ? 'chunked' : 'close';
  }
  const cl = head.headers['content-length'];
  if (cl === undefined) return 'close';
  // "5, 5" (a proxy's merge) is one length; different lengths or anything but digits is not.
  const values = new Set(cl.split(',').map((v) => v.trim()));
  if (values.size !== 1) return 'http-malformed-head';
  const [value] = values;
  if (!/^\d{1,15}$/.test(value)) return 'http-malformed-head';
  return Number(value);
}

/** Where body bytes go: `buf[start, end)`, valid only during the call. */
export interface BodySink {
  /** Returns false when the sink gave up on this body (it tore the connection down). */
  onBody(buf: Buffer, start: number, end: number): boolean;
}

/**
 * What `feed` found: 'more' (the body goes on), 'end' (it is complete), 'stopped' (the sink gave
 * up) or 'http-malformed-chunk' (a chunk header or trailer that is not HTTP, or one too long).
 */
export type BodyStatus = 'more' | 'end' | 'stopped' | 'http-malformed-chunk';

/** A chunk-size line (digits, extensions) longer than this is refused: real ones are a few bytes. */
const MAX_SIZE_LINE = 4096;
/** Trailer fields together longer than this are refused; they are read only to be skipped. */
const MAX_TRAILER = 16 * 1024;
/** 12 hex digits are 2^48 bytes: beyond any real chunk, and well inside a double's exact integers. */
const MAX_SIZE_DIGITS = 12;

const CR = 13;
const LF = 10;

// The states of the chunked framing.
const SIZE = 0; // hex digits of a chunk size
const EXT = 1; // after the digits: extensions, skipped to the end of the line
const SIZE_LF = 2; // CR seen at the end of the size line
const DATA = 3; // chunk data, `remaining` bytes left
const DATA_CR = 4; // after chunk data: CRLF expected
const DATA_LF = 5;
const TRAILER = 6; // at the start of a trailer line (or of the final blank line)
const TRAILER_LINE = 7; // inside a trailer field, skipped
const TRAILER_LF = 8; // CR seen on the final blank line
const DONE = 9;

export class BodyDecoder {
  /** length framing: bytes left in the body; chunked: bytes left in the current chunk */
  private remaining: number;
  private state = SIZE;
  private digits = 0;
  /** bytes of the current size line, or of the trailer so far */
  private lineBytes = 0;
  private readonly chunked: boolean;
  private readonly untilClose: boolean;

  constructor(framing: Framing) {
    this.chunked = framing === 'chunked';
    this.untilClose = framing === 'close';
    this.remaining = typeof framing === 'number' ? framing : 0;
    if (typeof framing === 'number' && framing === 0) this.state = DONE;
  }

  /** True once the whole body was read (never for a body that runs until the connection closes). */
  get done(): boolean {
    return this.state === DONE;
  }

  /** Decodes `buf[start, end)`, handing body bytes to `sink`. */
  feed(buf: Buffer, start: number, end: number, sink: BodySink): BodyStatus {
    if (this.state === DONE) return 'end';
    if (this.untilClose) return start < end && !sink.onBody(buf, start, end) ? 'stopped' : 'more';
    if (!this.chunked) {
      const n = Math.min(this.remaining, end - start);
      if (n > 0 && !sink.onBody(buf, start, start + n)) return 'stopped';
      this.remaining -= n;
      if (this.remaining > 0) return 'more';
      this.state = DONE;
      return 'end';
    }
    return this.feedChunked(buf, start, end, sink);
  }

  private feedChunked(buf: Buffer, start: number, end: number, sink: BodySink): BodyStatus {
    let i = start;
    while (i < end) {
      const state = this.state;
      if (state === DATA) {
        const n = Math.min(this.remaining, end - i);
        if (!sink.onBody(buf, i, i + n)) return 'stopped';
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = DATA_CR;
        continue;
      }
      const c = buf[i++];
      switch (state) {
        case SIZE:
          if (!this.sizeByte(c)) return 'http-malformed-chunk';
          break;
        case EXT:
          if (++this.lineBytes > MAX_SIZE_LINE) return 'http-malformed-chunk';
          if (c === CR) this.state = SIZE_LF;
          else if (c === LF) this.endOfSizeLine();
          break;
        case SIZE_LF:
          if (c !== LF) return 'http-malformed-chunk';
          this.endOfSizeLine();
          break;
        case DATA_CR:
          if (c === CR) this.state = DATA_LF;
          else if (c === LF)
            this.state = SIZE; // a bare LF is tolerated, as in the head
          else return 'http-malformed-chunk';
          break;
        case DATA_LF:
          if (c !== LF) return 'http-malformed-chunk';
          this.state = SIZE;
          break;
        case TRAILER:
          if (++this.lineBytes > MAX_TRAILER) return 'http-malformed-chunk';
          if (c === CR) this.state = TRAILER_LF;
          else if (c === LF) this.state = DONE;
          else this.state = TRAILER_LINE;
          break;
        case TRAILER_LINE:
          if (++this.lineBytes > MAX_TRAILER) return 'http-malformed-chunk';
          if (c === LF) this.state = TRAILER;
          break;
        case TRAILER_LF:
          if (c !== LF) return 'http-malformed-chunk';
          this.state = DONE;
          break;
      }
      if (this.state === DONE) return 'end';
    }
    return 'more';
  }

  /** One byte of a chunk-size line: hex digits, then CRLF or extensions; false when malformed. */
  private sizeByte(c: number): boolean {
    if (++this.lineBytes > MAX_SIZE_LINE) return false;
    const d = hexValue(c);
    if (d >= 0) {
      if (++this.digits > MAX_SIZE_DIGITS) return false;
      this.remaining = this.remaining * 16 + d;
    } else if (this.digits === 0) {
      return false;
    } else if (c === CR) {
      this.state = SIZE_LF;
    } else if (c === LF) {
      this.endOfSizeLine();
    } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
      this.state = EXT; // extensions (and the white space some servers put before them) are skipped
    } else {
      return false;
    }
    return true;
  }

  private endOfSizeLine(): void {
    this.digits = 0;
    this.lineBytes = 0;
    // A zero-size chunk is the last one; trailer fields (if any) follow, then a blank line.
    this.state = this.remaining === 0 ? TRAILER : DATA;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
