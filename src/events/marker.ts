/**
 * rtbench's event marker. Every published event carries `~rtb:<tag>:<seq>:<intendedMicros>~`
 * somewhere in its body. The marker has no quotes or backslashes, so it survives any envelope a
 * target wraps it in (raw, JSON field, JSON-escaped string, SSE data line), and a client finds it
 * with indexOf instead of parsing the whole message.
 */
export interface MarkedEvent {
  seq: number;
  intendedAt: number; // epoch microseconds, from the publish schedule
}

const OPEN = '~rtb:';

/** Builds one event body of about `size` bytes: a JSON object with the marker and padding. */
export function encodeEvent(tag: string, seq: number, intendedAt: number, size: number): string {
  const head = `{"m":"${OPEN}${tag}:${seq}:${Math.round(intendedAt)}~","pad":"`;
  const tail = '"}';
  const padLen = Math.max(0, size - head.length - tail.length);
  return head + 'x'.repeat(padLen) + tail;
}

/**
 * Calls `onEvent` for each marker of run `tag` found in `text`; returns how many it found.
 * Markers of other runs (another tag) are ignored: they are stale events from a previous phase.
 */
export function scanEvents(text: string, tag: string, onEvent: (seq: number, intendedAt: number) => void): number {
  const prefix = OPEN + tag + ':';
  let found = 0;
  let at = text.indexOf(prefix);
  while (at !== -1) {
    let i = at + prefix.length;
    let seq = 0;
    let c: number;
    while ((c = text.charCodeAt(i)) >= 48 && c <= 57) {
      seq = seq * 10 + (c - 48);
      i++;
    }
    if (c === 58 /* : */) {
      i++;
      let t = 0;
      while ((c = text.charCodeAt(i)) >= 48 && c <= 57) {
        t = t * 10 + (c - 48);
        i++;
      }
      if (c === 126 /* ~ */) {
        onEvent(seq, t);
        found++;
      }
    }
    at = text.indexOf(prefix, i);
  }
  return found;
}

/** The bytes a client looks for in raw messages of run `tag` (build once per session). */
export function markerPrefix(tag: string): Buffer {
  return Buffer.from(OPEN + tag + ':', 'latin1');
}

/**
 * scanEvents on raw bytes: finds markers with Buffer.indexOf, so a WebSocket message is never
 * decoded into a string. The marker is ASCII, so its bytes are the same in any UTF-8 message.
 */
export function scanEventsInBuffer(
  buf: Buffer,
  prefix: Buffer,
  onEvent: (seq: number, intendedAt: number) => void,
): number {
  let found = 0;
  let at = buf.indexOf(prefix);
  while (at !== -1) {
    let i = at + prefix.length;
    let seq = 0;
    let c = buf[i];
    while (c >= 48 && c <= 57) {
      seq = seq * 10 + (c - 48);
      c = buf[++i];
    }
    if (c === 58 /* : */) {
      let t = 0;
      c = buf[++i];
      while (c >= 48 && c <= 57) {
        t = t * 10 + (c - 48);
        c = buf[++i];
      }
      if (c === 126 /* ~ */) {
        onEvent(seq, t);
        found++;
      }
    }
    at = buf.indexOf(prefix, i);
  }
  return found;
}

/** The integer right after `prefix` at the start of `buf` (e.g. a leading {"id":N), or 0. */
export function leadingInteger(buf: Buffer, prefix: Buffer): number {
  if (buf.length <= prefix.length || buf.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return 0;
  let n = 0;
  for (let i = prefix.length, c = buf[i]; c >= 48 && c <= 57 && i < prefix.length + 16; c = buf[++i])
    n = n * 10 + (c - 48);
  return n;
}

/** A short random tag that separates this run's (and phase's) events from any other's. */
export function newRunTag(): string {
  return Math.random().toString(36).slice(2, 8);
}
