import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wsModule from 'ws';
import { collectGarbage } from '../src/metrics/gc.js';
import { FrameReader, type FrameErrorKind, type FrameSink } from '../src/protocols/websocket/frame-reader.js';
import { frameHeader } from './fixtures/raw-ws-server.js';

type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
// `ws` frames the reference bytes: what a server built on it sends is what the reader must read.
const wsFrame = (wsModule as unknown as { Sender: { frame(this: void, d: Buffer, o: FrameOptions): Buffer[] } }).Sender
  .frame;

/** One server frame as `ws` builds it (unmasked). */
function frame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat(wsFrame(data, { fin, opcode, mask: false, readOnly: false, rsv1: false }));
}

type Seen = ['message', boolean, string] | ['ping', string] | ['close', number] | ['error', FrameErrorKind, number];

/** A sink that writes down what the reader reports (payloads as hex: views must not be kept). */
function recorder(): FrameSink & { seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    onMessage: (data, binary) => void seen.push(['message', binary, data.toString('hex')]),
    onPing: (payload) => void seen.push(['ping', payload.toString('hex')]),
    onClose: (code) => void seen.push(['close', code]),
    onFrameError: (kind, code) => void seen.push(['error', kind, code]),
  };
}

/** Feeds `chunks` to a fresh reader and returns what it reported. */
function read(chunks: Buffer[], maxMessageBytes?: number, maxFragments?: number): Seen[] {
  const sink = recorder();
  const reader = new FrameReader(sink, maxMessageBytes, maxFragments);
  for (const c of chunks) if (!reader.feed(c)) break;
  return sink.seen;
}

const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const closePayload = (code: number, reason: string) =>
  Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);

/** Small and medium frames of every kind: 7-bit and 16-bit lengths, fragments around a ping, a close. */
const STREAM = Buffer.concat([
  frame(1, ''),
  frame(1, 'a'),
  frame(2, bytes(125)),
  frame(1, 'x'.repeat(126)),
  frame(1, 'frag-1 ', false),
  frame(9, 'are you there'),
  frame(0, 'frag-2 ', false),
  frame(10, 'unasked pong'),
  frame(0, 'frag-3'),
  frame(2, bytes(300, 3)),
  frame(8, closePayload(4000, 'done for today')),
]);

const STREAM_SEEN: Seen[] = [
  ['message', false, ''],
  ['message', false, hex('a')],
  ['message', true, bytes(125).toString('hex')],
  ['message', false, hex('x'.repeat(126))],
  ['ping', hex('are you there')],
  ['message', false, hex('frag-1 frag-2 frag-3')],
  ['message', true, bytes(300, 3).toString('hex')],
  ['close', 4000],
];

test('reads text, binary, fragmented messages, pings and a close as ws frames them, in one chunk', () => {
  assert.deepEqual(read([STREAM]), STREAM_SEEN);
});

test('reads the same whatever byte the stream is split at, and fed one byte at a time', () => {
  for (let at = 0; at <= STREAM.length; at++) {
    assert.deepEqual(read([STREAM.subarray(0, at), STREAM.subarray(at)]), STREAM_SEEN, `split at byte ${at}`);
  }
  assert.deepEqual(read(Array.from(STREAM, (b) => Buffer.from([b]))), STREAM_SEEN);
});

test('reads 16-bit and 64-bit lengths (65,535, 65,536 and 1 MiB) split anywhere in the header and around it', () => {
  for (const size of [65535, 65536, 1024 * 1024]) {
    const payload = bytes(size, size & 0xff);
    const framed = Buffer.concat([frame(2, payload), frame(1, 'after')]);
    const expected: Seen[] = [
      ['message', true, payload.toString('hex')],
      ['message', false, hex('after')],
    ];
    const cuts = [...Array.from({ length: 16 }, (_, i) => i), framed.length - 12, framed.length - 7, framed.length - 1];
    for (const at of cuts) {
      assert.deepEqual(read([framed.subarray(0, at), framed.subarray(at)]), expected, `${size} B split at ${at}`);
    }
    // As a socket delivers it: 64 KiB reads.
    const reads = Array.from({ length: Math.ceil(framed.length / 65536) }, (_, i) =>
      framed.subarray(i * 65536, (i + 1) * 65536),
    );
    assert.deepEqual(read(reads), expected, `${size} B in 64 KiB reads`);
  }
});

test('a payload trickled in one byte per read costs about its own size, not an object per read', () => {
  const size = 256 * 1024;
  const framed = frame(2, bytes(size));
  const sink = recorder();
  const reader = new FrameReader(sink);
  collectGarbage();
  const before = process.memoryUsage();
  for (let i = 0; i < framed.length - 1; i++) reader.feed(framed.subarray(i, i + 1));
  collectGarbage();
  const after = process.memoryUsage();
  const held = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  assert.ok(held < 4 * size, `holds ${(held / 1024).toFixed(0)} KiB for ${size / 1024} KiB received`);
  reader.feed(framed.subarray(framed.length - 1));
  assert.deepEqual(sink.seen, [['message', true, bytes(size).toString('hex')]]);
});

