import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyDecoder, framingOf } from '../src/protocols/http1/body-decoder.js';
import type { BodySink, BodyStatus, Framing } from '../src/protocols/http1/body-decoder.js';
import { getRequestHead, parseHttpUrl, withHeaders } from '../src/protocols/http1/request.js';
import { ResponseHeadReader, type ResponseHead } from '../src/protocols/http1/response-head.js';

class Collect implements BodySink {
  parts: Buffer[] = [];
  onBody(buf: Buffer, start: number, end: number): boolean {
    this.parts.push(Buffer.from(buf.subarray(start, end))); // copied: the buffer is the caller's
    return true;
  }
  get text(): string {
    return Buffer.concat(this.parts).toString();
  }
}

/** Feeds `wire` to a decoder in pieces cut at `cuts`; returns the body and the last status. */
function decode(framing: Framing, wire: string | Buffer, cuts: number[] = []): { body: string; status: BodyStatus } {
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'latin1');
  const d = new BodyDecoder(framing);
  const sink = new Collect();
  let status: BodyStatus = 'more';
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    status = d.feed(bytes, from, at, sink);
    from = at;
    if (status !== 'more') break;
  }
  return { body: sink.text, status };
}

const head = (headers: Record<string, string>): ResponseHead => ({ status: 200, headers });

test('body framing: chunked wins over a length, a length is digits, neither means until close', () => {
  assert.equal(framingOf(head({ 'transfer-encoding': 'chunked', 'content-length': '5' })), 'chunked');
  assert.equal(framingOf(head({ 'transfer-encoding': 'Chunked' })), 'chunked');
  assert.equal(framingOf(head({ 'content-length': '42' })), 42);
  assert.equal(framingOf(head({ 'content-length': '42, 42' })), 42);
  assert.equal(framingOf(head({})), 'close');
  assert.equal(framingOf(head({ 'content-length': '4, 2' })), 'http-malformed-head');
  assert.equal(framingOf(head({ 'content-length': '-1' })), 'http-malformed-head');
  assert.equal(framingOf(head({ 'content-length': '0x10' })), 'http-malformed-head');
  assert.equal(framingOf(head({ 'transfer-encoding': 'gzip, chunked' })), 'compressed');
});

test('chunked body: extensions skipped, trailers ignored, the same body whatever byte it is cut at', () => {
  const wire = '5;name=value\r\nhello\r\n1 ; ext\r\n \r\n6\r\nworld!\r\n0\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n';
  const whole = decode('chunked', wire);
  assert.deepEqual(whole, { body: 'hello world!', status: 'end' });
  for (let i = 0; i <= wire.length; i++) assert.deepEqual(decode('chunked', wire, [i]), whole, `cut at ${i}`);
  const bytewise = Array.from({ length: wire.length }, (_, i) => i);
  assert.deepEqual(decode('chunked', wire, bytewise), whole, 'one byte at a time');
  const bareLf = decode('chunked', 'A\nabcdefghij\n0\n\n');
  assert.deepEqual(bareLf, { body: 'abcdefghij', status: 'end' }, 'bare LF line ends and hex digits');
});

test('chunked body: a size not hex or too long, an endless size line or trailer is http-malformed-chunk', () => {
  assert.equal(decode('chunked', 'zz\r\n').status, 'http-malformed-chunk');
  assert.equal(decode('chunked', '\r\n').status, 'http-malformed-chunk');
  assert.equal(decode('chunked', '1234567890abc\r\n').status, 'http-malformed-chunk');
  assert.equal(decode('chunked', '5\r\nhelloXX').status, 'http-malformed-chunk', 'data not followed by CRLF');
  assert.equal(decode('chunked', `5;${'e'.repeat(5000)}`).status, 'http-malformed-chunk');
  assert.equal(decode('chunked', `0\r\nx: ${'t'.repeat(20_000)}`).status, 'http-malformed-chunk');
});

test('length-framed body ends after its length; a close-framed body never ends by itself', () => {
  assert.deepEqual(decode(5, 'helloEXTRA'), { body: 'hello', status: 'end' });
  assert.deepEqual(decode(5, 'hel', []), { body: 'hel', status: 'more' });
  assert.equal(new BodyDecoder(0).done, true);
  assert.deepEqual(decode('close', 'data: x\n\n'.repeat(3), [4, 9]), { body: 'data: x\n\n'.repeat(3), status: 'more' });
});

test('a sink that gives up stops the decoder at once', () => {
  const d = new BodyDecoder('chunked');
  const wire = Buffer.from('1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
  let calls = 0;
  const status = d.feed(wire, 0, wire.length, { onBody: () => (calls++, false) });
  assert.equal(status, 'stopped');
  assert.equal(calls, 1);
});

test('response head: the first blank line ends it, the bytes after it are body, a kept partial head is a copy', () => {
  const r = new ResponseHeadReader();
  const shared = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n');
  assert.equal(r.feed(shared), null);
  shared.fill(0); // the caller reuses its buffer, as the SSE client's shared read buffer is
  const done = r.feed(Buffer.from('x-a: 1\r\n\r\ndata: a\n\n'));
  assert.ok(done && 'head' in done);
  assert.equal(done.head.headers['content-type'], 'text/event-stream');
  assert.equal(done.rest.toString(), 'data: a\n\n');
  const lf = new ResponseHeadReader().feed(Buffer.from('HTTP/1.1 200 OK\nx: 1\n\nbody\r\n\r\n'));
  assert.ok(lf && 'head' in lf);
  assert.equal(lf.rest.toString(), 'body\r\n\r\n', 'a bare-LF head ends at its own blank line, not a later CRLF one');
});

test('request head: GET, host first, target headers override ours in any case, no line breaks smuggled in', () => {
  const target = parseHttpUrl('http://[::1]:8080/sse?room=a');
  assert.ok(typeof target === 'object');
  assert.deepEqual(target, { host: '::1', port: 8080, hostHeader: '[::1]:8080', path: '/sse?room=a', secure: false });
  assert.deepEqual(parseHttpUrl('https://example.test/sse'), {
    host: 'example.test',
    port: 443,
    hostHeader: 'example.test',
    path: '/sse',
    secure: true,
  });
  assert.equal(parseHttpUrl('ftp://x/'), 'bad-url');
  const theirs = { Accept: 'text/plain', Authorization: 'Bearer t', 'x-bad': 'a\r\nx-evil: 1' };
  const headers = withHeaders({ accept: 'text/event-stream' }, theirs);
  assert.equal(
    getRequestHead(target, headers),
    'GET /sse?room=a HTTP/1.1\r\nhost: [::1]:8080\r\naccept: text/plain\r\nauthorization: Bearer t\r\n\r\n',
  );
});
