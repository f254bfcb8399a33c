import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { EventSource } from 'eventsource';
import type { EventSourceMessage } from 'eventsource-parser';
import { markerPrefix } from '../src/events/marker.js';
import type { ClientSpec } from '../src/protocols/client-base.js';
import { LeanSseClient } from '../src/protocols/sse/lean-client.js';
import { SseReader, type SseSink } from '../src/protocols/sse/sse-reader.js';
import type { ClientEvents } from '../src/protocols/types.js';
import { WireCounter } from '../src/protocols/wire.js';
import { HeartbeatWatch } from '../src/protocols/heartbeat-watch.js';
import { chunked, cutAt, startRawHttpServer, writeApart } from './fixtures/raw-http-server.js';
import { driverOptions } from './helpers.js';

/** What both clients must agree on, per event: [type, data, lastEventId of the event]. */
type Seen = [string, string, string];

/**
 * Event streams that exercise the SSE grammar; each names the event types it uses, how many events
 * EventSource dispatches from it, and the id it would resend (an event's `id:` with no value resets
 * it; an `id:` in a block without data is dropped, by eventsource-parser and so by EventSource).
 */
const STREAMS: Array<{ name: string; body: string; types: string[]; events: number; lastId: string }> = [
  {
    name: 'LF line ends',
    body: 'retry: 1000\n: a comment\n\ndata: one\n\nevent: named\ndata: two\nid: 7\n\ndata: three\ndata: lines\n\n',
    types: ['named'],
    events: 3,
    lastId: '7',
  },
  {
    name: 'CRLF line ends',
    body:
      'retry: 1000\r\n:comment\r\n\r\ndata: one\r\n\r\nevent: named\r\ndata: two\r\nid: 7\r\n\r\n' +
      'data: three\r\ndata: lines\r\n\r\n',
    types: ['named'],
    events: 3,
    lastId: '7',
  },
  {
    name: 'CR line ends',
    // The last CR could be the start of a CRLF, so the parser waits for the next byte, which never
    // comes: the last event is not dispatched, by either client.
    body: 'retry: 1000\r:comment\r\rdata: one\r\revent: named\rdata: two\rid: 7\r\rdata: three\rdata: lines\r\r',
    types: ['named'],
    events: 2,
    lastId: '7',
  },
  {
    name: 'mixed line ends, odd fields, ids set and reset, multi-byte text',
    body:
      'data:no space\n\ndata\n\nid: 1\ndata: é😀中\r\n\r\n' +
      'event: ping\ndata: {"a":1}\nid: 2\r\rdata:  two spaces\nid\n\n' +
      'unknown: field\ndata: after junk\nretry: soon\n\n' +
      'id: 3\n\nevent: message\ndata: explicit\n\n: only a comment\n\ndata: ' +
      'x'.repeat(3000) +
      '\n\n' +
      'data: unterminated at the end',
    types: ['ping'],
    events: 8,
    lastId: '',
  },
];

/** Serves `body` once (later connections are dropped), framed as `framing`, in `parts` pieces. */
async function serveOnce(body: Buffer, framing: 'close' | 'chunked' | 'length', cuts: number[]) {
  return startRawHttpServer((socket: Socket, index) => {
    if (index > 0) return void socket.destroy();
    let head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n';
    let payload = body;
    if (framing === 'chunked') {
      head += 'transfer-encoding: chunked\r\n';
      payload = chunked(body, cuts);
    } else if (framing === 'length') {
      head += `content-length: ${body.length}\r\n`;
    } else {
      head += 'connection: close\r\n';
    }
    const bytes = Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), payload]);
    void writeApart(
      socket,
      cutAt(
        bytes,
        cuts.map((c) => c + head.length),
      ),
    ).then(() => socket.end());
  });
}