test('a message whole inside one chunk is handed on as a view of that chunk, not a copy', () => {
  const chunk = Buffer.concat([frame(1, 'first'), frame(1, 'second')]);
  const views: Buffer[] = [];
  const sink = { ...recorder(), onMessage: (data: Buffer) => void views.push(data) };
  new FrameReader(sink).feed(chunk);
  assert.equal(views.length, 2);
  for (const v of views) assert.equal(v.buffer, chunk.buffer, 'same memory as the chunk');
});

test('bytes kept between reads are copies: a reused read buffer cannot corrupt a message', () => {
  const framed = Buffer.concat([frame(1, 'partly here', false), frame(0, ', partly there')]);
  const shared = Buffer.alloc(framed.length);
  const sink = recorder();
  const reader = new FrameReader(sink);
  for (const [from, to] of [
    [0, 9],
    [9, 20],
    [20, framed.length],
  ]) {
    framed.copy(shared, 0, from, to);
    reader.feed(shared.subarray(0, to - from));
    shared.fill(0xee); // what the next read would do to a view kept by mistake
  }
  assert.deepEqual(sink.seen, [['message', false, hex('partly here, partly there')]]);
});

test('a frame whose header announces 100 MB is refused from the header alone: ws-message-too-big, close 1009', () => {
  const sink = recorder();
  const reader = new FrameReader(sink);
  assert.equal(reader.feed(Buffer.concat([frameHeader(0x82, 100_000_000), bytes(1000)])), false);
  assert.deepEqual(sink.seen, [['error', 'ws-message-too-big', 1009]]);
  assert.equal(reader.feed(bytes(1000)), false, 'a stopped reader reads nothing more');
  assert.deepEqual(
    read([frameHeader(0x82, 2 ** 63)]),
    [['error', 'ws-message-too-big', 1009]],
    'a length beyond 2^53 too',
  );
});

test('the size limit is configurable and counts a fragmented message as a whole', () => {
  assert.deepEqual(read([frame(2, bytes(1024))], 1024), [['message', true, bytes(1024).toString('hex')]]);
  assert.deepEqual(read([frame(2, bytes(1025))], 1024), [['error', 'ws-message-too-big', 1009]]);
  const fragments = [frame(1, 'x'.repeat(600), false), frame(0, 'y'.repeat(600), false)];
  assert.deepEqual(read(fragments, 1024), [['error', 'ws-message-too-big', 1009]]);
});

test('a fragmented message that never finishes is bounded by a fragment count', () => {
  const endless = [frame(1, 'start', false), ...Array.from({ length: 50 }, () => frame(0, '', false))];
  assert.deepEqual(read(endless, undefined, 20), [['error', 'ws-too-many-fragments', 1009]]);
  const finished = [frame(1, 'start', false), ...Array.from({ length: 18 }, () => frame(0, '', false)), frame(0, '!')];
  assert.deepEqual(read(finished, undefined, 20), [['message', false, hex('start!')]], '20 frames are allowed');
});

test('protocol errors end the stream with close 1002: reserved bits, unknown opcodes, masks, misplaced frames', () => {
  const cases: Array<[string, Buffer]> = [
    ['RSV1 without a negotiated extension', Buffer.concat([frameHeader(0xc1, 1), Buffer.from('a')])],
    ['RSV3', Buffer.concat([frameHeader(0x91, 1), Buffer.from('a')])],
    ['reserved data opcode 3', Buffer.concat([frameHeader(0x83, 1), Buffer.from('a')])],
    ['reserved control opcode 0xB', frameHeader(0x8b, 0)],
    ['a masked server frame', Buffer.concat([frameHeader(0x81, 1, true), Buffer.from([1, 2, 3, 4, 5])])],
    ['a continuation with nothing to continue', frame(0, 'orphan')],
    ['a new message inside a fragmented one', Buffer.concat([frame(1, 'a', false), frame(1, 'b')])],
    ['a fragmented ping', Buffer.concat([frameHeader(0x09, 1), Buffer.from('p')])],
    ['a ping over 125 bytes', Buffer.concat([frameHeader(0x89, 126), bytes(126)])],
    ['a close with a 1-byte payload', Buffer.concat([frameHeader(0x88, 1), Buffer.from([3])])],
    ['a close with a code no peer may send (1005)', frame(8, closePayload(1005, ''))],
    ['a close with a code out of range (999)', frame(8, closePayload(999, ''))],
  ];
  for (const [what, bytesIn] of cases) assert.deepEqual(read([bytesIn]), [['error', 'ws-protocol-error', 1002]], what);
});

test('a close without a code reports 1005; nothing after a close is read', () => {
  assert.deepEqual(read([Buffer.concat([frame(8, ''), frame(1, 'too late')])]), [['close', 1005]]);
});

test('stop() drops what is held and ignores later bytes', () => {
  const sink = recorder();
  const reader = new FrameReader(sink);
  reader.feed(frame(1, 'half', false));
  reader.stop();
  assert.equal(reader.feed(frame(0, ' done')), false);
  assert.deepEqual(sink.seen, []);
});
