import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerReader, DONE, FAILED, NEED_MORE, type FeedResult } from '../src/protocols/http1/answer-reader.js';

/**
 * Feeds `bytes` to a fresh reader in pieces of `size` bytes, each piece written into one reused
 * buffer as a socket's read buffer would be, and returns the last result with the body copied.
 */
function readInPieces(bytes: string, size: number, limit?: number) {
  const reader = new AnswerReader(limit);
  const all = Buffer.from(bytes, 'latin1');
  const scratch = Buffer.alloc(size);
  let result: FeedResult = NEED_MORE;
  let body: string | null = null;
  for (let at = 0; at < all.length && result === NEED_MORE; at += size) {
    const n = all.copy(scratch, 0, at, at + size);
    result = reader.feed(scratch.subarray(0, n));
    // A finished answer is read before the next read; what the reader kept of an unfinished one
    // must not be a view of the scratch buffer, which the next read overwrites.
    if (result === DONE) {
      body = reader.body().toString('latin1');
      break;
    }
    scratch.fill(0x23);
  }
  return { reader, result, body };
}

/** Every way of cutting `bytes` into reads of 1, 2, 3, 7 and 64 bytes reads the same answer. */
function everyCut(bytes: string, check: (r: ReturnType<typeof readInPieces>) => void): void {
  for (const size of [1, 2, 3, 7, 64, 100_000]) check(readInPieces(bytes, size));
}

test('a content-length answer is read whole, however the reads cut it', () => {
  const body = '{"cursor":3,"events":[]}';
  everyCut(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: ${body.length}\r\nETag: "3"\r\n\r\n${body}`,
    (r) => {
      assert.equal(r.result, DONE);
      assert.equal(r.body, body);
      assert.equal(r.reader.status, 200);
      assert.equal(r.reader.closeAfter, false, 'HTTP/1.1 keeps the connection');
      assert.equal(r.reader.header('etag'), '"3"');
      assert.equal(r.reader.header('x-cursor'), undefined);
    },
  );
});

test('a chunked answer is read whole: extensions skipped, trailers skipped, upper- and lower-case hex', () => {
  const wire =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\n' +
    'A\r\n, 01234567\r\n' +
    '1\r\n!\r\n' +
    '0\r\nx-trailer: 1\r\n\r\n';
  everyCut(wire, (r) => {
    assert.equal(r.result, DONE);
    assert.equal(r.body, 'hello, 01234567!');
    assert.equal(r.reader.closeAfter, false);
  });
});

test('a chunked answer with bare LF line ends is read too', () => {
  everyCut('HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n3\nabc\n0\n\n', (r) => {
    assert.equal(r.result, DONE);
    assert.equal(r.body, 'abc');
  });
});

test('a body without length runs until the connection closes, and the connection is not reused', () => {
  const r = readInPieces('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nsome bytes', 4);
  assert.equal(r.result, NEED_MORE);
  assert.equal(r.reader.untilClose, true);
  assert.equal(r.reader.end(), true);
  assert.equal(r.reader.body().toString(), 'some bytes');
  assert.equal(r.reader.closeAfter, true);
});

test('connection: close, and HTTP/1.0 without keep-alive, mark the connection as not reusable', () => {
  assert.equal(
    readInPieces('HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length: 2\r\n\r\n{}', 5).reader.closeAfter,
    true,
  );
  assert.equal(
    readInPieces('HTTP/1.1 200 OK\r\nconnection: keep-alive, close\r\ncontent-length: 0\r\n\r\n', 5).reader.closeAfter,
    true,
  );
  assert.equal(readInPieces('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}', 5).reader.closeAfter, true);
  assert.equal(
    readInPieces('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\n{}', 5).reader.closeAfter,
    false,
  );
});

test('bytes after a complete answer (no request asked for them) mark the connection as not reusable', () => {
  const r = readInPieces('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n', 1000);
  assert.equal(r.result, DONE);
  assert.equal(r.body, '{}');
  assert.equal(r.reader.closeAfter, true);
});

test('204 and 304 answers have no body whatever their headers say; 1xx heads before an answer are skipped', () => {
  const r304 = readInPieces('HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\netag: "7"\r\n\r\n', 3);
  assert.equal(r304.result, DONE);
  assert.equal(r304.reader.status, 304);
  assert.equal(r304.body, '');
  assert.equal(r304.reader.closeAfter, false);
  everyCut(
    'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n' +
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    (r) => {
      assert.equal(r.result, DONE);
      assert.equal(r.reader.status, 200);
      assert.equal(r.body, 'ok');
    },
  );
});

test('a head over the bound is http-head-too-big, even when it never ends', () => {
  const big = `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(17 * 1024)}\r\ncontent-length: 0\r\n\r\n`;
  everyCut(big, (r) => {
    assert.equal(r.result, FAILED);
    assert.equal(r.reader.error, 'http-head-too-big');
  });
  const endless = readInPieces(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(40 * 1024)}`, 1024);
  assert.equal(endless.result, FAILED);
  assert.equal(endless.reader.error, 'http-head-too-big');
});

test('malformed heads and bodies are typed errors', () => {
  const cases: Array<[string, string]> = [
    ['HTTP/2 200 OK\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 200 OK\r\ncontent-length: 12abc\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', 'http-malformed-head'],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 'http-malformed-chunk'],
    ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX', 'http-malformed-chunk'],
  ];
  for (const [wire, kind] of cases) {
    const r = readInPieces(wire, 1000);
    assert.equal(r.result, FAILED, wire);
    assert.equal(r.reader.error, kind, wire);
  }
});

test('a body over the limit is answer-too-big: announced by content-length, in one huge chunk, or as it grows', () => {
  const limit = 1000;
  const announced = readInPieces('HTTP/1.1 200 OK\r\ncontent-length: 1001\r\n\r\n', 100, limit);
  assert.equal(announced.reader.error, 'answer-too-big', 'refused before any body byte arrived');
  const hugeChunk = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nFFFFFFFFFF\r\n${'x'.repeat(2000)}`;
  assert.equal(readInPieces(hugeChunk, 100, limit).reader.error, 'answer-too-big');
  const chunks = ('64\r\n' + 'x'.repeat(100) + '\r\n').repeat(20);
  const grows = readInPieces(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunks}`, 50, limit);
  assert.equal(grows.reader.error, 'answer-too-big');
  const untilClose = readInPieces(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(2000)}`, 300, limit);
  assert.equal(untilClose.reader.error, 'answer-too-big');
  assert.equal(
    readInPieces(`HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n${'x'.repeat(1000)}`, 300, limit).result,
    DONE,
    'the limit itself is fine',
  );
});

test('a reader reset after an answer reads the next one from scratch', () => {
  const reader = new AnswerReader();
  assert.equal(reader.feed(Buffer.from('HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno!')), DONE);
  assert.equal(reader.status, 404);
  reader.reset();
  assert.equal(reader.status, 0);
  assert.equal(reader.feed(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}')), DONE);
  assert.equal(reader.body().toString(), '{}');
  assert.equal(reader.seen, 40);
});