/** Everything EventSource (the `eventsource` package) dispatches from one response, until it ends. */
async function viaEventSource(url: string, types: string[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  const es = new EventSource(url);
  const record = (ev: MessageEvent) => seen.push([ev.type, String(ev.data), ev.lastEventId]);
  for (const type of ['message', ...types]) es.addEventListener(type, record);
  await new Promise<void>((resolve) => {
    es.onerror = () => resolve();
  });
  es.close();
  return seen;
}

/** The lean client, recording what its reader dispatches. */
class RecordingClient extends LeanSseClient {
  readonly seen: Seen[] = [];
  override onSseEvent(event: EventSourceMessage): void {
    this.seen.push([event.event || 'message', event.data, event.id || '']);
    super.onSseEvent(event);
  }
}

function eventsUntilEnd(): { events: ClientEvents; ended: Promise<string> } {
  let end: (kind: string) => void = () => {};
  const ended = new Promise<string>((r) => (end = r));
  const events: ClientEvents = {
    attempt() {},
    connected() {},
    disconnected() {},
    delivered: () => true,
    request() {},
    reconnect() {},
    error(kind) {
      if (kind !== 'sse-malformed-line' && kind !== 'payload-not-json') end(kind);
    },
  };
  return { events, ended };
}

async function viaLeanClient(url: string): Promise<{ seen: Seen[]; end: string; lastEventId: string }> {
  const { events, ended } = eventsUntilEnd();
  const shared = { wire: new WireCounter(), prefix: markerPrefix('conf'), watch: new HeartbeatWatch(0) };
  const spec: ClientSpec = { index: 0, options: driverOptions(url, 'conf'), events, shared };
  const client = new RecordingClient(spec);
  await client.start();
  const end = await ended;
  await client.close();
  return { seen: client.seen, end, lastEventId: client.lastEventId };
}

/** EventSource's events for each stream, recorded once (chunked, whole), as the reference. */
const reference = new Map<string, Seen[]>();
async function referenceFor(stream: (typeof STREAMS)[number]): Promise<Seen[]> {
  let seen = reference.get(stream.name);
  if (!seen) {
    const server = await serveOnce(Buffer.from(stream.body), 'chunked', []);
    try {
      seen = await viaEventSource(server.url, stream.types);
    } finally {
      await server.close();
    }
    reference.set(stream.name, seen);
  }
  return seen;
}

/** Cut points that fall everywhere: inside line ends, inside multi-byte characters, inside chunk headers. */
function cutsFor(length: number, seed: number): number[] {
  const cuts: number[] = [];
  for (let at = 1 + (seed % 3); at < length; at += 1 + ((at * 7 + seed) % 11)) cuts.push(at);
  return cuts;
}

for (const stream of STREAMS) {
  test(`sse client agrees with EventSource on ${stream.name}, any framing, cut anywhere`, async () => {
    const expected = await referenceFor(stream);
    assert.equal(expected.length, stream.events, 'events EventSource dispatched');
    const body = Buffer.from(stream.body);
    for (const framing of ['close', 'chunked', 'length'] as const) {
      for (const seed of [0, 1]) {
        const server = await serveOnce(body, framing, seed === 0 ? [] : cutsFor(body.length, seed));
        try {
          const lean = await viaLeanClient(server.url);
          assert.deepEqual(lean.seen, expected, `${framing}, seed ${seed}`);
          assert.equal(lean.end, 'sse-disconnected', `${framing}, seed ${seed}: the end of the body ends the stream`);
          assert.equal(lean.lastEventId, stream.lastId, 'the id resent on reconnect');
        } finally {
          await server.close();
        }
        // EventSource itself on the same bytes: the framing and the cuts must not matter to it either.
        const again = await serveOnce(body, framing, seed === 0 ? [] : cutsFor(body.length, seed));
        try {
          const seen = await viaEventSource(again.url, stream.types);
          assert.deepEqual(seen, expected, `EventSource, ${framing}, seed ${seed}`);
        } finally {
          await again.close();
        }
      }
    }
  });
}

/** Records what an SseReader dispatches, as EventSource would report it. */
class ReaderSink implements SseSink {
  seen: Seen[] = [];
  onSseEvent(e: EventSourceMessage): void {
    this.seen.push([e.event || 'message', e.data, e.id || '']);
  }
  onSseMalformedLine(): void {}
  onSseTooLong(): void {}
}

test("sse reader gives EventSource's events at every split position, with two readers interleaved", async () => {
  for (const stream of STREAMS) {
    const expected = await referenceFor(stream);
    const bytes = Buffer.from(stream.body);
    for (let i = 0; i <= bytes.length; i++) {
      // Two readers fed in turn, split at different places: a parser lent to one must never carry
      // the other's half-read event.
      const a = new ReaderSink();
      const b = new ReaderSink();
      const ra = new SseReader(a);
      const rb = new SseReader(b);
      const j = bytes.length - i;
      ra.feed(bytes, 0, i);
      rb.feed(bytes, 0, j);
      ra.feed(bytes, i, bytes.length);
      rb.feed(bytes, j, bytes.length);
      assert.deepEqual(a.seen, expected, `${stream.name}: split at ${i}`);
      assert.deepEqual(b.seen, expected, `${stream.name}: split at ${j} (interleaved)`);
    }
    const one = new ReaderSink();
    const r = new SseReader(one);
    for (let i = 0; i < bytes.length; i++) r.feed(bytes, i, i + 1);
    assert.deepEqual(one.seen, expected, `${stream.name}: one byte at a time`);
  }
});

test('sse reader strips a byte order mark at the start of a stream only, as EventSource does', async () => {
  const stream = { name: 'bom', body: '\ufeffdata: a\n\ndata: \ufeffb\n\n', types: [], events: 2, lastId: '' };
  const expected = await referenceFor(stream);
  assert.deepEqual(expected, [
    ['message', 'a', ''],
    ['message', '\ufeffb', ''],
  ]);
  const bytes = Buffer.from(stream.body);
  for (let i = 0; i <= 4; i++) {
    const sink = new ReaderSink();
    const r = new SseReader(sink);
    r.feed(bytes, 0, i);
    r.feed(bytes, i, bytes.length);
    assert.deepEqual(sink.seen, expected, `split at ${i}`);
  }
});
