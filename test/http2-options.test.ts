import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../src/errors.js';
import { phasesOf } from '../src/load/runner.js';
import { h2ErrorKind, h2Headers } from '../src/protocols/http2/connection-pool.js';
import { resultLabel } from '../src/results/result-label.js';
import { parseHttpVersions, parseStreamsPerConnection } from '../src/scenario/http-versions.js';
import { buildPlan } from '../src/scenario/options.js';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);
const labels = (plan: ReturnType<typeof buildPlan>) =>
  phasesOf(plan).map((p) => resultLabel({ protocol: p.protocol, variant: p.variant ?? undefined }));

test('--http takes 1.1, 2 or a list of them, in order and without repeats; anything else is refused', () => {
  assert.deepEqual(parseHttpVersions('1.1'), ['1.1']);
  assert.deepEqual(parseHttpVersions('2'), ['2']);
  assert.deepEqual(parseHttpVersions('1.1,2'), ['1.1', '2']);
  assert.deepEqual(parseHttpVersions(' 2 , 1.1 ,2'), ['2', '1.1']);
  assert.deepEqual(parseHttpVersions(['1.1', 2]), ['1.1', '2'], 'a scenario file may give numbers');
  assert.deepEqual(parseHttpVersions('h2,http/1.1'), ['2', '1.1']);
  assert.throws(() => parseHttpVersions('3'), usage(/--http "3": HTTP version "3" is not 1\.1 or 2/));
  assert.throws(() => parseHttpVersions('1.1,3'), usage(/"3" is not 1\.1 or 2/));
  assert.throws(() => parseHttpVersions('1.0'), usage(/"1\.0" is not 1\.1 or 2/));
  assert.throws(() => parseHttpVersions(''), usage(/"" is not 1\.1 or 2/));
  assert.deepEqual(buildPlan({}).http, { versions: ['1.1'], streamsPerConnection: 0 }, 'default: 1.1, max');
});

test('--streams-per-connection is a positive whole number or max (the server limit)', () => {
  assert.equal(parseStreamsPerConnection('max'), 0);
  assert.equal(parseStreamsPerConnection('20'), 20);
  assert.equal(parseStreamsPerConnection(1), 1);
  for (const bad of ['0', '-1', '1.5', 'many', '100001'])
    assert.throws(() => parseStreamsPerConnection(bad), usage(/malformed streams per connection/), bad);
  assert.equal(buildPlan({ streamsPerConnection: '20', http: '2', protocols: 'sse' }).http.streamsPerConnection, 20);
});

test('--http 1.1,2 runs each HTTP protocol both ways labelled "· h2" (after "· tls"); WebSocket once over 1.1', () => {
  assert.deepEqual(labels(buildPlan({ protocols: 'all' })), ['polling', 'long-polling', 'sse', 'websocket']);
  assert.deepEqual(labels(buildPlan({ protocols: 'all', http: '1.1,2' })), [
    'polling',
    'polling · h2',
    'long-polling',
    'long-polling · h2',
    'sse',
    'sse · h2',
    'websocket',
  ]);
  assert.deepEqual(labels(buildPlan({ protocols: 'sse', http: '1.1,2', tls: 'off,on' })), [
    'sse',
    'sse · h2',
    'sse · tls',
    'sse · tls · h2',
  ]);
  assert.deepEqual(
    phasesOf(buildPlan({ protocols: 'sse', http: '2', backpressure: 'buffer,disconnect' })).map((p) => [
      p.variant,
      p.http2,
    ]),
    [
      ['buffer · h2', true],
      ['disconnect · h2', true],
    ],
  );
});

test('--http 2 alone refuses WebSocket up front with the reason (RFC 8441) and the way out', () => {
  assert.throws(
    () => buildPlan({ protocols: 'sse,websocket', http: '2' }),
    usage(/--http 2 cannot run websocket: WebSocket over HTTP\/2 needs RFC 8441/),
  );
  assert.throws(() => buildPlan({ http: '2' }), usage(/RFC 8441/), 'all protocols include WebSocket');
  assert.doesNotThrow(() => buildPlan({ protocols: 'polling,long-polling,sse', http: '2' }));
  assert.doesNotThrow(() => buildPlan({ protocols: 'websocket', http: '1.1,2' }));
});

test('HTTP/2 request headers: lower case, no connection-specific ones, Host as :authority', () => {
  assert.deepEqual(
    h2Headers('/sse?room=a', {
      Accept: 'text/event-stream',
      Connection: 'keep-alive',
      'Transfer-Encoding': 'chunked',
      'accept-encoding': 'gzip',
      Host: 'example.test',
      ':path': '/evil',
    }),
    { ':method': 'GET', ':path': '/sse?room=a', accept: 'text/event-stream', ':authority': 'example.test' },
  );
});

test('HTTP/2 stream errors name the cause: the connection failure, a reset, a GOAWAY', () => {
  const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
  assert.equal(
    h2ErrorKind(Object.assign(new Error('cancel'), { code: 'ERR_HTTP2_STREAM_CANCEL', cause: refused })),
    'connection-refused',
  );
  assert.equal(h2ErrorKind(Object.assign(new Error('rst'), { code: 'ERR_HTTP2_STREAM_ERROR' })), 'h2-stream-reset');
  assert.equal(h2ErrorKind(Object.assign(new Error('goaway'), { code: 'ERR_HTTP2_SESSION_ERROR' })), 'h2-goaway');
});
