/** One published event, formatted once for every protocol so fan-out never re-encodes. */
export interface LogEntry {
  id: number;
  /** the event as a JSON value (the published body, or the body as a JSON string if it was not JSON) */
  json: string;
  sseChunk: Buffer;
  wsFrame: Buffer;
  publishedAt: number; // ms epoch, for Last-Modified
  /** the room (topic) it was published to; '' = no room */
  room: string;
}

/** Bytes an entry holds: its JSON (counted as UTF-16, what a JS string may take) and its two framings. */
function entryBytes(e: LogEntry): number {
  return e.json.length * 2 + e.sseChunk.length + e.wsFrame.length;
}

/**
 * A bounded ring buffer of events: resume works for the last `capacity` events, and for as many of
 * them as fit in `maxBytes` (the oldest go first), so a stream of large events cannot grow the
 * server without bound. The newest event always stays, whatever its size.
 */
export class EventLog {
  private readonly ring: LogEntry[];
  private next = 1;
  /** the oldest id still held after evictions by bytes */
  private first = 1;
  private heldBytes = 0;
  private readonly listeners = new Set<(e: LogEntry) => void>();

  constructor(
    readonly capacity = 10_000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {
    this.ring = new Array<LogEntry>(capacity);
  }

  /** id of the newest event (0 when empty) */
  get lastId(): number {
    return this.next - 1;
  }

  get oldestId(): number {
    return Math.max(1, this.first, this.next - this.capacity);
  }

  get size(): number {
    return Math.max(0, this.next - this.oldestId);
  }

  /** bytes the held events take (see entryBytes) */
  get bytes(): number {
    return this.heldBytes;
  }

  append(json: string, room = ''): LogEntry {
    return this.appendWithId(this.next, json, room)!;
  }

  /**
   * Appends an event whose id was given by a shared sequence (a fleet's Redis bus). Ids only
   * grow: a stale or repeated id is ignored (null); a gap (an event this instance never got)
   * stays a hole that readers skip.
   */
  appendWithId(id: number, json: string, room = ''): LogEntry | null {
    if (id < this.next) return null;
    this.next = id + 1;
    const entry: LogEntry = {
      id,
      json,
      sseChunk: Buffer.from(`id: ${id}\ndata: ${json}\n\n`),
      wsFrame: Buffer.from(`{"id":${id},"data":${json}}`),
      publishedAt: Date.now(),
      room,
    };
    const slot = id % this.capacity;
    const replaced = this.ring[slot];
    if (replaced) this.heldBytes -= entryBytes(replaced);
    this.ring[slot] = entry;
    this.heldBytes += entryBytes(entry);
    this.evictOverBytes();
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** Drops the oldest events until the held ones fit `maxBytes` (the newest always stays). */
  private evictOverBytes(): void {
    this.first = Math.max(this.first, this.next - this.capacity);
    while (this.heldBytes > this.maxBytes && this.first < this.next - 1) {
      const slot = this.first % this.capacity;
      const e = this.ring[slot];
      if (e && e.id === this.first) {
        this.heldBytes -= entryBytes(e);
        this.ring[slot] = undefined as unknown as LogEntry;
      }
      this.first++;
    }
  }

  /**
   * Events with id > cursor, oldest first, at most `limit` and, past the first, at most `maxJsonChars`
   * of JSON in all (a poll answer's page: the client's next cursor picks up the rest); evicted
   * events are skipped. With a room, only that room's events; without one (''), every room's.
   */
  after(cursor: number, limit = 1000, room = '', maxJsonChars = Infinity): LogEntry[] {
    const out: LogEntry[] = [];
    const from = Math.max(cursor + 1, this.oldestId);
    let chars = 0;
    for (let id = from; id <= this.lastId && out.length < limit; id++) {
      const e = this.ring[id % this.capacity];
      if (!e || e.id !== id || !inRoom(e, room)) continue;
      if (out.length && chars + e.json.length > maxJsonChars) break;
      chars += e.json.length;
      out.push(e);
    }
    return out;
  }

  onAppend(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets everything (a fresh server after a restart starts from 1 again). */
  clear(): void {
    this.next = 1;
    this.first = 1;
    this.heldBytes = 0;
    this.ring.fill(undefined as unknown as LogEntry);
  }
}

/** True when a subscriber of `room` ('' = all rooms) should get `e`. */
export function inRoom(e: LogEntry, room: string): boolean {
  return room === '' || e.room === room;
}

/** The room of a request (?room=); null when the name is not acceptable. */
export function parseRoom(url: URL): string | null {
  const room = url.searchParams.get('room') ?? '';
  return /^[\w.:-]{0,64}$/.test(room) ? room : null;
}

/**
 * Parses a client-supplied cursor. Anything that is not a non-negative integer is rejected. A
 * cursor past the newest event can only come from a client of an earlier server life (ids restart
 * at 1 after a restart), so it resumes from the oldest event this life still holds: after a
 * restart a client gets what it missed of the new life, and nothing is replayed twice.
 * (With ids shared by a fleet, a cursor can also run slightly ahead of this instance; an epoch in
 * the cursor would tell the two apart once instances share ids.)
 */
export function parseCursor(raw: string | null | undefined, log: EventLog): number | null | 'invalid' {
  if (raw === null || raw === undefined || raw === '') return null;
  if (raw.length > 64) return 'invalid';
  const unquoted = raw.replace(/^W\//, '').replace(/"/g, '').trim();
  if (!/^\d{1,15}$/.test(unquoted)) return 'invalid';
  const cursor = Number(unquoted);
  return cursor > log.lastId ? Math.max(0, log.oldestId - 1) : cursor;
}
