import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from 'eventsource-parser';

/** What an SseReader reports, implemented by its client (method calls, no closures per client). */
export interface SseSink {
  /** One dispatched event, as eventsource-parser gives it (`event` undefined for a plain message). */
  onSseEvent(event: EventSourceMessage): void;
  /** A line that is neither a field SSE knows, a comment nor blank. */
  onSseMalformedLine(): void;
  /** A line or event grew past the limit: the reader dropped it and reset; the stream should end. */
  onSseTooLong(): void;
  /** A comment line (`:<text>`), as servers send for heartbeats; `chars`: the text after the colon. */
  onSseComment?(chars: number): void;
}

/** 1 MiB: far above any real event, small enough that thousands of clients cannot exhaust a worker. */
export const DEFAULT_MAX_EVENT_CHARS = 1024 * 1024;

const LF = 10;
const CR = 13;

/**
 * The reader being fed right now. Every parser calls the same two functions, which pass the call
 * on to this reader: no parser needs callbacks of its own, so a parser can move between readers.
 */
let current: SseReader | null = null;
/** the epoch of `current` when its feed began: a reset during the feed silences the rest of it */
let currentEpoch = 0;

function onParsedEvent(event: EventSourceMessage): void {
  const reader = current;
  if (reader === null || reader.epoch !== currentEpoch) return;
  reader.event(event);
}

function onParsedComment(comment: string): void {
  const reader = current;
  if (reader === null || reader.epoch !== currentEpoch) return;
  reader.sink.onSseComment?.(comment.length);
}

function onParseError(error: ParseError): void {
  const reader = current;
  if (reader === null || reader.epoch !== currentEpoch) return;
  if (error.type === 'unknown-field') reader.sink.onSseMalformedLine();
  else if (error.type === 'max-buffer-size-exceeded') {
    // The parser dropped what it held and refuses more until reset: this stream is over.
    reader.reset();
    reader.sink.onSseTooLong();
  }
  // invalid-retry: a retry: line is a known field, and these clients use their own back-off.
}

/**
 * Parsers with nothing half-read, one per limit, lent to whichever reader is fed. Most reads end
 * at an event boundary (servers write whole events), so most readers never hold a parser of their
 * own: a parser costs about 0.9 KB of heap (its closures), as much as the socket itself.
 */
const idle = new Map<number, EventSourceParser>();

function newParser(maxChars: number): EventSourceParser {
  const p = createParser({
    onEvent: onParsedEvent,
    onError: onParseError,
    onComment: onParsedComment,
    maxBufferSize: maxChars,
  });
  p.feed(''); // clears the first-chunk flag: only a reader's own stream start should check for a BOM
  return p;
}

/**
 * An SSE stream from raw body bytes: a streaming UTF-8 decode that never splits a character, and
 * eventsource-parser (the parser the `eventsource` package is built on) for the fields. It keeps
 * the last event id for Last-Event-ID, as EventSource does. A line or an event is bounded by
 * `maxChars` (counted in decoded characters, which for ASCII are bytes; memory stays under two
 * bytes per character), past which the sink hears `onSseTooLong`.
 */
export class SseReader {
  /** the id of the last event that had an `id:` field ('' resets it): what Last-Event-ID resends */
  lastEventId = '';
  /** counts resets, so a parser still feeding a torn-down stream is not heard */
  epoch = 0;
  /** a parser of this reader's own, only while an event is half read at the end of a read */
  private parser: EventSourceParser | null = null;
  /** the first bytes of a UTF-8 character cut off at the end of the last read (at most 3) */
  private carry: Buffer | null = null;
  /** no text of this stream was parsed yet (a BOM is stripped from its start) */
  private fresh = true;

  constructor(
    readonly sink: SseSink,
    private readonly maxChars = DEFAULT_MAX_EVENT_CHARS,
  ) {}

  /** A new stream begins (or the old one ended): whatever was half read is dropped. */
  reset(): void {
    this.epoch++;
    this.parser = null;
    this.carry = null;
    this.fresh = true;
  }

  /** Parses the body bytes `buf[start, end)` (not kept: the buffer may be reused after the call). */
  feed(buf: Buffer, start: number, end: number): void {
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, buf.subarray(start, end)]);
      start = 0;
      end = buf.length;
      this.carry = null;
    }
    const cut = completeUtf8End(buf, start, end);
    if (cut < end) this.carry = Buffer.from(buf.subarray(cut, end));
    if (cut === start) return;
    let text = buf.toString('utf8', start, cut);
    const own = this.parser;
    const parser = own ?? idle.get(this.maxChars) ?? newParser(this.maxChars);
    if (this.fresh) {
      this.fresh = false;
      // What TextDecoder does at a stream's start (EventSource decodes with one); the parser's reset
      // arms its own first-chunk check, as EventSource resets its parser for each response.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      parser.reset();
    }
    const epoch = this.epoch;
    const outer = current;
    const outerEpoch = currentEpoch;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the parser's callbacks find the feeding reader here
    current = this;
    currentEpoch = epoch;
    try {
      parser.feed(text);
    } finally {
      current = outer;
      currentEpoch = outerEpoch;
    }
    if (this.epoch !== epoch) {
      // Reset while feeding (the sink gave up): the parser holds a dead stream's state.
      if (own === null) {
        parser.reset();
        parser.feed('');
        idle.set(this.maxChars, parser);
      }
      return;
    }
    if (endsAtEventBoundary(text)) {
      // Nothing is half read: the parser is as good as new and goes back to be lent.
      this.parser = null;
      if (!idle.has(this.maxChars)) idle.set(this.maxChars, parser);
    } else if (own === null) {
      this.parser = parser;
      idle.delete(this.maxChars);
    }
  }

  /** @internal called by the shared parser callbacks */
  event(event: EventSourceMessage): void {
    // As EventSource: an event's id (even '') becomes the id resent on reconnect.
    if (typeof event.id === 'string') this.lastEventId = event.id;
    this.sink.onSseEvent(event);
  }

  /** True when this reader holds a parser of its own (for tests and memory probes). */
  get holdsParser(): boolean {
    return this.parser !== null;
  }
}

/**
 * True when `text` ends with a blank line, so the parser dispatched (or dropped) the last event
 * and holds nothing: the last line terminator (LF or CRLF) follows another terminator. Text ending
 * in a lone CR is not: the parser waits to see whether an LF follows.
 */
export function endsAtEventBoundary(text: string): boolean {
  let k = text.length - 1;
  if (k < 0 || text.charCodeAt(k) !== LF) return false;
  k--;
  if (k >= 0 && text.charCodeAt(k) === CR) k--;
  if (k < 0) return false; // the terminator before it is in an earlier read: unknown here
  const c = text.charCodeAt(k);
  return c === LF || c === CR;
}

/**
 * The end of the last complete UTF-8 character in `buf[start, end)`: `end`, or the index where a
 * multi-byte character begins that the next read completes. Invalid bytes count as complete
 * (they decode to U+FFFD either way), so at most 3 bytes are ever held back.
 */
export function completeUtf8End(buf: Buffer, start: number, end: number): number {
  for (let i = end - 1; i >= start && i >= end - 3; i--) {
    const b = buf[i];
    if (b < 0x80) return end; // ASCII
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return end - i < need ? i : end;
    }
    // a continuation byte: its lead byte is further back
  }
  return end;
}
